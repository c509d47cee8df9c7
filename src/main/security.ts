import type { App, Session, Shell, WebContents, WebFrameMain, WebPreferences } from 'electron'

// The security policy of the desktop shell, in one place so it can be read, reviewed and unit tested
// against the Electron security checklist (https://www.electronjs.org/docs/latest/tutorial/security).
// Item numbers in comments refer to that checklist.

export const appScheme = 'app'
export const appHost = 'pilot-light'
/** Checklist 18: the renderer is served from a custom privileged scheme, never from file://. */
export const appOrigin = `${appScheme}://${appHost}`
export const appEntryUrl = `${appOrigin}/index.html`

// Checklist 7: the CSP lives in src/shared so browser mode sends exactly the same policy.
export { contentSecurityPolicy } from '../shared/content-security-policy'

/**
 * The window's web preferences. Every flag is spelled out even where it is Electron's default.
 * `packaged` is `app.isPackaged`: installed consoles get no DevTools.
 */
export function secureWebPreferences(preloadPath: string, packaged: boolean): WebPreferences {
  return {
    preload: preloadPath,
    // Beyond the checklist: DevTools would let anyone at an unlocked control-room screen run script
    // in the console and call its preload bridge, whatever the CSP says. Development keeps them.
    devTools: !packaged,
    // Checklist 3: the preload and the page run in separate JavaScript worlds.
    contextIsolation: true,
    // Checklist 4: the renderer runs in Chromium's OS-level sandbox; the preload sees only a
    // restricted `require('electron')`.
    sandbox: true,
    // Checklist 2: no Node.js in the page, in workers or in subframes.
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    // Checklist 6: keep the same-origin policy.
    webSecurity: true,
    // Checklist 8: no http content on a secure page.
    allowRunningInsecureContent: false,
    // Checklist 9: no experimental Blink features; checklist 10: `enableBlinkFeatures` is never set.
    experimentalFeatures: false,
    // Checklist 11: no <webview> tag.
    webviewTag: false,
    // A file dropped on the window must not replace the console.
    navigateOnDragDrop: false,
    // The spellchecker downloads dictionaries from a Google CDN: offline consoles have no use for it.
    spellcheck: false,
    // The alarm horn must sound on a console nobody has clicked yet (an unattended control-room
    // screen): Chromium's autoplay policy would hold Web Audio back until a gesture.
    autoplayPolicy: 'no-user-gesture-required',
  }
}

/** True for URLs of the app itself (`app://pilot-light/...`) and nothing else. */
export function isAppUrl(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  return (
    parsed.protocol === `${appScheme}:` &&
    parsed.host.toLowerCase() === appHost &&
    parsed.username === '' &&
    parsed.password === ''
  )
}

/** True for the serialized origin of the app (`app://pilot-light`), as Chromium reports it. */
export function isAppOrigin(origin: string): boolean {
  return origin.toLowerCase() === appOrigin
}

/** The frame shape isTrustedSender needs; an Electron WebFrameMain satisfies it. */
export type SenderFrame = Pick<WebFrameMain, 'url'>

/**
 * Checklist 17: every IPC message must come from a frame that shows the app itself. A frame that
 * is gone (null) or shows anything else is refused.
 */
export function isTrustedSender(frame: SenderFrame | null | undefined): boolean {
  return frame != null && isAppUrl(frame.url)
}

/**
 * Wraps an `ipcMain.handle`/`ipcMain.on` listener so that it refuses untrusted senders (checklist 17).
 * Main wires the backend through MessagePorts and registers no IPC handler today; any handler added
 * later must go through this.
 */
export function trustedIpc<
  IpcEvent extends { senderFrame: SenderFrame | null },
  Args extends unknown[],
  Result,
>(
  listener: (event: IpcEvent, ...args: Args) => Result,
): (event: IpcEvent, ...args: Args) => Result {
  return (event, ...args) => {
    if (!isTrustedSender(event.senderFrame)) {
      throw new Error(
        `Refused an IPC message from an untrusted sender (${event.senderFrame?.url ?? 'gone'})`,
      )
    }
    return listener(event, ...args)
  }
}

/** The session calls hardenSession makes; Electron's Session satisfies it. */
export type HardenableSession = Pick<
  Session,
  | 'setPermissionRequestHandler'
  | 'setPermissionCheckHandler'
  | 'setDevicePermissionHandler'
  | 'webRequest'
>

/** Requests the renderer may never make: the console is offline and talks only to its backend. */
const remoteUrlPatterns = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*']

/**
 * Checklist 5: the web permissions the console uses, granted to the app's own origin only. Anything
 * not listed (camera and microphone, screen capture, geolocation, notifications, clipboard reading,
 * HID, serial, USB, MIDI, opening external protocols…) is denied, and so is a listed permission
 * asked for by any other origin. The alarm horn plays through Web Audio, which needs no permission
 * (autoplay is a web preference, above).
 */
