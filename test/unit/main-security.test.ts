import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { requestChannels } from '../../src/shared/api/contract'
import { desktopIpc } from '../../src/shared/api/desktop'
import type { LinkState, PilotLightApi } from '../../src/shared/api/client'
import {
  appEntryUrl,
  allowedPermissions,
  appOrigin,
  contentSecurityPolicy,
  externalLinkOrigins,
  hardenApp,
  hardenSession,
  isAppUrl,
  isTrustedSender,
  openExternalSafely,
  secureWebPreferences,
  trustedIpc,
  type ExternalLinks,
  type HardenableApp,
  type HardenableContents,
  type HardenableSession,
} from '../../src/main/security'
import {
  handleAppProtocol,
  registerAppScheme,
  resolveAppPath,
  serveAppRequest,
} from '../../src/main/protocol'
import { readLaunchOptions } from '../../src/main/options'
import {
  fake,
  fakeEvent,
  FakeSession,
  FakeWebContents,
  resetFakeElectron,
} from '../support/fake-electron'

// The desktop shell's security policy, checked against the Electron security checklist with a fake
// `electron` module (the runtime cannot be installed here, DESIGN.md §1).

vi.mock('electron', async () => (await import('../support/fake-electron')).fakeElectron)

beforeEach(() => {
  resetFakeElectron()
})

describe('window web preferences', () => {
  it('isolate, sandbox and keep Node out of the page', () => {
    const preferences = secureWebPreferences('/app/out/preload/index.cjs', true)
    expect(preferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      autoplayPolicy: 'no-user-gesture-required',
    })
    expect(preferences).not.toHaveProperty('enableBlinkFeatures')
  })

  it('have DevTools only in development builds', () => {
    expect(secureWebPreferences('/p.cjs', true).devTools).toBe(false)
    expect(secureWebPreferences('/p.cjs', false).devTools).toBe(true)
  })
})

describe('content security policy', () => {
  it('allows only the app itself, with no inline or eval', () => {
    expect(contentSecurityPolicy).not.toContain('unsafe-inline')
    expect(contentSecurityPolicy).not.toContain('unsafe-eval')
    expect(contentSecurityPolicy).not.toContain('*')
    expect(contentSecurityPolicy).not.toMatch(/https?:/)
    const directives = new Map(
      contentSecurityPolicy.split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/)
        return [name, values.join(' ')]
      }),
    )
    expect(directives.get('default-src')).toBe("'self'")
    expect(directives.get('script-src')).toBe("'self'")
    expect(directives.get('style-src')).toBe("'self'")
    expect(directives.get('img-src')).toBe("'self' data:")
    expect(directives.get('connect-src')).toBe("'self'")
    expect(directives.get('font-src')).toBe("'self'")
    expect(directives.get('object-src')).toBe("'none'")
    expect(directives.get('base-uri')).toBe("'none'")
    expect(directives.get('form-action')).toBe("'none'")
    expect(directives.get('frame-ancestors')).toBe("'none'")
  })
})

