import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { createOpcUaDriver } from '../../src/backend/field/opcua'
import type { FieldSink, SourceDriver } from '../../src/backend/field/driver'
import type { Logger } from '../../src/backend/log/logger'
import type { TagValue } from '../../src/shared/field/values'
import { systemScheduler, type Cancel, type Scheduler } from '../../src/shared/scheduler'
import type { OpcUaSource, Tag } from '../../src/shared/site/schema'
import { createLivePlant, type PlantReader } from '../../src/sim/live-plant'
import { findFreePort } from './ports'
import {
  startOpcUaSimServer,
  type OpcUaSimServer,
  type OpcUaSimServerOptions,
} from '../../src/sim/opcua-server'
export { waitFor } from './wait-for'

// What the OPC UA integration tests share: a recorder for what a driver reports, a scheduler that
// counts what is left scheduled, and a harness that starts simulator servers and drivers and stops
// every one of them after each test.

export type Status = Parameters<FieldSink['status']>[0]

/** Everything a driver reported, in order, and what it logged. */
export type Recorder = {
  sink: FieldSink
  logger: Logger
  values: TagValue[]
  statuses: Status[]
  logs: string[]
  latest: (tagId: string) => TagValue | undefined
  status: () => Status | undefined
}

export function createRecorder(): Recorder {
  const values: TagValue[] = []
  const statuses: Status[] = []
  const logs: string[] = []
  const logger: Logger = {
    debug: (message) => void logs.push(`debug ${message}`),
    info: (message) => void logs.push(`info ${message}`),
    warn: (message) => void logs.push(`warn ${message}`),
    error: (message) => void logs.push(`error ${message}`),
    child: () => logger,
  }
  return {
    sink: {
      values: (batch) => void values.push(...batch),
      status: (status) => void statuses.push(status),
    },
    logger,
    values,
    statuses,
    logs,
    latest: (tagId) => values.filter((value) => value.tagId === tagId).at(-1),
    status: () => statuses.at(-1),
  }
}

/** The real clock, counting what is scheduled and not yet run or cancelled. */
export function trackingScheduler(): Scheduler & { outstanding: () => number } {
  const live = new Set<number>()
  let next = 0
  return {
    now: systemScheduler.now,
    after: (ms, task): Cancel => {
      const id = next++
      live.add(id)
      const cancel = systemScheduler.after(ms, () => {
        live.delete(id)
        task()
      })
      return () => {
        live.delete(id)
        cancel()
      }
    },
    outstanding: () => live.size,
  }
}

/** Open handles of this process by kind (sockets, timers, watchers…). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo().sort()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

export const headerPressure: Tag = {
  id: 'plant-002.header.pressure',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.header.pressure',
  unit: 'bar',
}
/** Read in kPa through the scale, to prove raw * factor + offset is applied. */
export const boilerPressure: Tag = {
  id: 'plant-002.boiler-1.pressure',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.boiler-1.pressure',
  unit: 'kPa',
  scale: { factor: 100, offset: 0 },
}
export const unknownNode: Tag = {
  id: 'plant-002.boiler-1.missing',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.boiler-1.no-such-point',
  unit: 'bar',
}
export const malformedNode: Tag = {
  id: 'plant-002.boiler-1.malformed',
  source: 'ua-2',
  nodeId: 'this is not a node id',
  unit: 'bar',
}

/** Tags on the simulator's `bench.<n>` variables (its `extraPoints` option). */
export function benchTags(count: number): Tag[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `bench.${index}`,
    source: 'ua-2',
    nodeId: `ns=1;s=bench.${index}`,
    unit: '',
  }))
}

export function opcUaSource(port: number, overrides: Partial<OpcUaSource> = {}): OpcUaSource {
  return {
    id: 'ua-2',
    protocol: 'opcua',
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    securityMode: 'None',
    securityPolicy: 'None',
    samplingMs: 100,
    simulated: true,
    ...overrides,
  }
}

export const goodSince = (recorder: Recorder, tagId: string, sinceIndex = 0): TagValue[] =>
  recorder.values
    .slice(sinceIndex)
    .filter((value) => value.tagId === tagId && value.quality === 'good')

