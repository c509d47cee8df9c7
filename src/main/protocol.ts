import { readFile, realpath } from 'node:fs/promises'
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'
import type { CustomScheme, Protocol } from 'electron'
import { appHost, appScheme, contentSecurityPolicy } from './security'

// Checklist 18: the renderer is served from `app://pilot-light/`, a custom scheme, instead of
// file://, which would give the page read access to the whole disk. The handler serves the built
// renderer folder and nothing else, with the CSP header on every response (checklist 7).

/**
 * `standard` gives the scheme normal URL parsing and an origin, so relative URLs and the CSP
 * `'self'` work; `secure` treats it like https (no mixed content); `supportFetchAPI` lets the
 * renderer fetch its own assets (fonts, report styles). No `bypassCSP`, no `corsEnabled`.
 */
export const appSchemePrivileges: CustomScheme = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
}

/** Must run before the app's `ready` event: Chromium reads scheme privileges at start-up. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([appSchemePrivileges])
}

/** Serves `rendererDir` (the built `out/renderer`) on `app://pilot-light/`. Call once ready. */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(appScheme, (request) => serveAppRequest(request, rendererDir))
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
}

function headers(contentType: string): Headers {
  return new Headers({
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy,
    // Chromium must not guess a script out of a file we label otherwise.
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  })
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: headers('text/plain; charset=utf-8') })
}

export type ResolvedAppPath = { kind: 'file'; path: string } | { kind: 'refused'; reason: string }

/** True when `target` is a path strictly below `root` (both absolute). */
function isInside(root: string, target: string): boolean {
  const path = relative(root, target)
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path)
}

/**
 * Maps a request URL to a file inside `rootDir`, refusing anything that would leave it: `..`
 * segments (raw or percent-encoded), backslashes, drive letters, NUL bytes, other hosts.
 */
export function resolveAppPath(url: string, rootDir: string): ResolvedAppPath {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { kind: 'refused', reason: 'not a URL' }
  }
  if (parsed.protocol !== `${appScheme}:` || parsed.host.toLowerCase() !== appHost) {
    return { kind: 'refused', reason: 'not the app origin' }
  }
  let pathname: string
  try {
    pathname = decodeURIComponent(parsed.pathname)
  } catch {
    return { kind: 'refused', reason: 'malformed escape' }
  }
  if (pathname.includes('\0')) return { kind: 'refused', reason: 'NUL byte' }
  // `app://pilot-light` and any folder mean its index page.
  if (pathname === '' || pathname.endsWith('/')) pathname += '/index.html'
  const root = resolve(rootDir)
  const target = resolve(root, pathname.replace(/^[/\\]+/, ''))
  if (!isInside(root, target)) return { kind: 'refused', reason: 'outside the renderer folder' }
  return { kind: 'file', path: target }
}

/** Answers one app:// request. Exported for tests; Electron calls it through handleAppProtocol. */
export async function serveAppRequest(request: Request, rendererDir: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed')
  const resolved = resolveAppPath(request.url, rendererDir)
  if (resolved.kind === 'refused') return plain(403, `Refused: ${resolved.reason}`)
  try {
    // A symbolic link inside the folder must not lead out of it either.
    const [root, file] = await Promise.all([realpath(rendererDir), realpath(resolved.path)])
    if (!isInside(root, file)) return plain(403, 'Refused: outside the renderer folder')
    const body = await readFile(file)
    const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream'
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: headers(type),
    })
  } catch {
    // Missing files, folders and unreadable files all look the same to the page.
    return plain(404, 'Not found')
  }
}