describe('session', () => {
  // Electron 45's permission names, less the one the console needs.
  const deniedPermissions = [
    'media',
    'display-capture',
    'geolocation',
    'notifications',
    'clipboard-read',
    'deprecated-sync-clipboard-read',
    'hid',
    'serial',
    'usb',
    'midi',
    'midiSysex',
    'fullscreen',
    'pointerLock',
    'keyboardLock',
    'openExternal',
    'fileSystem',
    'idle-detection',
    'local-fonts',
    'mediaKeySystem',
    'window-management',
    'storage-access',
    'persistent-storage',
    'screen-wake-lock',
    'speaker-selection',
    'unknown',
  ]
  const foreignOrigins = [
    'https://evil.example',
    'file://',
    'app://pilot-light.evil.example',
    'app://other',
    'http://127.0.0.1:5173',
    'null',
    '',
  ]

  function hardened(): FakeSession {
    const session = new FakeSession()
    hardenSession(session as unknown as HardenableSession)
    return session
  }

  /** Asks the request handler, as Electron would for a frame showing `url`. */
  function requested(session: FakeSession, permission: string, url: string): unknown {
    const callback = vi.fn()
    const details = { isMainFrame: true, requestingUrl: url }
    session.permissionRequestHandler?.(...([{}, permission, callback, details] as never[]))
    expect(callback).toHaveBeenCalledTimes(1)
    return callback.mock.calls[0]?.[0]
  }

  /** Asks the check handler, as Electron would for `origin`. */
  function checked(
    session: FakeSession,
    permission: string,
    origin: string,
    details: object = {},
  ): unknown {
    const all = { isMainFrame: true, requestingUrl: `${origin}/`, ...details }
    return session.permissionCheckHandler?.(...([null, permission, origin, all] as never[]))
  }

  it('allows only clipboard writes, and only to the app', () => {
    expect([...allowedPermissions]).toEqual(['clipboard-sanitized-write'])
    const session = hardened()
    const write = 'clipboard-sanitized-write'
    expect(requested(session, write, appEntryUrl)).toBe(true)
    expect(requested(session, write, 'app://pilot-light/index.html#/incidents/42')).toBe(true)
    expect(checked(session, write, appOrigin)).toBe(true)
    for (const origin of foreignOrigins) {
      expect(requested(session, write, `${origin}/index.html`), origin).toBe(false)
      expect(checked(session, write, origin), origin).toBe(false)
    }
    expect(requested(session, write, 'app://user@pilot-light/')).toBe(false)
    // A frame of another origin embedded in the app, or an app frame embedded elsewhere.
    expect(checked(session, write, appOrigin, { embeddingOrigin: 'https://evil.example' })).toBe(
      false,
    )
    expect(checked(session, write, appOrigin, { embeddingOrigin: appOrigin })).toBe(true)
  })

  it.each(deniedPermissions)('denies %s, even to the app', (permission) => {
    const session = hardened()
    expect(requested(session, permission, appEntryUrl)).toBe(false)
    expect(checked(session, permission, appOrigin)).toBe(false)
    expect(requested(session, permission, 'https://evil.example/')).toBe(false)
    expect(checked(session, permission, 'https://evil.example')).toBe(false)
  })

  it('denies every device', () => {
    const session = hardened()
    for (const deviceType of ['hid', 'serial', 'usb']) {
      const details = { deviceType, origin: appOrigin, device: {} }
      expect(session.devicePermissionHandler?.(...([details] as never[]))).toBe(false)
    }
  })

  it('cancels every request from the renderer to the network', () => {
    const session = new FakeSession()
    hardenSession(session as unknown as HardenableSession)
    const [blocked] = session.beforeRequest
    expect(blocked?.filter.urls).toEqual(
      expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']),
    )
    const callback = vi.fn()
    blocked?.listener(...([{ url: 'https://fonts.example/font.woff2' }, callback] as never[]))
    expect(callback).toHaveBeenCalledWith({ cancel: true })
  })
})

// Shared by the openExternal and window.open tests: none of these may reach the operating system.
const allowedOrigin = 'https://allowed.example'
const hostileUrls = [
  'javascript:alert(1)',
  'file:///etc/passwd',
  'file:///C:/Windows/System32/calc.exe',
  'http://example.com',
  'http://allowed.example/',
  'https://user:pass@allowed.example/',
  'https://allowed.example@evil.example/',
  'https://allowed.example.evil.example/',
  'https://allowed.example:8443/',
  // Cyrillic "а": parses to a punycode host that is not on the list.
  'https://\u0430llowed.example/',
  'https://xn--llowed-2nf.example/',
  'data:text/html,<script>alert(1)</script>',
  'app://pilot-light/..%2f',
  appEntryUrl,
  'https://allowed.example/\nhttps://evil.example/',
  'https://allowed.example/\tdocs',
  'https://allowed.example/ docs',
  'https:\\\\allowed.example\\docs',
  '\\\\server\\share',
  '//allowed.example/',
  'mailto:ops@allowed.example',
  'ms-msdt:/id PCWDiagnostic /skip force /param "IT_BrowseForFile=calc.exe"',
  'smb://attacker.example/public/pwn.desktop',
  'vbscript:msgbox(1)',
  'about:blank',
  '',
  'not a url',
]

