import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createBackend, type Backend } from '../../src/backend/app/backend'
import { silentLogger } from '../../src/backend/log/logger'
import { startBrowserServer, type BrowserServer } from '../../src/backend/server/browser-server'
import { contentSecurityPolicy } from '../../src/shared/content-security-policy'
import { systemScheduler } from '../../src/shared/scheduler'
import { idleDrivers } from '../support/idle-driver'
import { testRecording } from '../support/recording'

const token = 'test-token-0123456789'
let backend: Backend
let recorder: ReturnType<typeof testRecording>
let server: BrowserServer

beforeEach(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'renderer-'))
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(tmpdir(), 'secret.txt'), 'outside the renderer folder')
  recorder = testRecording()
  backend = createBackend({
    ...recorder,
    mode: 'browser',
    version: '0.0.0-test',
    dataDir: staticDir,
    siteFile: 'none.yaml',
    site: null,
    siteProblems: [
      {
        file: 'none.yaml',
        line: null,
        column: null,
        path: '',
        message: 'the site file does not exist',
      },
    ],
    drivers: idleDrivers,
    logger: silentLogger,
    scheduler: systemScheduler,
  })
  server = await startBrowserServer({ backend, staticDir, token, port: 0, logger: silentLogger })
})

afterEach(async () => {
  await server.close()
  await backend.dispose()
  recorder.close()
})

const origin = (): string => `http://127.0.0.1:${server.port}`

/** Opens the API socket; resolves with the first message, or rejects with the HTTP status of a refusal. */
function openSocket(query: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    )
    ws.once('error', reject)
  })
}

function ask(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))))
    ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  })
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 and prints a tokenised URL', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${token}`)
  })

  it('serves the page with the token and the CSP, and refuses without it', async () => {
    const page = await fetch(server.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toBe(contentSecurityPolicy)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(contentSecurityPolicy).not.toMatch(/unsafe-(inline|eval)/)
    const cookie = page.headers.get('set-cookie')?.split(';')[0] ?? ''
    expect((await fetch(`${origin()}/`)).status).toBe(401)
    expect((await fetch(`${origin()}/?token=wrong-token-0123456789`)).status).toBe(401)
    // After the first load the page's own requests authenticate with the cookie.
    expect((await fetch(`${origin()}/index.html`, { headers: { cookie } })).status).toBe(200)
    expect((await fetch(`${origin()}/..%2Fsecret.txt`, { headers: { cookie } })).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${token}`, {
        headers: { host: 'evil.example', origin: 'http://evil.example' },
      })
      ws.once('unexpected-response', (_request, res) => resolve(res.statusCode ?? 0))
      ws.once('open', () => reject(new Error('should be refused')))
    })
    expect(response).toBe(403)
  })

  it('refuses API sockets without the token or from another origin', async () => {
    await expect(openSocket('', { origin: origin() })).rejects.toThrow('HTTP 401')
    await expect(openSocket('?token=nope', { origin: origin() })).rejects.toThrow('HTTP 401')
    await expect(openSocket(`?token=${token}`, { origin: 'http://evil.example' })).rejects.toThrow(
      'HTTP 403',
    )
    await expect(openSocket(`?token=${token}`, {})).rejects.toThrow('HTTP 403')
    const ws = await openSocket(`?token=${token}`, { origin: origin() })
    ws.close()
  })

  it('survives a client that resets the connection while being refused', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `GET /api HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: http://evil.example\r\n` +
              'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
              'Sec-WebSocket-Version: 13\r\n\r\n',
          )
          socket.resetAndDestroy()
          resolve()
        })
        socket.on('error', () => {})
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await fetch(server.url)).status).toBe(200)
  })

  it('answers over the socket, rejects garbage with {code, message} and keeps serving', async () => {
    const ws = await openSocket(`?token=${token}`, { origin: origin() })
    expect(await ask(ws, 'not json')).toMatchObject({
      ok: false,
      error: { code: 'malformed-message' },
    })
    expect(await ask(ws, { kind: 'request', id: 1, channel: 'nope', payload: {} })).toMatchObject({
      id: 1,
      ok: false,
      error: { code: 'unknown-channel' },
    })
    const info = await ask(ws, { kind: 'request', id: 2, channel: 'getSystemInfo', payload: {} })
    expect(info).toMatchObject({
      id: 2,
      ok: true,
      value: { site: null, siteProblems: [{ file: 'none.yaml' }] },
    })
    ws.close()
  })

  it('answers binary, non-object and __proto__ frames as malformed and closes on oversized ones', async () => {
    const ws = await openSocket(`?token=${token}`, { origin: origin() })
    const binary = new Promise<Record<string, unknown>>((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))))
      ws.send(Buffer.from(JSON.stringify({ kind: 'request', id: 1, channel: 'getSystemInfo' })))
    })
    expect(await binary).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'malformed-message' },
    })
    for (const frame of ['null', '42', '"getSystemInfo"', '[]', '{}', '']) {
      expect(await ask(ws, frame)).toMatchObject({
        ok: false,
        error: { code: 'malformed-message' },
      })
    }
    const proto =
      '{"kind":"request","id":3,"channel":"getSystemInfo","payload":{},"__proto__":{"polluted":1}}'
    expect(await ask(ws, proto)).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'malformed-message' },
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // Past the 1 MB frame limit the socket is closed (1009, message too big), not read.
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(
      JSON.stringify({
        kind: 'request',
        id: 4,
        channel: 'getValues',
        payload: { tagIds: ['x'.repeat(2_000_000)] },
      }),
    )
    expect(await closed).toBe(1009)
    // …and the server keeps serving everyone else.
    const next = await openSocket(`?token=${token}`, { origin: origin() })
    expect(
      await ask(next, { kind: 'request', id: 5, channel: 'getSystemInfo', payload: {} }),
    ).toMatchObject({ id: 5, ok: true })
    next.close()
  })
})
