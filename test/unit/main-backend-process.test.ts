import { PassThrough } from 'node:stream'
import type { MessagePortMain } from 'electron'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  backendServiceName,
  startBackend,
  type BackendClient,
  type BackendHost,
  type BackendHostOptions,
} from '../../src/main/backend-process'
import { desktopIpc } from '../../src/shared/api/desktop'
import {
  FakeMessageChannelMain,
  FakeUtilityProcess,
  FakeWebContents,
  resetFakeElectron,
} from '../support/fake-electron'
import { ManualScheduler } from '../support/manual-scheduler'

// The backend supervisor in main, driven with a fake utilityProcess.fork and fake time.

let scheduler: ManualScheduler
let output: PassThrough
let written: string
let host: BackendHost | null

const fork = vi.fn(
  (modulePath: string, args: string[], options: object) =>
    new FakeUtilityProcess(modulePath, args, options as Record<string, unknown>),
)

function start(overrides: Partial<BackendHostOptions> = {}): BackendHost {
  host = startBackend({
    modulePath: '/app/out/main/backend.js',
    dataDir: '/data',
    sitePath: null,
    fork,
    createChannel: () =>
      new FakeMessageChannelMain() as unknown as { port1: MessagePortMain; port2: MessagePortMain },
    scheduler,
    output,
    ...overrides,
  })
  return host
}

const children = (): FakeUtilityProcess[] => FakeUtilityProcess.instances
const latest = (): FakeUtilityProcess => {
  const child = children().at(-1)
  if (!child) throw new Error('no backend started')
  return child
}

function loadedWindow(backend: BackendHost): FakeWebContents {
  const contents = new FakeWebContents()
  backend.attach(contents as unknown as BackendClient)
  contents.finishLoad()
  return contents
}

/** The ports a window has received, in order. */
function portsOf(contents: FakeWebContents): unknown[] {
  return contents.postMessage.mock.calls
    .filter(([channel]) => channel === desktopIpc.backendPort)
    .map(([, message, transfer]) => {
      expect(message).toBeNull()
      expect(transfer).toHaveLength(1)
      return transfer?.[0]
    })
}

/** The link states a window has been told, in order. */
function statesOf(contents: FakeWebContents): unknown[] {
  return contents.send.mock.calls
    .filter(([channel]) => channel === desktopIpc.backendState)
    .map(([, state]) => state)
}

/** Crashes the latest backend and returns how long main waited before starting the next one. */
async function crashAndMeasureRestart(code = 1): Promise<number> {
  const before = children().length
  latest().exit(code)
  let waited = 0
  while (children().length === before) {
    await scheduler.advance(1)
    waited += 1
    if (waited > 60_000) throw new Error('no restart within a minute')
  }
  return waited
}

beforeEach(() => {
  resetFakeElectron()
  fork.mockClear()
  scheduler = new ManualScheduler()
  output = new PassThrough()
  written = ''
  output.on('data', (chunk: Buffer) => (written += chunk.toString()))
  host = null
})

afterEach(() => {
  host?.dispose()
})

describe('starting the backend', () => {
  it('forks the backend entry with the data folder, the site file, a service name and piped output', () => {
    start({ sitePath: '/sites/north-works.yaml' })
    expect(fork).toHaveBeenCalledTimes(1)
    expect(fork).toHaveBeenCalledWith(
      '/app/out/main/backend.js',
      ['--data', '/data', '--site', '/sites/north-works.yaml'],
      { serviceName: backendServiceName, stdio: 'pipe' },
    )
    expect(backendServiceName).toBe('Pilot Light backend')
  })

  it('passes no --site when there is no site file, so the backend runs the demo site', () => {
    start()
    expect(fork.mock.calls[0]?.[1]).toEqual(['--data', '/data'])
  })

  it("forwards the backend's stdout and stderr", async () => {
    start()
    latest().stdout.write('journal opened\n')
    latest().stderr.write('opc ua: retrying\n')
    await new Promise((resolve) => setImmediate(resolve))
    expect(written).toContain('journal opened\n')
    expect(written).toContain('opc ua: retrying\n')
  })
})

describe('connecting windows', () => {
  it('hands a loaded window a port once the backend is ready, and the backend the other end', () => {
    const backend = start()
    const contents = loadedWindow(backend)
    expect(portsOf(contents)).toEqual([]) // not ready yet

    latest().ready()
    const channel = FakeMessageChannelMain.instances.at(-1)
    expect(portsOf(contents)).toEqual([channel?.port2])
    expect(latest().postMessage).toHaveBeenCalledWith({ type: 'connect' }, [channel?.port1])
  })

  it('waits for the page to load before handing over a port', () => {
    const backend = start()
    latest().ready()
    const contents = new FakeWebContents()
    backend.attach(contents as unknown as BackendClient)
    expect(portsOf(contents)).toEqual([])
    contents.finishLoad()
    expect(portsOf(contents)).toHaveLength(1)
  })

  it('hands a new port after every reload of the page', () => {
    const backend = start()
    latest().ready()
    const contents = loadedWindow(backend)
    contents.finishLoad()
    const ports = portsOf(contents)
    expect(ports).toHaveLength(2)
    expect(ports[0]).not.toBe(ports[1])
    expect(latest().postMessage).toHaveBeenCalledTimes(2)
  })

  it('forgets a destroyed window', async () => {
    const backend = start()
    latest().ready()
    const contents = loadedWindow(backend)
    contents.destroy()
    latest().exit(1)
    await scheduler.advance(250)
    latest().ready()
    expect(portsOf(contents)).toHaveLength(1)
    expect(statesOf(contents)).toEqual([])
  })

  it('stops serving a detached window', () => {
    const backend = start()
    const contents = new FakeWebContents()
    const detach = backend.attach(contents as unknown as BackendClient)
    contents.finishLoad()
    detach()
    latest().ready()
    expect(portsOf(contents)).toEqual([])
  })
})