function externalLinks(allowedOrigins: readonly string[] = [allowedOrigin]): ExternalLinks {
  return { shell: fake.shell, allowedOrigins, report: vi.fn() }
}

describe('shell.openExternal', () => {
  it.each(hostileUrls)('refuses and logs %j', (url) => {
    const links = externalLinks()
    expect(openExternalSafely(url, links)).toBe(false)
    expect(fake.shell.openExternal).not.toHaveBeenCalled()
    expect(links.report).toHaveBeenCalledWith(expect.stringContaining('refused'))
    // One log line, whatever the URL holds.
    expect(vi.mocked(links.report).mock.calls[0]?.[0]).not.toMatch(/[\r\n]/)
  })

  it('opens exactly an allowlisted https URL, in canonical form', () => {
    const links = externalLinks()
    expect(openExternalSafely('https://allowed.example/docs/alarms?id=7#ack', links)).toBe(true)
    expect(openExternalSafely('HTTPS://ALLOWED.EXAMPLE/docs', links)).toBe(true)
    expect(fake.shell.openExternal.mock.calls).toEqual([
      ['https://allowed.example/docs/alarms?id=7#ack'],
      ['https://allowed.example/docs'],
    ])
    expect(links.report).not.toHaveBeenCalled()
  })

  it('opens nothing with the shipped allowlist, which is empty', () => {
    expect(externalLinkOrigins).toEqual([])
    expect(openExternalSafely('https://allowed.example/', externalLinks(externalLinkOrigins))).toBe(
      false,
    )
    expect(fake.shell.openExternal).not.toHaveBeenCalled()
  })

  it('logs a URL the system could not open', async () => {
    fake.shell.openExternal.mockRejectedValueOnce(new Error('no handler'))
    const links = externalLinks()
    expect(openExternalSafely('https://allowed.example/', links)).toBe(true)
    await vi.waitFor(() =>
      expect(links.report).toHaveBeenCalledWith(expect.stringContaining('no handler')),
    )
  })
})

describe('every webContents', () => {
  function hardened(links: ExternalLinks = externalLinks()): FakeWebContents {
    hardenApp(fake.app as unknown as HardenableApp, links)
    const contents = new FakeWebContents()
    fake.app.emit('web-contents-created', fakeEvent(), contents as unknown as HardenableContents)
    return contents
  }

  it('is sandboxed app-wide', () => {
    hardenApp(fake.app as unknown as HardenableApp, externalLinks())
    expect(fake.app.enableSandbox).toHaveBeenCalled()
  })

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])(
    'may not leave the app (%s)',
    (eventName) => {
      const contents = hardened()
      for (const url of [
        'https://evil.example/',
        'http://127.0.0.1:8080/',
        'file:///etc/passwd',
        'app://pilot-light.evil.example/index.html',
        'app://other/index.html',
        'javascript:alert(1)',
        'not a url',
      ]) {
        const event = fakeEvent({ url })
        contents.emit(eventName, event, url)
        expect(event.preventDefault, url).toHaveBeenCalled()
      }
      for (const url of [appEntryUrl, 'app://pilot-light/index.html#/plants/plant-001']) {
        const event = fakeEvent({ url })
        contents.emit(eventName, event, url)
        expect(event.preventDefault, url).not.toHaveBeenCalled()
      }
    },
  )

  it('may not open windows', () => {
    const contents = hardened()
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({
      action: 'deny',
    })
    expect(contents.windowOpenHandler?.({ url: appEntryUrl })).toEqual({ action: 'deny' })
  })

  it.each(hostileUrls)('may not open %j, in a window or outside', (url) => {
    const contents = hardened()
    expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' })
    expect(fake.shell.openExternal).not.toHaveBeenCalled()
  })

  it('sends an allowlisted link to the system browser instead of a window', () => {
    const contents = hardened()
    expect(contents.windowOpenHandler?.({ url: 'https://allowed.example/docs' })).toEqual({
      action: 'deny',
    })
    expect(fake.shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://allowed.example/docs')
  })

  it('may not attach a webview', () => {
    const contents = hardened()
    const event = fakeEvent()
    contents.emit(
      'will-attach-webview',
      event,
      { nodeIntegration: true },
      { src: 'https://evil.example/' },
    )
    expect(event.preventDefault).toHaveBeenCalled()
  })
})