export type OpcUaHarness = {
  /** The folder of this file's tests; removed after them. */
  folder: () => string
  /** The console's data folder (its PKI is `<dataDir>/pki`). */
  dataDir: () => string
  /** The simulator's PKI folder, shared by the servers of this file. */
  serverPkiDir: () => string
  /** The scheduler of the current test's drivers; checked for leftovers after each test. */
  scheduler: () => ReturnType<typeof trackingScheduler>
  /** Starts a server on the file's shared plant, unless the test brings a plant of its own. */
  startServer: (
    port: number,
    options?: Omit<OpcUaSimServerOptions, 'port' | 'plant' | 'pkiDir'> & { plant?: PlantReader },
  ) => Promise<OpcUaSimServer>
  /** Starts a driver; `dataDir` gives it a console data folder (and PKI) of its own. */
  startDriver: (
    source: OpcUaSource,
    tags: Tag[],
    recorder: Recorder,
    options?: { dataDir?: string },
  ) => SourceDriver
}

/**
 * Registers the hooks of an OPC UA test file: one temporary folder for the file, and after each
 * test every driver disposed (with nothing of theirs left scheduled) and every server stopped.
 */
export function useOpcUaHarness(prefix: string): OpcUaHarness {
  const plant = createLivePlant({ seed: 7 })
  const servers: OpcUaSimServer[] = []
  const drivers: SourceDriver[] = []
  let folder = ''
  let scheduler = trackingScheduler()

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), `pilot-light-${prefix}-`))
  })

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.dispose()))
    // Nothing of the driver's own may still be scheduled once it is disposed.
    expect(scheduler.outstanding()).toBe(0)
    await Promise.all(servers.splice(0).map((server) => server.dispose()))
    scheduler = trackingScheduler()
  })

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true })
  })

  const harness: OpcUaHarness = {
    folder: () => folder,
    dataDir: () => join(folder, 'data'),
    serverPkiDir: () => join(folder, 'sim-pki'),
    scheduler: () => scheduler,
    startServer: async (port, options = {}) => {
      const server = await startOpcUaSimServer({
        plant,
        ...options,
        port,
        pkiDir: harness.serverPkiDir(),
      })
      servers.push(server)
      return server
    },
    startDriver: (source, tags, recorder, options = {}) => {
      const driver = createOpcUaDriver(source, tags, recorder.sink, {
        logger: recorder.logger,
        scheduler,
        dataDir: options.dataDir ?? harness.dataDir(),
      })
      drivers.push(driver)
      driver.start()
      return driver
    },
  }
  return harness
}

export type Relay = {
  port: number
  /** Destroys every connection through it, as a pulled cable or a reset switch would. */
  cut: () => void
  /** Holds back what the server sends, as a link that stalls; the client's requests still go. */
  stall: () => void
  /** Delivers what was held back, in order, and lets the rest through again. */
  resume: () => void
  /** Chunks from the server held back so far. */
  held: () => number
  close: () => Promise<void>
}

/** A TCP relay on loopback to the server on `targetPort`, for a plant network that misbehaves. */
export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>()
  let stalled = false
  const held: Array<() => void> = []
  const relay = createServer((inbound) => {
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    inbound.pipe(outbound)
    const deliver = (action: () => void): void => {
      if (stalled) held.push(action)
      else action()
    }
    outbound.on('data', (chunk: Buffer) => deliver(() => void inbound.write(chunk)))
    outbound.on('end', () => deliver(() => void inbound.end()))
  })
  const port = await findFreePort()
  await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve))
  const cut = (): void => {
    held.length = 0
    for (const socket of sockets) socket.destroy()
  }
  return {
    port,
    cut,
    stall: () => {
      stalled = true
    },
    resume: () => {
      stalled = false
      for (const action of held.splice(0)) action()
    },
    held: () => held.length,
    close: async () => {
      cut()
      await new Promise<void>((resolve) => relay.close(() => resolve()))
    },
  }
}
