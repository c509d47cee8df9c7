import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  app,
  BrowserWindow,
  Menu,
  MessageChannelMain,
  protocol,
  session,
  shell,
  utilityProcess,
  type MenuItemConstructorOptions,
} from 'electron'
import { systemScheduler } from '../shared/scheduler'
import { startBackend, type BackendHost } from './backend-process'
import { readLaunchOptions } from './options'
import { handleAppProtocol, registerAppScheme } from './protocol'
import {
  appEntryUrl,
  externalLinkOrigins,
  hardenApp,
  hardenSession,
  secureWebPreferences,
} from './security'

// The Electron main process: windows, menus, security policy, and the backend's life cycle.
// Nothing else lives here (DESIGN.md §2): all I/O and state belong to the backend.

// Built layout (electron.vite.config.ts): out/main/{index,backend}.js, out/preload/index.cjs,
// out/renderer/index.html.
const mainDir = dirname(fileURLToPath(import.meta.url))
const paths = {
  backend: join(mainDir, 'backend.js'),
  preload: join(mainDir, '../preload/index.cjs'),
  renderer: join(mainDir, '../renderer'),
}

/** Main's own diagnostics go to stderr (ESLint forbids console here); the backend logs its own. */
const report = (message: string): void => {
  process.stderr.write(`Pilot Light main: ${message}\n`)
}

const options = readLaunchOptions(process.argv, process.env, process.cwd())
let window: BrowserWindow | null = null
let backend: BackendHost | null = null

function createWindow(host: BackendHost): BrowserWindow {
  const created = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    title: 'Pilot Light',
    // ISA-101 calm grey, painted before the page so a control room never sees a white flash.
    backgroundColor: '#d9d9d9',
    show: false,
    webPreferences: secureWebPreferences(paths.preload, app.isPackaged),
  })
  created.once('ready-to-show', () => created.show())
  // A crashed renderer must not leave a blank console: load it again (the backend keeps running,
  // so the page comes back with live values). A page that crashes again within 10 s is left alone
  // rather than reloaded in a loop; View > Reload is still there.
  let lastReload = 0
  created.webContents.on('render-process-gone', (_event, details) => {
    const now = Date.now()
    const reload = details.reason !== 'clean-exit' && now - lastReload > 10_000
    report(`the window's renderer stopped (${details.reason})${reload ? '; reloading' : ''}`)
    if (!reload || created.isDestroyed()) return
    lastReload = now
    created.reload()
  })
  created.on('closed', () => {
    if (window === created) window = null
  })
  host.attach(created.webContents)
  created
    .loadURL(appEntryUrl)
    .catch((error: unknown) => report(`could not load the console: ${String(error)}`))
  return created
}

function buildMenu(): Menu {
  const mac = process.platform === 'darwin'
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    // The only way this code opens DevTools, and its Ctrl+Shift+I accelerator: development only
    // (devTools is off in packaged builds too, secureWebPreferences).
    ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as const]),
    { type: 'separator' },
    // Control rooms run on anything from laptops to wall screens: zoom matters.
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ]
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    // Copy and paste shortcuts on macOS need an Edit menu.
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ]
  return Menu.buildFromTemplate(template)
}

async function start(): Promise<void> {
  await app.whenReady()
  hardenSession(session.defaultSession)
  handleAppProtocol(protocol, paths.renderer)
  Menu.setApplicationMenu(buildMenu())
  const host = startBackend({
    modulePath: paths.backend,
    dataDir: app.getPath('userData'),
    sitePath: options.sitePath,
    fork: (modulePath, args, forkOptions) => utilityProcess.fork(modulePath, args, forkOptions),
    createChannel: () => new MessageChannelMain(),
    scheduler: systemScheduler,
    output: process.stderr,
  })
  backend = host
  window = createWindow(host)
  // macOS convention: clicking the dock icon with no window open opens one.
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow(host)
  })
}

// `--data DIR` / PILOT_LIGHT_DATA: a separate data folder (tests, a second site on one laptop). Set
// before taking the lock, which Electron keys on the userData folder.
if (options.dataDir) app.setPath('userData', options.dataDir)

// One console per data folder: a second launch focuses the first instead of starting a second
// backend on the same journal.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  // Both must happen before `ready`.
  registerAppScheme(protocol)
  hardenApp(app, { shell, allowedOrigins: externalLinkOrigins, report })

  app.on('second-instance', () => {
    if (!window) return
    if (window.isMinimized()) window.restore()
    window.show()
    window.focus()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', () => {
    backend?.dispose()
    backend = null
  })
  start().catch((error: unknown) => {
    report(
      `could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    app.exit(1)
  })
}