describe('IPC senders', () => {
  it('are trusted only when the frame shows the app', () => {
    expect(isTrustedSender({ url: appEntryUrl })).toBe(true)
    expect(isTrustedSender({ url: 'app://pilot-light/' })).toBe(true)
    expect(isTrustedSender({ url: 'https://evil.example/' })).toBe(false)
    expect(isTrustedSender({ url: 'file:///app/out/renderer/index.html' })).toBe(false)
    expect(isTrustedSender({ url: 'app://pilot-light.evil.example/' })).toBe(false)
    expect(isTrustedSender({ url: 'app://user@pilot-light/' })).toBe(false)
    expect(isTrustedSender({ url: '' })).toBe(false)
    expect(isTrustedSender(null)).toBe(false)
    expect(isTrustedSender(undefined)).toBe(false)
    expect(isAppUrl('APP://PILOT-LIGHT/index.html')).toBe(true) // schemes and hosts are case-insensitive
  })

  it('are checked before any handler runs', () => {
    const handler = vi.fn((_event: unknown, value: number) => value * 2)
    const guarded = trustedIpc(handler)
    fake.ipcMain.handle('pilot-light:example', guarded)
    expect(guarded({ senderFrame: { url: appEntryUrl } }, 21)).toBe(42)
    expect(() => guarded({ senderFrame: { url: 'https://evil.example/' } }, 1)).toThrow(
      /untrusted sender/,
    )
    expect(() => guarded({ senderFrame: null }, 1)).toThrow(/untrusted sender/)
    expect(handler).toHaveBeenCalledTimes(1)
  })
})

