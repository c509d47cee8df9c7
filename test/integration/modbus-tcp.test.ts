import { afterEach, describe, expect, it } from 'vitest'
import { createModbusTcpDriver } from '../../src/backend/field/modbus-tcp'
import type { FieldSink } from '../../src/backend/field/driver'
import { silentLogger } from '../../src/backend/log/logger'
import type { SourceStatus, TagValue } from '../../src/shared/field/values'
import { systemScheduler, type Scheduler } from '../../src/shared/scheduler'
import type { ModbusTcpSource, Tag } from '../../src/shared/site/schema'
import {
  startModbusSimServer,
  simModbusMap,
  type ModbusSimServer,
} from '../../src/sim/modbus-server'
import { createLivePlant } from '../../src/sim/live-plant'
import { ManualScheduler } from '../support/manual-scheduler'
import { processConstants } from '../../src/sim/process'
import { expectNearPlant, plantTolerance } from '../support/plant'
import { findFreePort } from '../support/ports'
import { listenOnLoopback } from '../support/tcp-server'
import { waitFor } from '../support/wait-for'

// Real sockets on 127.0.0.1 against the simulator PLC and against servers that misbehave on purpose.

const host = '127.0.0.1'
const plant = createLivePlant({ seed: 7 })

type Status = Parameters<FieldSink['status']>[0]

function recordingSink() {
  const latest = new Map<string, TagValue>()
  const statuses: Status[] = []
  let calls = 0
  const sink: FieldSink = {
    values: (values) => {
      calls++
      for (const value of values) latest.set(value.tagId, value)
    },
    status: (status) => {
      calls++
      statuses.push(status)
    },
  }
  return {
    sink,
    latest,
    statuses,
    calls: () => calls,
    state: (): SourceStatus['state'] | undefined => statuses.at(-1)?.state,
  }
}

const source = (port: number, overrides: Partial<ModbusTcpSource> = {}): ModbusTcpSource => ({
  id: 'sim-plc',
  protocol: 'modbus-tcp',
  host,
  port,
  unitId: 1,
  pollMs: 100,
  timeoutMs: 300,
  simulated: true,
  ...overrides,
})

const simTags: Tag[] = simModbusMap.map((entry) => ({
  id: entry.tagId,
  source: 'sim-plc',
  address: entry.address,
  scale: entry.scale,
  unit: entry.unit,
}))

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  // Drivers first, then the servers they talk to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function startDriver(
  port: number,
  tags: Tag[],
  overrides: Partial<ModbusTcpSource> = {},
  scheduler: Scheduler = systemScheduler,
) {
  const recorder = recordingSink()
  const driver = createModbusTcpDriver(source(port, overrides), tags, recorder.sink, {
    logger: silentLogger,
    scheduler,
    dataDir: '/nonexistent',
  })
  cleanups.push(() => driver.dispose())
  driver.start()
  return { driver, ...recorder }
}

async function startSim(port = 0): Promise<ModbusSimServer> {
  const sim = await startModbusSimServer({ host, port, plant })
  cleanups.push(() => sim.dispose())
  return sim
}

/** A TCP server that accepts connections and never says a word back (a hung gateway). */
async function startSilentServer() {
  let bytesReceived = 0
  const server = await listenOnLoopback((socket) => {
    socket.on('data', (data) => (bytesReceived += data.length))
  })
  cleanups.push(server.close)
  return { port: server.port, openSockets: server.openSockets, bytesReceived: () => bytesReceived }
}

/** Counts of live handles by kind ('TCPSocketWrap', 'Timeout', …). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

/**
 * How much a reading can differ from the plant's beyond its noise: float32 rounds barely, tenths
 * in an int16 by 0.05. A boiler in auto has the header pressure controller's output as its firing
 * rate setpoint, which moves with the noisy header pressure (15 % per bar).
 */
const registerResolution = (entry: (typeof simModbusMap)[number]): number =>
  (entry.address.type === 'float32' ? 1e-4 : entry.scale.factor / 2) +
  (entry.tagId.endsWith('.firing-rate-setpoint')
    ? processConstants.controllerGain * plantTolerance('plant-001.header.pressure')
    : 0)

const allGood = (latest: Map<string, TagValue>, tags: Tag[]): boolean =>
  tags.every((tag) => latest.get(tag.id)?.quality === 'good')

