import { afterEach, describe, expect, it } from 'vitest'
import type { FieldSink } from '../../src/backend/field/driver'
import { createModbusTcpDriver } from '../../src/backend/field/modbus-tcp'
import { silentLogger } from '../../src/backend/log/logger'
import type { SourceStatus, TagValue } from '../../src/shared/field/values'
import { systemScheduler, type Scheduler } from '../../src/shared/scheduler'
import type { ModbusTcpSource, Tag } from '../../src/shared/site/schema'
import { createLivePlant, type LivePlant } from '../../src/sim/live-plant'
import { simModbusMap, startModbusSimServer } from '../../src/sim/modbus-server'
import { ManualScheduler } from '../support/manual-scheduler'
import { findFreePort } from '../support/ports'
import { waitFor } from '../support/wait-for'

// The console's Modbus driver writing to the simulator PLC over real sockets on 127.0.0.1, and the
// simulator's protocol faults as the driver sees them. The plant runs on a clock the test moves, so
// "the firing rate follows its new setpoint" takes no wall-clock minutes and a link flap goes up
// and down when the test says.

const host = '127.0.0.1'
const timeoutMs = 300

type Status = Parameters<FieldSink['status']>[0]

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  // Drivers first, then the servers they talk to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A live plant whose clock moves only when the test advances it. */
function plantOnTestClock(seed = 5) {
  let now = 0
  const plant = createLivePlant({ seed, clock: () => now })
  // Start the plant's clock, so the first advance really moves it.
  plant.read('plant-001.header.pressure')
  return {
    plant,
    /** Moves the plant on by `ms`, in steps the live plant catches up in one go. */
    advance: (ms: number): void => {
      for (let left = ms; left > 0; left -= 30_000) {
        now += Math.min(left, 30_000)
        plant.read('plant-001.header.pressure')
      }
    },
  }
}

/** The demo site's tag for a plant-001 point: the simulator's map entry as a tag. */
function tagFor(pointId: string): Tag {
  const entry = simModbusMap.find((candidate) => candidate.pointId === pointId)
  if (!entry) throw new Error(`the simulator does not serve ${pointId}`)
  return {
    id: entry.tagId,
    source: 'sim-plc',
    address: entry.address,
    scale: entry.scale,
    unit: entry.unit,
  }
}

const boiler = {
  auto: tagFor('plant-001.boiler-1.auto'),
  tripped: tagFor('plant-001.boiler-1.tripped'),
  setpoint: tagFor('plant-001.boiler-1.firing-rate-setpoint'),
  firingRate: tagFor('plant-001.boiler-1.firing-rate'),
  flueTemperature: tagFor('plant-001.boiler-1.flue-temperature'),
  running: tagFor('plant-001.boiler-1.running'),
}
const header = {
  pressure: tagFor('plant-001.header.pressure'),
  setpoint: tagFor('plant-001.header.pressure-setpoint'),
}
const hospital = {
  valve: tagFor('plant-001.consumer-hospital-hvac.valve'),
  steamFlow: tagFor('plant-001.consumer-hospital-hvac.steam-flow'),
}
const polled = [boiler.auto, boiler.setpoint, boiler.firingRate, header.pressure, hospital.valve]

function startDriver(
  port: number,
  tags: Tag[],
  overrides: Partial<ModbusTcpSource> = {},
  scheduler: Scheduler = systemScheduler,
) {
  const latest = new Map<string, TagValue>()
  const statuses: Status[] = []
  const driver = createModbusTcpDriver(
    {
      id: 'sim-plc',
      protocol: 'modbus-tcp',
      host,
      port,
      unitId: 1,
      pollMs: 100,
      timeoutMs,
      simulated: true,
      ...overrides,
    },
    tags,
    {
      values: (values) => {
        for (const value of values) latest.set(value.tagId, value)
      },
      status: (status) => void statuses.push(status),
    },
    { logger: silentLogger, scheduler, dataDir: '/nonexistent' },
  )
  cleanups.push(() => driver.dispose())
  driver.start()
  return {
    driver,
    latest,
    statuses,
    state: (): SourceStatus['state'] | undefined => statuses.at(-1)?.state,
    /** The last frames the driver saw, as "direction hex". */
    traffic: (): string[] => {
      const details = driver.diagnostics().details
      if (details.kind !== 'modbus') throw new Error('expected Modbus details')
      return details.traffic.map((frame) => `${frame.direction} ${frame.hex}`)
    },
  }
}

async function startSim(plant: LivePlant, port = 0) {
  const sim = await startModbusSimServer({ host, port, plant })
  cleanups.push(() => sim.dispose())
  return sim
}

