import { timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { contentSecurityPolicy } from '../../shared/content-security-policy'
import type { Backend } from '../app/backend'
import type { Logger } from '../log/logger'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
}

const cookieName = 'pilot_light_token'
/** Largest message a renderer may send; requests are small, this only stops abuse. */
const maxMessageBytes = 1024 * 1024

export type BrowserServerOptions = {
  backend: Backend
  /** The built renderer (out/renderer). */
  staticDir: string
  token: string
  port: number
  logger: Logger
}

export type BrowserServer = { url: string; port: number; close: () => Promise<void> }

/**
 * Browser mode (DESIGN.md §2): serves the built renderer and the backend API on 127.0.0.1 only.
 * Every request needs the session token (in the URL, or the cookie the first page load sets), and
 * the API socket also needs the console's own Origin, so another page in the same browser cannot
 * drive the console.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { backend, staticDir, token, logger } = options
  const expected = Buffer.from(token)
  const tokenMatches = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
  let port = options.port
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((host) => `http://${host}`)

  const requestToken = (request: IncomingMessage, url: URL): string | null =>
    url.searchParams.get('token') ?? readCookie(request.headers.cookie, cookieName)

  const server = createServer((request, response) => {
    void serveFile(request, response).catch((error: unknown) => {
      logger.error('http request failed', { url: request.url, error: String(error) })
      if (!response.headersSent) reply(response, 500, 'Internal error')
    })
  })

  const serveFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    // A page on another site can point a browser at 127.0.0.1; refusing foreign Host headers stops DNS rebinding.
    if (!allowedHosts().includes(request.headers.host ?? ''))
      return reply(response, 403, 'Forbidden host')
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply(response, 405, 'Method not allowed')
    if (!tokenMatches(requestToken(request, url))) {
      return reply(
        response,
        401,
        'Pilot Light: open the address printed by `npm run serve`, with its token.',
      )
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1))
    const file = normalize(join(staticDir, relative))
    if (!file.startsWith(normalize(staticDir) + sep)) return reply(response, 404, 'Not found')
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) return reply(response, 404, 'Not found')
    response.writeHead(200, {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      // The page address carries the session token: never send it on as a referrer.
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      // The page's own assets authenticate with this cookie after the first load (the API socket
      // carries the token from the page address).
      'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    })
    if (request.method === 'HEAD') return void response.end()
    createReadStream(file).pipe(response)
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes })
  server.on('upgrade', (request, socket, head) => {
    // Node removes its own error listener from an upgraded socket: without this, a client that
    // resets the connection while being refused would crash the console with ECONNRESET.
    socket.on('error', (error) => logger.debug('API socket error', { error: error.message }))
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const refuse = (status: number, why: string): void => {
      logger.warn('refused an API connection', { why, origin: request.headers.origin })
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\n\r\n`)
    }
    if (url.pathname !== '/api') return refuse(404, 'Not Found')
    if (!allowedHosts().includes(request.headers.host ?? '')) return refuse(403, 'Forbidden')
    if (!allowedOrigins().includes(request.headers.origin ?? '')) return refuse(403, 'Forbidden')
    if (!tokenMatches(requestToken(request, url))) return refuse(401, 'Unauthorized')
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws))
  })

  const attach = (ws: WebSocket): void => {
    const connection = backend.connect({
      send: (message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
      },
    })
    ws.on('message', (data, isBinary) => {
      let parsed: unknown
      try {
        parsed = isBinary ? undefined : JSON.parse(data.toString())
      } catch {
        parsed = undefined
      }
      void connection.receive(parsed)
    })
    ws.on('close', () => connection.close())
    ws.on('error', () => connection.close())
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  response.end(text)
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return null
}