describe('app:// protocol', () => {
  let root: string
  let renderer: string
  const secret = 'SECRET-PACKAGE-CONTENT'

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pilot-light-protocol-'))
    renderer = join(root, 'out', 'renderer')
    await mkdir(join(renderer, 'assets'), { recursive: true })
    await writeFile(join(root, 'package.json'), JSON.stringify({ secret }))
    await writeFile(join(root, 'out', 'secret.txt'), secret)
    await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Pilot Light</title>')
    await writeFile(join(renderer, 'assets', 'index-abc123.js'), 'export {}')
    await symlink(join(root, 'package.json'), join(renderer, 'linked.json'))
  })

  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const get = (url: string, method = 'GET'): Promise<Response> => {
    handleAppProtocol(fake.protocol as never, renderer)
    const handler = fake.protocol.handlers.get('app')
    if (!handler) throw new Error('no app: handler registered')
    return Promise.resolve(handler(new Request(url, { method })))
  }

  it('is registered as a privileged standard, secure scheme before ready', () => {
    registerAppScheme(fake.protocol as never)
    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ])
  })

  it('serves the renderer with the CSP header', async () => {
    const page = await get(appEntryUrl)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toBe(contentSecurityPolicy)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await page.text()).toContain('<title>Pilot Light</title>')

    const script = await get('app://pilot-light/assets/index-abc123.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(script.headers.get('content-security-policy')).toBe(contentSecurityPolicy)

    expect((await get('app://pilot-light/')).status).toBe(200)
  })

  it('404s unknown files, with the CSP header too', async () => {
    const missing = await get('app://pilot-light/nope.js')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-security-policy')).toBe(contentSecurityPolicy)
    expect((await get('app://pilot-light/assets')).status).toBe(404) // a folder is not a file
  })

  it.each([
    'app://pilot-light/../package.json',
    'app://pilot-light/../../package.json',
    'app://pilot-light/..%2Fpackage.json',
    'app://pilot-light/..%2F..%2Fpackage.json',
    'app://pilot-light/%2e%2e/package.json',
    'app://pilot-light/%2e%2e%2f%2e%2e%2fpackage.json',
    'app://pilot-light/assets/..%2F..%2Fsecret.txt',
    'app://pilot-light/..%5C..%5Cpackage.json',
    'app://pilot-light/index.html%00.js',
    'app://pilot-light/linked.json',
    'app://elsewhere/index.html',
  ])('refuses %s', async (url) => {
    const response = await get(url)
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy)
    expect(await response.text()).not.toContain(secret)
  })

  it('refuses an absolute path smuggled in the URL', async () => {
    const response = await serveAppRequest(
      new Request(`app://pilot-light/${encodeURIComponent(join(root, 'package.json'))}`),
      renderer,
    )
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(await response.text()).not.toContain(secret)
  })

  it('maps URLs to files below the renderer folder only, before touching the disk', () => {
    const folder = resolve('/srv/pilot-light/renderer')
    expect(resolveAppPath('app://pilot-light/assets/a.js', folder)).toEqual({
      kind: 'file',
      path: join(folder, 'assets', 'a.js'),
    })
    expect(resolveAppPath('app://pilot-light', folder)).toEqual({
      kind: 'file',
      path: join(folder, 'index.html'),
    })
    for (const url of [
      'app://pilot-light/..%2F..%2Fpackage.json',
      'app://pilot-light/assets/..%2F..%2F..%2Fetc%2Fpasswd',
      'app://pilot-light/%00',
      'app://pilot-light/%E0%A4%A',
      'app://elsewhere/index.html',
      'https://pilot-light/index.html',
    ]) {
      expect(resolveAppPath(url, folder).kind, url).toBe('refused')
    }
  })

  it('answers only GET and HEAD', async () => {
    expect((await get(appEntryUrl, 'POST')).status).toBe(405)
    const head = await get(appEntryUrl, 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})

describe('launch options', () => {
  it('take --site and --data from the command line before the environment', () => {
    expect(
      readLaunchOptions(
        ['electron', '.', '--site', 'north.yaml', '--data=/var/pl'],
        { PILOT_LIGHT_SITE: 'env.yaml' },
        '/work',
      ),
    ).toEqual({ sitePath: resolve('/work', 'north.yaml'), dataDir: '/var/pl' })
    expect(
      readLaunchOptions(
        ['pilot-light'],
        { PILOT_LIGHT_SITE: 'env.yaml', PILOT_LIGHT_DATA: 'd' },
        '/w',
      ),
    ).toEqual({
      sitePath: resolve('/w', 'env.yaml'),
      dataDir: resolve('/w', 'd'),
    })
    expect(readLaunchOptions(['pilot-light', '--site'], {}, '/w')).toEqual({
      sitePath: null,
      dataDir: null,
    })
  })
})

describe('main process wiring', () => {
  const saved = {
    argv: process.argv,
    site: process.env.PILOT_LIGHT_SITE,
    data: process.env.PILOT_LIGHT_DATA,
  }

  beforeEach(() => {
    vi.resetModules()
    delete process.env.PILOT_LIGHT_SITE
    delete process.env.PILOT_LIGHT_DATA
  })

  afterEach(() => {
    process.argv = saved.argv
    if (saved.site === undefined) delete process.env.PILOT_LIGHT_SITE
    else process.env.PILOT_LIGHT_SITE = saved.site
    if (saved.data === undefined) delete process.env.PILOT_LIGHT_DATA
    else process.env.PILOT_LIGHT_DATA = saved.data
  })

  async function launch(argv: string[] = []): Promise<void> {
    process.argv = ['/opt/electron', '.', ...argv]
    await import('../../src/main/index')
  }

  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  it('hardens the app and registers the scheme before ready', async () => {
    await launch()
    expect(fake.app.requestSingleInstanceLock).toHaveBeenCalled()
    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1)
    expect(fake.app.enableSandbox).toHaveBeenCalled()
    expect(fake.app.listenerCount('web-contents-created')).toBe(1)
    expect(fake.windows).toHaveLength(0)
  })

  it('creates the console window with the hardened preferences and the app:// entry', async () => {
    await launch()
    fake.app.becomeReady()
    await settle()
    expect(fake.windows).toHaveLength(1)
    const [window] = fake.windows
    expect(window?.options).toMatchObject({
      width: 1440,
      height: 900,
      minWidth: 1024,
      minHeight: 640,
      title: 'Pilot Light',
      backgroundColor: '#d9d9d9',
      show: false,
    })
    const preferences = window?.options.webPreferences as Record<string, unknown>
    expect(preferences).toEqual(secureWebPreferences(String(preferences.preload), false))
    expect(String(preferences.preload)).toMatch(/preload[/\\]index\.cjs$/)
    expect(window?.loadURL).toHaveBeenCalledWith(appEntryUrl)
    expect(fake.protocol.handlers.has('app')).toBe(true)
    expect(fake.session.setPermissionRequestHandler).toHaveBeenCalled()
    expect(fake.menu.setApplicationMenu).toHaveBeenCalled()

    expect(window?.visible).toBe(false)
    window?.emit('ready-to-show')
    expect(window?.visible).toBe(true)
  })

  it.each([
    { packaged: true, devTools: false },
    { packaged: false, devTools: true },
  ])('gives the window DevTools only in development (packaged: $packaged)', async (build) => {
    fake.app.isPackaged = build.packaged
    await launch()
    fake.app.becomeReady()
    await settle()
    const preferences = fake.windows[0]?.options.webPreferences as Record<string, unknown>
    expect(preferences.devTools).toBe(build.devTools)
    // The View menu's Toggle Developer Tools (and its shortcut) is the only way in.
    const template = JSON.stringify(fake.menu.lastTemplate)
    expect(template.includes('toggleDevTools')).toBe(build.devTools)
  })

  it('sends window.open through the openExternal allowlist, which ships empty', async () => {
    await launch()
    fake.app.becomeReady()
    await settle()
    const contents = new FakeWebContents()
    fake.app.emit('web-contents-created', fakeEvent(), contents)
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true)
    try {
      for (const url of ['https://example.com/', ...hostileUrls]) {
        expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' })
      }
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining('refused to open'))
    } finally {
      stderr.mockRestore()
    }
    expect(fake.shell.openExternal).not.toHaveBeenCalled()
  })

  it('starts the backend on the userData folder and wires the window to it', async () => {
    await launch(['--site', 'sites/north.yaml'])
    fake.app.becomeReady()
    await settle()
    const [child] = fake.utilities
    expect(child?.modulePath).toMatch(/backend\.js$/)
    expect(child?.args).toEqual([
      '--data',
      '/tmp/pilot-light-fake/user-data',
      '--site',
      resolve('sites/north.yaml'),
    ])
    expect(child?.options).toEqual({ serviceName: 'Pilot Light backend', stdio: 'pipe' })

    const contents = fake.windows[0]?.webContents
    contents?.finishLoad()
    child?.ready()
    expect(contents?.postMessage).toHaveBeenCalledWith(desktopIpc.backendPort, null, [
      fake.channels[0]?.port2,
    ])

    fake.app.emit('will-quit')
    expect(child?.kill).toHaveBeenCalled()
  })

  it('uses --data as the userData folder, before taking the single-instance lock', async () => {
    await launch(['--data', '/srv/pilot-light'])
    expect(fake.app.setPath).toHaveBeenCalledWith('userData', '/srv/pilot-light')
    expect(fake.app.setPath.mock.invocationCallOrder[0]).toBeLessThan(
      fake.app.requestSingleInstanceLock.mock.invocationCallOrder[0] ?? 0,
    )
  })

  it('reloads a crashed renderer once, not in a loop', async () => {
    await launch()
    fake.app.becomeReady()
    await settle()
    const [window] = fake.windows
    const crashed = { reason: 'crashed', exitCode: 11 }
    window?.webContents.emit('render-process-gone', fakeEvent(), crashed)
    window?.webContents.emit('render-process-gone', fakeEvent(), crashed)
    expect(window?.reload).toHaveBeenCalledTimes(1)
  })

  it('quits when another console already runs on this data folder', async () => {
    fake.app.requestSingleInstanceLock.mockReturnValue(false)
    await launch()
    fake.app.becomeReady()
    await settle()
    expect(fake.app.quit).toHaveBeenCalled()
    expect(fake.windows).toHaveLength(0)
    expect(fake.utilities).toHaveLength(0)
  })

  it('quits when the last window closes (outside macOS)', async () => {
    await launch()
    fake.app.emit('window-all-closed')
    if (process.platform === 'darwin') expect(fake.app.quit).not.toHaveBeenCalled()
    else expect(fake.app.quit).toHaveBeenCalled()
  })
})