async function connected(port: number, tags = polled, overrides: Partial<ModbusTcpSource> = {}) {
  const started = startDriver(port, tags, overrides)
  await waitFor('connected', () => started.state() === 'connected')
  return started
}

const reading = (latest: Map<string, TagValue>, tag: Tag) => latest.get(tag.id)?.value

describe('Modbus writes from the console to the simulator PLC', () => {
  it('takes a boiler to manual over FC5 and sets its firing rate over FC16; the firing follows', async () => {
    const { plant, advance } = plantOnTestClock()
    const sim = await startSim(plant)
    const { driver, latest, traffic } = await connected(sim.port)
    const firingBefore = plant.read(boiler.firingRate.id) as number

    // In auto the header pressure controller owns the setpoint: the PLC refuses the value.
    const inAuto = await driver.write(boiler.setpoint, 40)
    expect(inAuto).toEqual({
      ok: false,
      error: {
        code: 'modbus-exception',
        message:
          'plant-001.boiler-1.firing-rate-setpoint: the device refused a write of 40 % to ' +
          'holding 104–105 (unit 1): illegal data value (exception 3)',
      },
    })
    expect(plant.read(boiler.setpoint.id)).not.toBe(40)

    expect(await driver.write(boiler.auto, false)).toEqual({ ok: true, value: undefined })
    expect(plant.read(boiler.auto.id)).toBe(false)
    expect(await driver.write(boiler.setpoint, 40)).toEqual({ ok: true, value: undefined })
    expect(plant.read(boiler.setpoint.id)).toBe(40)
    // FC5 coil 100 off; FC16 two registers from 104 holding 40.0 big-endian (0x42200000).
    expect(traffic()).toEqual(
      expect.arrayContaining([
        'request 05 00 64 00 00',
        'response 05 00 64 00 00',
        'request 10 00 68 00 02 04 42 20 00 00',
        'response 10 00 68 00 02',
      ]),
    )

    // Three firing time constants later the boiler fires close to its new setpoint, and the
    // console's own poll shows it.
    advance(90_000)
    const firingAfter = plant.read(boiler.firingRate.id) as number
    expect(firingAfter).toBeLessThan(firingBefore - 20)
    expect(Math.abs(firingAfter - 40)).toBeLessThan(3)
    await waitFor('the poll to show the new firing rate', () => {
      const value = reading(latest, boiler.firingRate)
      return typeof value === 'number' && Math.abs(value - firingAfter) < 1
    })
    expect(reading(latest, boiler.auto)).toBe(false)
    expect(reading(latest, boiler.setpoint)).toBe(40)
  })

  it('opens a consumer valve over FC16 in word-swapped order; the consumer draws more steam', async () => {
    const { plant } = plantOnTestClock()
    const sim = await startSim(plant)
    const { driver, latest, traffic } = await connected(sim.port)
    const drawBefore = plant.read(hospital.steamFlow.id) as number

    expect(await driver.write(hospital.valve, 75)).toEqual({ ok: true, value: undefined })
    expect(plant.read(hospital.valve.id)).toBe(75)
    // 75.0 is 0x42960000; CDAB sends the low word first.
    expect(traffic()).toContain('request 10 00 c8 00 02 04 00 00 42 96')
    // The valve was at its optimal 60 %: at 75 % it passes a quarter more.
    expect(plant.read(hospital.steamFlow.id) as number).toBeCloseTo(drawBefore * 1.25, 1)
    await waitFor(
      'the poll to show the valve at 75 %',
      () => reading(latest, hospital.valve) === 75,
    )
  })

  it('passes on the PLC refusing out-of-range and read-only writes, and nothing changes', async () => {
    const { plant } = plantOnTestClock()
    const sim = await startSim(plant)
    const { driver } = await connected(sim.port)
    const before = plant.model.snapshot()

    const tooHigh = await driver.write(header.setpoint, 20)
    expect(tooHigh.ok === false && tooHigh.error).toEqual({
      code: 'modbus-exception',
      message:
        'plant-001.header.pressure-setpoint: the device refused a write of 20 bar to holding 2–3 ' +
        '(unit 1): illegal data value (exception 3)',
    })
    const valve = await driver.write(hospital.valve, 150)
    expect(valve.ok === false && valve.error.message).toMatch(
      /^plant-001\.consumer-hospital-hvac\.valve: .*illegal data value \(exception 3\)$/,
    )
    // Trips come from the burner management: a coil write can reset one, never cause one.
    const trip = await driver.write(boiler.tripped, true)
    expect(trip.ok === false && trip.error.message).toMatch(/illegal data value \(exception 3\)$/)
    // A measurement in a holding register is not writable: the address is refused.
    const measurement = await driver.write(header.pressure, 5)
    expect(measurement.ok === false && measurement.error.message).toBe(
      'plant-001.header.pressure: the device refused a write of 5 bar to holding 0–1 (unit 1): ' +
        'illegal data address (exception 2)',
    )
    // Half of a float32 setpoint over FC6: refused rather than mixed with the other half.
    const half = await driver.write(registerTag('half-setpoint', 104, 'uint16'), 16928)
    expect(half.ok === false && half.error.message).toBe(
      'half-setpoint: the device refused a write of 16928 to holding 104 (unit 1): ' +
        'illegal data address (exception 2)',
    )

    // The plant runs on the test's clock, so any change at all would be a write getting through.
    expect(plant.model.snapshot()).toEqual(before)
  })

  it('refuses what cannot be written safely before anything is sent', async () => {
    const { plant } = plantOnTestClock()
    const sim = await startSim(plant)
    // One scan only, so the request count moves only if a write goes out.
    const { driver, latest } = await connected(sim.port, polled, { pollMs: 60_000 })
    await waitFor('the first scan', () => polled.every((tag) => latest.has(tag.id)))
    const sent = driver.diagnostics().stats.requests

    const inputRegister = await driver.write(boiler.flueTemperature, 150)
    expect(inputRegister.ok === false && inputRegister.error).toEqual({
      code: 'not-writable',
      message:
        'plant-001.boiler-1.flue-temperature cannot be written: input registers are read-only ' +
        '(input 100 (unit 1))',
    })
    const discrete = await driver.write(boiler.running, false)
    expect(discrete.ok === false && discrete.error.code).toBe('not-writable')
    const packed: Tag = {
      ...registerTag('packed-flag', 150, 'bool'),
      address: { table: 'holding', offset: 150, type: 'bool', order: 'ABCD', bit: 3 },
    }
    const bit = await driver.write(packed, true)
    expect(bit.ok === false && bit.error.message).toBe(
      "packed-flag cannot be written: it is bit 3 of holding 150 (unit 1); writing it would overwrite the register's other bits",
    )
    const notFinite = await driver.write(header.setpoint, Number.NaN)
    expect(notFinite.ok === false && notFinite.error).toEqual({
      code: 'invalid-value',
      message: 'plant-001.header.pressure-setpoint: NaN is not a finite number',
    })
    // Tenths in an int16: 4000 °C would be 40000 tenths, which an int16 cannot hold.
    const tenths = { ...registerTag('tenths', 150, 'int16'), scale: { factor: 0.1, offset: 0 } }
    const tooWide = await driver.write(tenths, 4000)
    expect(tooWide.ok === false && tooWide.error).toEqual({
      code: 'invalid-value',
      message: 'tenths: 4000 cannot be written: 40000 does not fit a int16 (-32768…32767)',
    })
    const wrongType = await driver.write(boiler.auto, 1)
    expect(wrongType.ok === false && wrongType.error.code).toBe('invalid-value')
    const otherSource = await driver.write({ ...boiler.auto, source: 'plc-b' }, false)
    expect(otherSource.ok === false && otherSource.error.code).toBe('wrong-source')

    expect(driver.diagnostics().stats.requests).toBe(sent)
    expect(plant.read(boiler.auto.id)).toBe(true)
  })

  it('fails a write at once while disconnected and never sends it later', async () => {
    const { plant } = plantOnTestClock()
    const port = await findFreePort()
    const { driver, state } = startDriver(port, polled)
    await waitFor('disconnected', () => state() === 'disconnected')

    const startedAt = Date.now()
    const result = await driver.write(hospital.valve, 80)
    expect(Date.now() - startedAt).toBeLessThan(50)
    expect(result.ok === false && result.error.code).toBe('not-connected')
    expect(result.ok === false && result.error.message).toMatch(
      new RegExp(
        `^plant-001\\.consumer-hospital-hvac\\.valve was not written: ${host}:${port} is not connected: .*ECONNREFUSED`,
      ),
    )

    // The PLC appears: the driver connects and polls, and the refused write stays unwritten.
    await startSim(plant, port)
    await waitFor('connected', () => state() === 'connected', 5_000)
    expect(plant.read(hospital.valve.id)).toBe(60)
  })
})