describe('Modbus TCP driver against the simulator', () => {
  it('reads every mapped tag, decoded and scaled, matching the plant model', async () => {
    const sim = await startSim()
    const { latest, statuses } = startDriver(sim.port, simTags)
    await waitFor('all sim tags good', () => allGood(latest, simTags))

    // The plant moves on, so compare with its readings around a few fresh scans (poll 100 ms).
    const readPlant = () =>
      new Map(
        simModbusMap.map((entry) => [
          entry.tagId,
          entry.pointId === null ? Number.NaN : plant.read(entry.pointId),
        ]),
      )
    const before = readPlant()
    await new Promise((resolve) => setTimeout(resolve, 250))
    const readings = new Map(latest)
    const after = readPlant()

    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
    expect(statuses[1]?.lastError).toBeNull()
    for (const entry of simModbusMap) {
      const reading = readings.get(entry.tagId)
      expect(reading, entry.tagId).toMatchObject({
        quality: 'good',
        sourceTs: null,
        sourceId: 'sim-plc',
      })
      if (!reading) continue
      if (entry.pointId === null) {
        expect(reading.value).toBe(entry.fixed)
        continue
      }
      expectNearPlant(
        reading.value,
        before.get(entry.tagId) ?? Number.NaN,
        after.get(entry.tagId) ?? Number.NaN,
        entry.pointId,
        { resolution: registerResolution(entry) },
      )
    }
  })

  it('marks only the block that raised an exception bad and keeps the connection up', async () => {
    const sim = await startSim()
    const outside: Tag = {
      id: 'plant-001.boiler-1.ghost',
      source: 'sim-plc',
      unit: 'bar',
      address: { table: 'holding', offset: 400, type: 'float32', order: 'ABCD' },
    }
    const { latest, statuses } = startDriver(sim.port, [...simTags, outside])
    await waitFor('exception reported', () => latest.get(outside.id)?.quality === 'bad')
    await waitFor('neighbours good', () => allGood(latest, simTags))

    expect(latest.get(outside.id)?.reason).toBe(
      'illegal data address (exception 2) at holding 400–401 (unit 1)',
    )
    expect(latest.get(outside.id)?.value).toBeNull()
    // Several more cycles: the exception never costs the connection.
    await new Promise((resolve) => setTimeout(resolve, 350))
    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
    expect(allGood(latest, simTags)).toBe(true)
  })

  it('reports a refused connection and connects once a server appears on the port', async () => {
    const port = await findFreePort()
    const { latest, statuses, state } = startDriver(port, simTags)
    await waitFor('disconnected', () => state() === 'disconnected')

    const refused = statuses.at(-1)
    expect(refused?.lastError).toBe(
      `cannot connect to ${host}:${port}: connection refused (nothing listens on that port) (ECONNREFUSED)`,
    )
    await waitFor('tags bad', () => simTags.every((tag) => latest.get(tag.id)?.quality === 'bad'))
    expect(latest.get(simTags[0]?.id ?? '')?.reason).toBe(refused?.lastError)

    await startSim(port)
    await waitFor('reconnected', () => state() === 'connected' && allGood(latest, simTags))
    // Retries do not flicker through `connecting`: one outage, one `since`.
    const states = statuses.map((status) => status.state)
    expect(states[0]).toBe('connecting')
    expect(states.at(-1)).toBe('connected')
    expect(states.slice(1, -1).every((s) => s === 'disconnected')).toBe(true)
    expect(new Set(statuses.slice(1, -1).map((status) => status.since)).size).toBe(1)
  })

  it('dispose closes the socket and leaves no timers or sockets behind', async () => {
    const sim = await startSim()
    const baseline = handles()
    const { driver, latest, calls } = startDriver(sim.port, simTags)
    await waitFor('all sim tags good', () => allGood(latest, simTags))
    expect(sim.connectionCount()).toBe(1)

    await driver.dispose()
    await waitFor('server sees the socket closed', () => sim.connectionCount() === 0)
    const after = handles()
    expect(after.get('TCPSocketWrap') ?? 0).toBeLessThanOrEqual(baseline.get('TCPSocketWrap') ?? 0)
    expect(after.get('Timeout') ?? 0).toBeLessThanOrEqual(baseline.get('Timeout') ?? 0)

    // Nothing reaches the sink after dispose, however long we wait.
    const callsAtDispose = calls()
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(calls()).toBe(callsAtDispose)
    await driver.dispose() // twice is harmless
  })
})

describe('Modbus TCP driver against a server that never answers', () => {
  it('marks the tags bad with a timeout reason within the timeout and reconnects', async () => {
    const silent = await startSilentServer()
    const startedAt = Date.now()
    const { driver, latest, statuses, state } = startDriver(silent.port, simTags, {
      timeoutMs: 300,
    })

    await waitFor('timeout reported', () => state() === 'disconnected', 300 + 1_000)
    const elapsed = Date.now() - startedAt
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(300 + 1_000)
    expect(statuses[0]?.state).toBe('connecting')
    expect(statuses.at(-1)?.lastError).toBe(
      'no answer within 300 ms to a read of coil 100–101 (unit 1)',
    )
    for (const tag of simTags) {
      expect(latest.get(tag.id)).toMatchObject({
        quality: 'bad',
        value: null,
        reason: statuses.at(-1)?.lastError,
      })
    }
    // TCP accepted but the device never answered: that is not `connected`.
    expect(statuses.some((status) => status.state === 'connected')).toBe(false)

    // The socket is rebuilt after backoff (500 ms), and the old one is gone.
    await waitFor('second attempt', () => silent.bytesReceived() >= 24, 2_000)
    expect(silent.openSockets()).toBeLessThanOrEqual(1)

    await driver.dispose()
    await waitFor('server sees every socket closed', () => silent.openSockets() === 0, 1_000)
  })

  it('the outer watchdog settles a read the client timer would leave pending', async () => {
    // The client's own timer (real time) is set far out; only the watchdog (fake time) can fire.
    const silent = await startSilentServer()
    const scheduler = new ManualScheduler(Date.now())
    const baseline = handles()
    const { driver, latest, statuses } = startDriver(
      silent.port,
      simTags,
      { timeoutMs: 60_000 },
      scheduler,
    )
    await waitFor('request on the wire', () => silent.bytesReceived() > 0)

    // watchdog = timeout + max(100 ms, a quarter of it)
    await scheduler.advance(75_000)
    await waitFor('watchdog fired', () => statuses.at(-1)?.state === 'disconnected')
    expect(statuses.at(-1)?.lastError).toBe(
      'no answer within 75000 ms to a read of coil 100–101 (unit 1) (watchdog)',
    )
    expect(latest.get(simTags[0]?.id ?? '')?.quality).toBe('bad')

    await driver.dispose()
    await waitFor('server sees the socket closed', () => silent.openSockets() === 0, 1_000)
    // The library's 60 s timer went with the socket, and so did our reconnect timer.
    expect(handles().get('Timeout') ?? 0).toBeLessThanOrEqual(baseline.get('Timeout') ?? 0)
    expect(scheduler.pending()).toBe(0)
  })
})
