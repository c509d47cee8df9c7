import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { vi } from 'vitest'

// A hand-written stand-in for the `electron` module, for unit tests of src/main and src/preload
// (the Electron runtime cannot be installed on our machines, DESIGN.md §1). It records what the
// code under test asked for and lets the test fire the events Electron would fire.
//
//   vi.mock('electron', async () => (await import('../support/fake-electron')).fakeElectron)
//
// Only the calls Pilot Light makes are here. Call resetFakeElectron() in beforeEach.

type Listener = (...args: never[]) => unknown

/** An Electron-style event: `preventDefault()` plus the event's own fields. */
export type FakeEvent<Params extends object = object> = Params & {
  preventDefault: () => void
  readonly defaultPrevented: boolean
}

export function fakeEvent<Params extends object>(params: Params = {} as Params): FakeEvent<Params> {
  let prevented = false
  return Object.assign(Object.create(null) as object, params, {
    preventDefault: vi.fn(() => {
      prevented = true
    }),
    get defaultPrevented() {
      return prevented
    },
  }) as FakeEvent<Params>
}

export class FakeWebContents extends EventEmitter {
  private static nextId = 1
  readonly id = FakeWebContents.nextId++
  destroyed = false
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null
  readonly postMessage = vi.fn((_channel: string, _message: unknown, _transfer?: unknown[]) => {
    if (this.destroyed) throw new Error('Object has been destroyed')
  })
  readonly send = vi.fn((_channel: string, ..._args: unknown[]) => {
    if (this.destroyed) throw new Error('Object has been destroyed')
  })
  readonly isDestroyed = (): boolean => this.destroyed
  readonly setWindowOpenHandler = vi.fn((handler: FakeWebContents['windowOpenHandler']) => {
    this.windowOpenHandler = handler
  })

  /** Simulates the page finishing loading (first load or reload). */
  finishLoad(): void {
    this.emit('did-finish-load')
  }

  destroy(): void {
    this.destroyed = true
    this.emit('destroyed')
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static get instances(): FakeBrowserWindow[] {
    return shared.windows
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return shared.windows.filter((window) => !window.destroyed)
  }

  readonly webContents = new FakeWebContents()
  destroyed = false
  visible = false
  readonly loadURL = vi.fn(async (_url: string) => {})
  readonly show = vi.fn(() => {
    this.visible = true
  })
  readonly focus = vi.fn()
  readonly restore = vi.fn()
  readonly reload = vi.fn()
  readonly isMinimized = (): boolean => false
  readonly isDestroyed = (): boolean => this.destroyed

  constructor(readonly options: Record<string, unknown> = {}) {
    super()
    shared.windows.push(this)
  }
}

export class FakeMessagePortMain extends EventEmitter {
  private static nextId = 1
  readonly id = FakeMessagePortMain.nextId++
  closed = false
  readonly postMessage = vi.fn()
  readonly start = vi.fn()
  readonly close = vi.fn(() => {
    this.closed = true
  })
}

export class FakeMessageChannelMain {
  static get instances(): FakeMessageChannelMain[] {
    return shared.channels
  }
  readonly port1 = new FakeMessagePortMain()
  readonly port2 = new FakeMessagePortMain()
  constructor() {
    shared.channels.push(this)
  }
}

export class FakeUtilityProcess extends EventEmitter {
  static get instances(): FakeUtilityProcess[] {
    return shared.utilities
  }
  pid: number | undefined = 4000 + shared.utilities.length
  readonly stdout = new PassThrough()
  readonly stderr = new PassThrough()
  /** Each postMessage: the message and the ports that travelled with it. */
  readonly postMessage = vi.fn((_message: unknown, _transfer?: unknown[]) => {})
  readonly kill = vi.fn(() => {
    if (this.pid === undefined) return false
    this.exit(0)
    return true
  })

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super()
    shared.utilities.push(this)
  }

  /** The backend reports it can take connections (UtilityReport 'ready'). */
  ready(): void {
    this.emit('message', { type: 'ready' })
  }

  /** The child ends, as Electron reports it. */
  exit(code: number): void {
    this.pid = undefined
    this.emit('exit', code)
  }
}

