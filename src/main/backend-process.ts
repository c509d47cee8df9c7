import type { ForkOptions, MessagePortMain } from 'electron'
import { desktopIpc, type UtilityCommand, type UtilityReport } from '../shared/api/desktop'
import type { LinkState } from '../shared/api/client'
import type { Cancel, Scheduler } from '../shared/scheduler'

// Runs the backend as an Electron utilityProcess and wires every window to it with its own
// MessagePort (DESIGN.md §2). Main never carries API traffic itself: the renderer and the backend
// talk port to port, so a slow backend cannot stall the main process and the window stays usable.
// If the backend dies, every window is told at once and the backend is restarted with backoff.
//
// Everything Electron-specific comes in as a parameter so the restart logic runs under unit tests
// with a fake fork and fake time.

/** The parts of an Electron UtilityProcess the host uses. */
export type BackendChild = {
  on(event: 'exit', listener: (code: number) => void): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
  postMessage(message: UtilityCommand, transfer: MessagePortMain[]): void
  kill(): boolean
  stdout: NodeJS.ReadableStream | null
  stderr: NodeJS.ReadableStream | null
}

/** `utilityProcess.fork`. */
export type ForkBackend = (modulePath: string, args: string[], options: ForkOptions) => BackendChild

/** The parts of a window's WebContents the host uses. */
export type BackendClient = {
  postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void
  send(channel: string, ...args: unknown[]): void
  isDestroyed(): boolean
  on(event: 'did-finish-load', listener: () => void): unknown
  once(event: 'destroyed', listener: () => void): unknown
}

export type Backoff = {
  /** Delay before the first restart after a crash. */
  initialMs: number
  /** The delay doubles with every quick crash up to this. */
  maxMs: number
  /** A backend that ran this long before it stopped counts as healthy: the delay starts over. */
  healthyMs: number
}

export const defaultBackoff: Backoff = { initialMs: 250, maxMs: 5_000, healthyMs: 30_000 }

export type BackendHostOptions = {
  /** The built backend entry, `out/main/backend.js`. */
  modulePath: string
  /** The data folder (journal, certificates, settings): `app.getPath('userData')`. */
  dataDir: string
  /** A site file; when absent the backend runs the demo site. */
  sitePath?: string | null
  fork: ForkBackend
  /** `() => new MessageChannelMain()`. */
  createChannel: () => { port1: MessagePortMain; port2: MessagePortMain }
  scheduler: Scheduler
  /** Where the backend's stdout and stderr go. */
  output?: NodeJS.WritableStream
  backoff?: Backoff
}

export type BackendHost = {
  /**
   * Gives a window a connection to the backend each time its page finishes loading (first load,
   * reload, renderer crash recovery) and after every backend restart. Attach before loading the
   * page. Returns a function that detaches it; a destroyed window detaches itself.
   */
  attach: (client: BackendClient) => () => void
  /** How many times the backend has been started, the first start included. */
  starts: () => number
  /** Stops the backend for good: no restart follows. */
  dispose: () => void
}

export const backendServiceName = 'Pilot Light backend'

function isReport(message: unknown): message is UtilityReport {
  if (typeof message !== 'object' || message === null) return false
  const { type } = message as { type?: unknown }
  return type === 'ready' || type === 'fatal'
}

export function startBackend(options: BackendHostOptions): BackendHost {
  const { modulePath, dataDir, sitePath, fork, createChannel, scheduler } = options
  const output = options.output ?? process.stderr
  const backoff = options.backoff ?? defaultBackoff
  const args = ['--data', dataDir, ...(sitePath ? ['--site', sitePath] : [])]

  const clients = new Map<BackendClient, { loaded: boolean }>()
  let child: BackendChild | null = null
  let ready = false
  let disposed = false
  let startedAt = 0
  let starts = 0
  let nextDelayMs = backoff.initialMs
  let cancelRestart: Cancel | null = null
  let lastError: string | null = null

  const tell = (client: BackendClient, state: LinkState): void => {
    if (client.isDestroyed()) return
    try {
      client.send(desktopIpc.backendState, state)
    } catch {
      // The window is closing; it will not need the news.
    }
  }

  const connect = (client: BackendClient): void => {
    if (!child || !ready || client.isDestroyed()) return
    const { port1, port2 } = createChannel()
    try {
      child.postMessage({ type: 'connect' }, [port1])
      client.postMessage(desktopIpc.backendPort, null, [port2])
    } catch (error) {
      // A window that navigates or closes at this instant gets a fresh port on its next load.
      port1.close()
      port2.close()
      output.write(`Pilot Light: could not connect a window to the backend: ${String(error)}\n`)
    }
  }

  const connectAll = (): void => {
    for (const [client, state] of clients) if (state.loaded) connect(client)
  }

  const stopped = (reason: string): void => {
    child = null
    ready = false
    if (disposed) return
    const detail = `The backend stopped (${reason}); restarting…${lastError ? ` Reason: ${lastError}` : ''}`
    for (const client of clients.keys()) tell(client, { status: 'disconnected', detail })
    // A backend that crashes straight away again must not spin: back off, and forgive it once it
    // has stayed up for a while.
    if (scheduler.now() - startedAt >= backoff.healthyMs) nextDelayMs = backoff.initialMs
    const delay = nextDelayMs
    nextDelayMs = Math.min(nextDelayMs * 2, backoff.maxMs)
    cancelRestart = scheduler.after(delay, spawn)
  }

  const forward = (stream: NodeJS.ReadableStream | null): void => {
    // Write chunk by chunk rather than pipe(): piping would end our stderr when the child's ends.
    stream?.on('data', (chunk: Buffer | string) => output.write(chunk))
  }

  function spawn(): void {
    cancelRestart = null
    if (disposed) return
    ready = false
    lastError = null
    startedAt = scheduler.now()
    starts += 1
    let current: BackendChild
    try {
      current = fork(modulePath, args, { serviceName: backendServiceName, stdio: 'pipe' })
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
      stopped('it could not be started')
      return
    }
    child = current
    forward(current.stdout)
    forward(current.stderr)
    current.on('message', (message) => {
      if (child !== current || !isReport(message)) return
      if (message.type === 'ready') {
        // Ports are handed out only once the backend listens for them (UtilityReport 'ready').
        ready = true
        connectAll()
        return
      }
      lastError = message.message
      output.write(`Pilot Light: the backend reported a fatal error: ${message.message}\n`)
    })
    current.on('exit', (code) => {
      if (child !== current) return
      stopped(`exit code ${code}`)
    })
  }

  spawn()

  return {
    attach: (client) => {
      const state = { loaded: false }
      clients.set(client, state)
      client.on('did-finish-load', () => {
        if (clients.get(client) !== state) return
        // The preload of a freshly loaded page has no port yet (the old one died with the page).
        state.loaded = true
        connect(client)
      })
      client.once('destroyed', () => {
        if (clients.get(client) === state) clients.delete(client)
      })
      return () => {
        if (clients.get(client) === state) clients.delete(client)
      }
    },
    starts: () => starts,
    dispose: () => {
      disposed = true
      cancelRestart?.()
      cancelRestart = null
      const running = child
      child = null
      ready = false
      clients.clear()
      running?.kill()
    },
  }
}
