import type { App, Session, WebContents, WebFrameMain, WebPreferences } from 'electron'

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

/** The window's web preferences. Every flag is spelled out even where it is Electron's default. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
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
    // Checklist 9: no experimental Blink features.
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

/** Applies the session-wide policy. Call once the app is ready, for every session the app uses. */
export function hardenSession(session: HardenableSession): void {
  // Checklist 5: the console needs no web permission (camera, notifications, serial, HID…).
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
  // Defence in depth behind the CSP: the renderer reaches nothing on the network. The backend's
  // own traffic (PLCs, sync) runs in the utility process and does not pass through this session.
  session.webRequest.onBeforeRequest({ urls: remoteUrlPatterns }, (_details, callback) =>
    callback({ cancel: true }),
  )
}

/** The webContents calls hardenWebContents makes; Electron's WebContents satisfies it. */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>

/** Applies the per-page policy to one webContents (windows, and anything else Chromium creates). */
export function hardenWebContents(contents: HardenableContents): void {
  // Checklist 13: the page may only navigate within the app. Covers the main frame, subframes
  // and server-side redirects.
  const stayInApp = (event: { url: string; preventDefault: () => void }): void => {
    if (!isAppUrl(event.url)) event.preventDefault()
  }
  contents.on('will-navigate', stayInApp)
  contents.on('will-frame-navigate', stayInApp)
  contents.on('will-redirect', stayInApp)
  // Checklist 14: no new windows, not even to the app (one console window is the design).
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  // Checklist 12: no <webview>, whatever its preferences (webviewTag is off too).
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/** The app calls hardenApp makes; Electron's App satisfies it. */
export type HardenableApp = Pick<App, 'enableSandbox' | 'on'>

/** Applies the app-wide policy. Call before the app is ready. */
export function hardenApp(app: HardenableApp): void {
  // Checklist 4: sandbox every renderer, including any a future change forgets to configure.
  app.enableSandbox()
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
}