export const allowedPermissions: ReadonlySet<string> = new Set([
  // The incident workspace copies status updates with navigator.clipboard.writeText, which
  // Chromium gates behind this permission. Write only: reading the clipboard stays denied.
  'clipboard-sanitized-write',
])

function grants(permission: string, fromApp: boolean): boolean {
  return fromApp && allowedPermissions.has(permission)
}

/** Applies the session-wide policy. Call once the app is ready, for every session the app uses. */
export function hardenSession(session: HardenableSession): void {
  // Checklist 5: Chromium checks a permission before it asks for it, so both handlers apply the
  // same allowlist. A check from a subframe embedded by another origin is refused too.
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(grants(permission, isAppUrl(details.requestingUrl))),
  )
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    grants(
      permission,
      isAppOrigin(requestingOrigin) &&
        (details.embeddingOrigin === undefined || isAppOrigin(details.embeddingOrigin)),
    ),
  )
  // No WebHID, WebSerial or WebUSB device is ever offered to the page.
  session.setDevicePermissionHandler(() => false)
  // Defence in depth behind the CSP: the renderer reaches nothing on the network. The backend's
  // own traffic (PLCs, sync) runs in the utility process and does not pass through this session.
  session.webRequest.onBeforeRequest({ urls: remoteUrlPatterns }, (_details, callback) =>
    callback({ cancel: true }),
  )
}

/**
 * Checklist 15: the only origins `shell.openExternal` may open, as `https://host[:port]`. Empty: the
 * console links nowhere. A site that adds documentation links to the console adds their origin
 * here (for example 'https://docs.example.com').
 */
export const externalLinkOrigins: readonly string[] = []

/** What openExternalSafely needs: Electron's shell, the allowlist, and main's log. */
export type ExternalLinks = {
  shell: Pick<Shell, 'openExternal'>
  allowedOrigins: readonly string[]
  report: (message: string) => void
}

/**
 * True for an `https:` URL, without credentials, whose origin is on `allowedOrigins`. Everything
 * else (http, file:, javascript:, data:, custom schemes, UNC paths, punycode lookalikes) is simply
 * not on the list. Whitespace, control characters and backslashes are refused before parsing,
 * because the URL parser would silently drop or reinterpret them.
 */
export function isAllowedExternalUrl(url: string, allowedOrigins: readonly string[]): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\u0000-\u0020\u007f-\u00a0\\]/.test(url)) return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    allowedOrigins.includes(parsed.origin)
  )
}

/**
 * Checklist 15: the one way main hands a URL to the operating system. Opens allowlisted URLs (in
 * their parsed, canonical form) and logs and refuses anything else. Returns whether it opened.
 */
export function openExternalSafely(url: string, links: ExternalLinks): boolean {
  if (!isAllowedExternalUrl(url, links.allowedOrigins)) {
    // JSON keeps a hostile URL (newlines, escapes) on one line of the log.
    links.report(`refused to open ${JSON.stringify(url)} outside the app: not on the allowlist`)
    return false
  }
  links.shell
    .openExternal(new URL(url).href)
    .catch((error: unknown) =>
      links.report(`could not open ${JSON.stringify(url)}: ${String(error)}`),
    )
  return true
}

/** The webContents calls hardenWebContents makes; Electron's WebContents satisfies it. */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>

/** Applies the per-page policy to one webContents (windows, and anything else Chromium creates). */
export function hardenWebContents(contents: HardenableContents, links: ExternalLinks): void {
  // Checklist 13: the page may only navigate within the app. Covers the main frame, subframes
  // and server-side redirects.
  const stayInApp = (event: { url: string; preventDefault: () => void }): void => {
    if (!isAppUrl(event.url)) event.preventDefault()
  }
  contents.on('will-navigate', stayInApp)
  contents.on('will-frame-navigate', stayInApp)
  contents.on('will-redirect', stayInApp)
  // Checklist 14: no new windows, not even to the app (one console window is the design). A link
  // to an allowlisted site opens in the system browser instead (checklist 15); any other is refused.
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url, links)
    return { action: 'deny' }
  })
  // Checklist 12: no <webview>, whatever its preferences (webviewTag is off too).
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/** The app calls hardenApp makes; Electron's App satisfies it. */
export type HardenableApp = Pick<App, 'enableSandbox' | 'on'>

/** Applies the app-wide policy. Call before the app is ready. */
export function hardenApp(app: HardenableApp, links: ExternalLinks): void {
  // Checklist 4: sandbox every renderer, including any a future change forgets to configure.
  app.enableSandbox()
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, links))
}