describe('when the backend stops', () => {
  it('tells every window, restarts after the backoff and hands every window a new port', async () => {
    const backend = start()
    const first = loadedWindow(backend)
    const second = loadedWindow(backend)
    latest().ready()
    const oldPorts = [...portsOf(first), ...portsOf(second)]
    expect(oldPorts).toHaveLength(2)

    latest().exit(3)
    const disconnected = {
      status: 'disconnected',
      detail: 'The backend stopped (exit code 3); restarting…',
    }
    expect(statesOf(first)).toEqual([disconnected])
    expect(statesOf(second)).toEqual([disconnected])

    await scheduler.advance(249)
    expect(fork).toHaveBeenCalledTimes(1)
    await scheduler.advance(1)
    expect(fork).toHaveBeenCalledTimes(2)
    expect(backend.starts()).toBe(2)
    expect(fork.mock.calls[1]).toEqual(fork.mock.calls[0]) // same entry, same arguments

    // The new backend takes connections only once it says it is ready.
    expect(portsOf(first)).toHaveLength(1)
    latest().ready()
    const newFirst = portsOf(first)[1]
    const newSecond = portsOf(second)[1]
    expect(newFirst).toBeDefined()
    expect(newSecond).toBeDefined()
    expect(oldPorts).not.toContain(newFirst)
    expect(oldPorts).not.toContain(newSecond)
    expect(newFirst).not.toBe(newSecond)
    expect(latest().postMessage).toHaveBeenCalledTimes(2)
  })

  it('doubles the backoff on repeated quick crashes, up to 5 s', async () => {
    start()
    const delays: number[] = []
    for (let crash = 0; crash < 7; crash++) delays.push(await crashAndMeasureRestart())
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000])
  })

  it('starts the backoff over after the backend ran healthy for 30 s', async () => {
    start()
    expect(await crashAndMeasureRestart()).toBe(250)
    expect(await crashAndMeasureRestart()).toBe(500)
    expect(await crashAndMeasureRestart()).toBe(1000)
    latest().ready()
    await scheduler.advance(30_000)
    expect(await crashAndMeasureRestart()).toBe(250)
    expect(await crashAndMeasureRestart()).toBe(500)
  })

  it('keeps backing off while the backend keeps stopping before 30 s', async () => {
    start()
    expect(await crashAndMeasureRestart()).toBe(250)
    await scheduler.advance(29_000)
    expect(await crashAndMeasureRestart()).toBe(500)
  })

  it('includes the fatal error the backend reported', () => {
    const backend = start()
    const contents = loadedWindow(backend)
    latest().emit('message', {
      type: 'fatal',
      message: 'site file north.yaml: line 4: sources[0].port',
    })
    latest().exit(1)
    expect(statesOf(contents)).toEqual([
      {
        status: 'disconnected',
        detail:
          'The backend stopped (exit code 1); restarting… Reason: site file north.yaml: line 4: sources[0].port',
      },
    ])
  })

  it('retries when the backend cannot even be forked', async () => {
    let failures = 1
    const flaky = vi.fn((modulePath: string, args: string[], options: object) => {
      if (failures-- > 0) throw new Error('spawn EACCES')
      return new FakeUtilityProcess(modulePath, args, options as Record<string, unknown>)
    })
    const backend = start({ fork: flaky })
    const contents = new FakeWebContents()
    backend.attach(contents as unknown as BackendClient)
    expect(children()).toHaveLength(0)
    await scheduler.advance(250)
    expect(children()).toHaveLength(1)
    contents.finishLoad()
    latest().ready()
    expect(portsOf(contents)).toHaveLength(1)
  })

  it('ignores messages and exits from a backend it already replaced', async () => {
    const backend = start()
    const contents = loadedWindow(backend)
    const old = latest()
    old.exit(1)
    await scheduler.advance(250)
    old.emit('message', { type: 'ready' })
    old.emit('exit', 1)
    expect(portsOf(contents)).toEqual([])
    expect(statesOf(contents)).toHaveLength(1)
    expect(scheduler.pending()).toBe(0)
  })
})

describe('dispose', () => {
  it('kills the backend and does not restart it', async () => {
    const backend = start()
    const contents = loadedWindow(backend)
    const child = latest()
    backend.dispose()
    host = null
    expect(child.kill).toHaveBeenCalledTimes(1)
    await scheduler.advance(60_000)
    expect(fork).toHaveBeenCalledTimes(1)
    expect(statesOf(contents)).toEqual([])
  })

  it('cancels a restart that was waiting for its backoff', async () => {
    const backend = start()
    latest().exit(1)
    expect(scheduler.pending()).toBe(1)
    backend.dispose()
    host = null
    expect(scheduler.pending()).toBe(0)
    await scheduler.advance(60_000)
    expect(fork).toHaveBeenCalledTimes(1)
  })
})