describe('simulator protocol faults as the console driver sees them', () => {
  it('source-down: requests go unanswered, the driver times out and reconnects once cleared', async () => {
    const { plant } = plantOnTestClock()
    const sim = await startSim(plant)
    // One scan, so the write below is the only request while the fault is on.
    const { driver, latest, statuses, state } = await connected(sim.port, polled, {
      pollMs: 60_000,
    })
    await waitFor('the first scan', () => polled.every((tag) => latest.has(tag.id)))
    expect(
      plant.model.applyFault({ id: 'down', kind: 'source-down', plantIds: ['plant-001'] }),
    ).toEqual({ ok: true })

    // The write goes out on a link that looked fine, and meets silence: not retried, and the
    // operator is told it may or may not have arrived.
    const startedAt = Date.now()
    const write = await driver.write(hospital.valve, 80)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(timeoutMs - 10)
    expect(write.ok === false && write.error).toEqual({
      code: 'no-answer',
      message:
        'plant-001.consumer-hospital-hvac.valve: no answer within 300 ms to a write of 80 % to ' +
        'holding 200–201 (unit 1); the write may or may not have taken effect, read the value back before writing again',
    })
    expect(plant.read(hospital.valve.id)).toBe(60)
    await waitFor('disconnected', () => state() === 'disconnected')
    await waitFor('tags bad', () => polled.every((tag) => latest.get(tag.id)?.quality === 'bad'))
    const again = await driver.write(hospital.valve, 80)
    expect(again.ok === false && again.error.code).toBe('not-connected')
    // While down, a reconnect is accepted and then meets the same silence.
    await waitFor('a reconnect to time out too', () => driver.diagnostics().stats.timeouts >= 2)
    expect(state()).toBe('disconnected')

    expect(plant.model.clearFault('down')).toEqual({ ok: true })
    await waitFor(
      'reconnected',
      () =>
        state() === 'connected' && polled.every((tag) => latest.get(tag.id)?.quality === 'good'),
      8_000,
    )
    expect(statuses.filter((status) => status.state === 'connected')).toHaveLength(2)
  })

  it('a write queued behind a read that meets silence is reported as never sent', async () => {
    const { plant } = plantOnTestClock()
    const sim = await startSim(plant)
    // The test decides when a scan starts; the client's own timeout still runs on real time.
    const scheduler = new ManualScheduler(Date.now())
    const { driver, latest, state } = startDriver(sim.port, polled, { pollMs: 1_000 }, scheduler)
    await waitFor('the first scan', () => polled.every((tag) => latest.has(tag.id)))
    expect(state()).toBe('connected')

    plant.model.applyFault({ id: 'down', kind: 'source-down', plantIds: ['plant-001'] })
    const sent = driver.diagnostics().stats.requests
    await scheduler.advance(1_000)
    await waitFor('a read on the wire', () => driver.diagnostics().stats.requests > sent)
    const result = await driver.write(hospital.valve, 80)

    expect(result.ok === false && result.error).toEqual({
      code: 'not-connected',
      message: `plant-001.consumer-hospital-hvac.valve was not written: not connected to ${host}:${sim.port}`,
    })
    expect(driver.diagnostics().stats.requests).toBe(sent + 1)
    expect(state()).toBe('disconnected')
  })

  it('link-flap: connections are reset and refused while the link is down, and come back when it is up', async () => {
    const { plant, advance } = plantOnTestClock()
    const sim = await startSim(plant)
    const { latest, statuses, state } = await connected(sim.port)
    expect(sim.connectionCount()).toBe(1)
    // Down for the first minute of plant time, up for the next, for two minutes in all.
    expect(
      plant.model.applyFault({
        id: 'flap',
        kind: 'link-flap',
        plantId: 'plant-001',
        periodSeconds: 60,
        durationSeconds: 120,
      }),
    ).toEqual({ ok: true })

    await waitFor('disconnected', () => state() === 'disconnected')
    // The PLC side resets the connection, as a stack that restarted and knows it no longer would.
    expect(statuses.find((status) => status.state === 'disconnected')?.lastError).toBe(
      `connection to ${host}:${sim.port} lost: connection reset by the device (ECONNRESET)`,
    )
    await waitFor('tags bad', () => polled.every((tag) => latest.get(tag.id)?.quality === 'bad'))
    // Reconnects keep failing while the link is down: one outage, one `since`.
    const lostAt = statuses.at(-1)?.since
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(state()).toBe('disconnected')
    expect(statuses.at(-1)?.since).toBe(lostAt)
    expect(sim.connectionCount()).toBe(0)

    advance(60_000)
    await waitFor(
      'reconnected while the link is up',
      () =>
        state() === 'connected' && polled.every((tag) => latest.get(tag.id)?.quality === 'good'),
      8_000,
    )
    expect(sim.connectionCount()).toBe(1)
  })
})

/** A holding-register tag at an address of the test's choosing. */
function registerTag(id: string, offset: number, type: 'uint16' | 'int16' | 'bool'): Tag {
  return {
    id,
    source: 'sim-plc',
    unit: '',
    address: { table: 'holding', offset, type, order: 'ABCD' },
  }
}