export class FakeSession {
  permissionRequestHandler: Listener | null = null
  permissionCheckHandler: Listener | null = null
  devicePermissionHandler: Listener | null = null
  readonly beforeRequest: { filter: { urls: string[] }; listener: Listener }[] = []
  readonly setPermissionRequestHandler = vi.fn((handler: Listener | null) => {
    this.permissionRequestHandler = handler
  })
  readonly setPermissionCheckHandler = vi.fn((handler: Listener | null) => {
    this.permissionCheckHandler = handler
  })
  readonly setDevicePermissionHandler = vi.fn((handler: Listener | null) => {
    this.devicePermissionHandler = handler
  })
  readonly webRequest = {
    onBeforeRequest: vi.fn((filter: { urls: string[] }, listener: Listener) => {
      this.beforeRequest.push({ filter, listener })
    }),
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false
  readonly paths = new Map<string, string>([['userData', '/tmp/pilot-light-fake/user-data']])
  readonly requestSingleInstanceLock = vi.fn(() => true)
  readonly enableSandbox = vi.fn()
  readonly quit = vi.fn()
  readonly exit = vi.fn()
  readonly getPath = vi.fn((name: string) => {
    const path = this.paths.get(name)
    if (!path) throw new Error(`Fake app has no path named ${name}`)
    return path
  })
  readonly setPath = vi.fn((name: string, path: string) => {
    this.paths.set(name, path)
  })
  private resolveReady: () => void = () => {}
  private readonly readyPromise = new Promise<void>((resolve) => {
    this.resolveReady = resolve
  })
  readonly whenReady = vi.fn(() => this.readyPromise)

  /** Fires Electron's `ready`. */
  becomeReady(): void {
    this.resolveReady()
    this.emit('ready')
  }
}

class FakeProtocol {
  readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>()
  readonly registerSchemesAsPrivileged = vi.fn()
  readonly handle = vi.fn(
    (scheme: string, handler: (request: Request) => Response | Promise<Response>) => {
      this.handlers.set(scheme, handler)
    },
  )
}

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Listener>()
  readonly handle = vi.fn((channel: string, listener: Listener) => {
    this.handlers.set(channel, listener)
  })
}

class FakeContextBridge {
  readonly exposed = new Map<string, unknown>()
  readonly exposeInMainWorld = vi.fn((key: string, api: unknown) => {
    this.exposed.set(key, api)
  })
}

function createMenu() {
  const menu = {
    lastTemplate: null as unknown,
    buildFromTemplate: vi.fn((template: unknown) => {
      menu.lastTemplate = template
      return { template }
    }),
    setApplicationMenu: vi.fn(),
  }
  return menu
}

function createState() {
  return {
    app: new FakeApp(),
    protocol: new FakeProtocol(),
    defaultSession: new FakeSession(),
    ipcMain: new FakeIpcMain(),
    ipcRenderer: new EventEmitter(),
    contextBridge: new FakeContextBridge(),
    menu: createMenu(),
    shell: { openExternal: vi.fn(async (_url: string) => {}) },
  }
}

// Tests call vi.resetModules() to run src/main/index.ts or the preload again, which loads this file
// afresh inside the `electron` mock. The state lives on globalThis so that every copy of this file
// (the test's and the mock's) sees the same fake.
type Shared = {
  state: ReturnType<typeof createState>
  windows: FakeBrowserWindow[]
  channels: FakeMessageChannelMain[]
  utilities: FakeUtilityProcess[]
}
const sharedKey = Symbol.for('pilot-light.test.fake-electron')
const holder = globalThis as typeof globalThis & { [sharedKey]?: Shared }
const shared: Shared = (holder[sharedKey] ??= {
  state: createState(),
  windows: [],
  channels: [],
  utilities: [],
})
const state = {
  get app() {
    return shared.state.app
  },
  get protocol() {
    return shared.state.protocol
  },
  get defaultSession() {
    return shared.state.defaultSession
  },
  get ipcMain() {
    return shared.state.ipcMain
  },
  get ipcRenderer() {
    return shared.state.ipcRenderer
  },
  get contextBridge() {
    return shared.state.contextBridge
  },
  get menu() {
    return shared.state.menu
  },
  get shell() {
    return shared.state.shell
  },
}

/** Everything the fake module exports, as live getters so resetFakeElectron() takes effect. */
export const fakeElectron = {
  get app() {
    return state.app
  },
  get protocol() {
    return state.protocol
  },
  get session() {
    return { defaultSession: state.defaultSession }
  },
  get ipcMain() {
    return state.ipcMain
  },
  get ipcRenderer() {
    return state.ipcRenderer
  },
  get contextBridge() {
    return state.contextBridge
  },
  get Menu() {
    return state.menu
  },
  get shell() {
    return state.shell
  },
  BrowserWindow: FakeBrowserWindow,
  MessageChannelMain: FakeMessageChannelMain,
  utilityProcess: {
    fork: vi.fn(
      (modulePath: string, args: string[] = [], options: Record<string, unknown> = {}) => {
        return new FakeUtilityProcess(modulePath, args, options)
      },
    ),
  },
  get default() {
    return fakeElectron
  },
}

/** The fake's recorded state, for assertions. */
export const fake = {
  get app() {
    return state.app
  },
  get protocol() {
    return state.protocol
  },
  get session() {
    return state.defaultSession
  },
  get ipcMain() {
    return state.ipcMain
  },
  get ipcRenderer() {
    return state.ipcRenderer
  },
  get contextBridge() {
    return state.contextBridge
  },
  get menu() {
    return state.menu
  },
  get shell() {
    return state.shell
  },
  windows: shared.windows,
  channels: shared.channels,
  utilities: shared.utilities,
}

/** A fresh fake: no windows, no processes, nothing registered. */
export function resetFakeElectron(): void {
  shared.state = createState()
  fakeElectron.utilityProcess.fork.mockClear()
  shared.windows.length = 0
  shared.channels.length = 0
  shared.utilities.length = 0
}