describe('preload', () => {
  const ports: MessagePort[] = []

  beforeEach(() => {
    vi.resetModules()
  })

  afterEach(() => {
    for (const port of ports.splice(0)) port.close()
  })

  async function loadPreload(): Promise<PilotLightApi> {
    await import('../../src/preload/index')
    const api = fake.contextBridge.exposed.get('pilotLight')
    if (!api) throw new Error('nothing exposed as pilotLight')
    return api as PilotLightApi
  }

  function handOverPort(event: Record<string, unknown> = {}): MessagePort {
    const channel = new MessageChannel()
    ports.push(channel.port1, channel.port2)
    fake.ipcRenderer.emit(desktopIpc.backendPort, { ports: [channel.port2], ...event })
    return channel.port1
  }

  it('exposes only the named client functions', async () => {
    const api = await loadPreload()
    expect(fake.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
    expect(Object.keys(api).sort()).toEqual([...requestChannels, 'onEvent', 'onLink'].sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
    for (const forbidden of ['invoke', 'send', 'ipcRenderer', 'process', 'env', 'require']) {
      expect(api).not.toHaveProperty(forbidden)
    }
  })

  it('keeps zod from probing eval, which the CSP forbids', async () => {
    await loadPreload()
    expect(z.config().jitless).toBe(true)
  })

  it('talks to the backend over the port main hands over, and follows the backend state', async () => {
    const api = await loadPreload()
    const links: LinkState[] = []
    api.onLink((state) => links.push(state))
    expect(links.at(-1)?.status).toBe('connecting')

    const backend = handOverPort()
    expect(links.at(-1)?.status).toBe('connected')
    backend.on('message', (message: { id: number; channel: string }) => {
      expect(message.channel).toBe('getSources')
      backend.postMessage({ kind: 'response', id: message.id, ok: true, value: { sources: [] } })
    })
    expect(await api.getSources({})).toEqual({ ok: true, value: { sources: [] } })

    fake.ipcRenderer.emit(
      desktopIpc.backendState,
      {},
      { status: 'disconnected', detail: 'The backend stopped' },
    )
    expect(links.at(-1)).toEqual({ status: 'disconnected', detail: 'The backend stopped' })
    const failed = await api.getSources({})
    expect(failed.ok).toBe(false)

    // A new port after the restart: connected again, over the new port.
    const restarted = handOverPort()
    expect(links.at(-1)?.status).toBe('connected')
    restarted.on('message', (message: { id: number }) =>
      restarted.postMessage({ kind: 'response', id: message.id, ok: true, value: { sources: [] } }),
    )
    expect((await api.getSources({})).ok).toBe(true)
  })

  it('ignores messages that do not come from main', async () => {
    const api = await loadPreload()
    const links: LinkState[] = []
    api.onLink((state) => links.push(state))
    handOverPort({ senderId: 7 })
    fake.ipcRenderer.emit(
      desktopIpc.backendState,
      { senderId: 7 },
      { status: 'connected', detail: 'forged' },
    )
    expect(links.map((state) => state.status)).toEqual(['connecting'])
  })
})
