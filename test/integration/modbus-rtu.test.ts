import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FieldSink } from '../../src/backend/field/driver'
import { createModbusRtuDriver } from '../../src/backend/field/modbus-rtu'
import { silentLogger } from '../../src/backend/log/logger'
import { decodeRegisters } from '../../src/shared/field/codec'
import type { SourceStatus, TagValue } from '../../src/shared/field/values'
import { systemScheduler } from '../../src/shared/scheduler'
import type { ModbusRtuSource, Tag } from '../../src/shared/site/schema'
import { simModbusMap } from '../../src/sim/modbus-server'
import {
  simRtuValue,
  startModbusRtuSimServer,
  type ModbusRtuSimServer,
} from '../../src/sim/modbus-rtu-server'
import { createLivePlant } from '../../src/sim/live-plant'
import { processConstants } from '../../src/sim/process'
import { expectNearPlant, plantTolerance } from '../support/plant'
import { waitFor } from '../support/wait-for'

// A real serial line without hardware: socat makes a pseudo-terminal pair, the RTU simulator (two
// slaves, unit ids 1 and 2) listens on one end and the driver opens the other through
// modbus-serial's buffered RTU port, exactly as it would open /dev/ttyUSB0.

const socat = '/usr/bin/socat'
const plant = createLivePlant({ seed: 11 })
/**
 * What the simulator would serve for each delivered value at the moment the driver delivered it:
 * the plant keeps moving, so a reading is checked against the plant of its own time.
 */
const servedAtDelivery = new WeakMap<TagValue, number | boolean>()

function recordServed(value: TagValue): void {
  const entry = simModbusMap.find((candidate) => value.tagId.endsWith(`.${candidate.tagId}`))
  const unitId = Number(/^unit-(\d+)\./.exec(value.tagId)?.[1])
  if (entry && Number.isInteger(unitId)) {
    servedAtDelivery.set(value, simRtuValue(entry, unitId, plant))
  }
}
const timeoutMs = 200

type Status = Parameters<FieldSink['status']>[0]

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  // Driver first, then the simulator, then the line under them.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type Line = { simulatorEnd: string; consoleEnd: string; stop: () => Promise<void> }

/** Starts socat with a pty pair linked at fixed paths; a restart recreates the same links. */
async function startLine(dir: string): Promise<Line> {
  const simulatorEnd = join(dir, 'plc')
  const consoleEnd = join(dir, 'console')
  const child: ChildProcess = spawn(
    socat,
    ['-d', '-d', `pty,raw,echo=0,link=${simulatorEnd}`, `pty,raw,echo=0,link=${consoleEnd}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const settled = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000)),
    ])
    if (!settled) {
      child.kill('SIGKILL')
      await exited
    }
  }
  cleanups.push(stop)
  try {
    await waitFor(
      'socat to link both ptys',
      () => existsSync(simulatorEnd) && existsSync(consoleEnd),
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}; socat said: ${log}`)
  }
  return { simulatorEnd, consoleEnd, stop }
}

async function startSim(path: string, unitIds = [1, 2]): Promise<ModbusRtuSimServer> {
  const sim = await startModbusRtuSimServer({ path, unitIds, plant })
  cleanups.push(() => sim.dispose())
  return sim
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-light-rtu-'))
  cleanups.unshift(async () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Boiler 1's block of the simulator's map (one of each table) as tags of one unit on the bus. */
const boilerEntries = simModbusMap.filter((entry) => entry.tagId.startsWith('plant-001.boiler-1.'))
const unitTags = (unitId: number): Tag[] =>
  boilerEntries.map((entry) => ({
    id: `unit-${unitId}.${entry.tagId}`,
    source: 'bus-1',
    address: { ...entry.address, unitId },
    scale: entry.scale,
    unit: entry.unit,
  }))

function startDriver(path: string, tags: Tag[]) {
  const latest = new Map<string, TagValue>()
  const readings: TagValue[] = []
  const statuses: Status[] = []
  let calls = 0
  const source: ModbusRtuSource = {
    id: 'bus-1',
    protocol: 'modbus-rtu',
    path,
    baudRate: 19200,
    parity: 'even',
    dataBits: 8,
    stopBits: 1,
    unitId: 1,
    pollMs: 100,
    timeoutMs,
    simulated: true,
  }
  const driver = createModbusRtuDriver(
    source,
    tags,
    {
      values: (values) => {
        calls++
        for (const value of values) {
          recordServed(value)
          latest.set(value.tagId, value)
        }
        readings.push(...values)
      },
      status: (status) => {
        calls++
        statuses.push(status)
      },
    },
    { logger: silentLogger, scheduler: systemScheduler, dataDir: '/nonexistent' },
  )
  cleanups.push(() => driver.dispose())
  driver.start()
  return {
    driver,
    latest,
    readings,
    statuses,
    calls: () => calls,
    state: (): SourceStatus['state'] | undefined => statuses.at(-1)?.state,
  }
}

const allGood = (latest: Map<string, TagValue>, tags: Tag[]): boolean =>
  tags.every((tag) => latest.get(tag.id)?.quality === 'good')

/** What the simulator served for a tag when the driver received it, within the plant's noise. */
function expectSimValue(reading: TagValue | undefined, unitId: number, tagId: string): void {
  const entry = simModbusMap.find((candidate) => tagId.endsWith(candidate.tagId))
  expect(entry, tagId).toBeDefined()
  expect(reading?.quality, tagId).toBe('good')
  if (!entry || !reading) return
  if (entry.pointId === null) {
    expect(reading.value, tagId).toBe(entry.fixed)
    return
  }
  expect(tagId.startsWith(`unit-${unitId}.`), tagId).toBe(true)
  const served = servedAtDelivery.get(reading)
  expect(served, `${tagId}: the plant at delivery`).toBeDefined()
  if (served === undefined) return
  // float32 rounds barely; tenths in an int16 by up to 0.05.
  const resolution =
    (entry.address.type === 'float32' ? 1e-4 : entry.scale.factor / 2) +
    controllerAllowance(entry.pointId)
  expectNearPlant(reading.value, served, served, entry.pointId, { resolution, label: tagId })
}

/**
 * A boiler in auto has the header pressure controller's output as its firing rate setpoint, which
 * moves with the noisy header pressure (15 % per bar) between the simulator's read and ours.
 */
function controllerAllowance(pointId: string): number {
  if (!pointId.endsWith('.firing-rate-setpoint')) return 0
  return processConstants.controllerGain * plantTolerance('plant-001.header.pressure')
}

/** Counts of live handles by kind ('Timeout', …). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

describe.skipIf(!existsSync(socat))('Modbus RTU driver on a pty pair (skipped: no socat)', () => {
  it('reads two unit ids on one bus, one request on the wire at a time', async () => {
    const line = await startLine(tempDir())
    const sim = await startSim(line.simulatorEnd, [1, 2])
    const baseline = handles()
    const tags = [...unitTags(1), ...unitTags(2)]
    const { driver, latest, statuses, calls } = startDriver(line.consoleEnd, tags)
    await waitFor('both units good', () => allGood(latest, tags))

    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
    for (const tag of tags) {
      expectSimValue(latest.get(tag.id), tag.address?.unitId ?? 1, tag.id)
    }
    // The two units really are told apart: unit 2 reads 100 more than unit 1.
    const pressure = (unitId: number) =>
      latest.get(`unit-${unitId}.plant-001.boiler-1.pressure`)?.value as number
    expect(pressure(2) - pressure(1)).toBeGreaterThan(99)

    // The byte-order helper's raw reads queue behind the poll; a burst of them must not put a
    // second request on the wire either.
    const raw = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        driver.readRegisters?.({
          unitId: 1 + (index % 2),
          table: 'holding',
          offset: 100,
          count: 2,
        }),
      ),
    )
    for (const [index, result] of raw.entries()) {
      expect(result?.ok, JSON.stringify(result)).toBe(true)
      if (!result?.ok) continue
      const unitId = 1 + (index % 2)
      const value = decodeRegisters(
        { table: 'holding', offset: 100, type: 'float32', order: 'ABCD' },
        result.value,
      ) as number
      expect(Math.abs(value - pressure(unitId))).toBeLessThan(1)
    }
    // Let a few more scans run, then look at the bus from the slaves' side.
    const scans = calls()
    await waitFor('three more scans', () => calls() >= scans + 3)
    const stats = sim.stats()
    expect(stats.byUnit[1]).toBeGreaterThan(4)
    expect(stats.byUnit[2]).toBeGreaterThan(4)
    expect(stats.overlaps).toBe(0)
    expect(stats.droppedBytes).toBe(0)

    const diagnostics = driver.diagnostics()
    expect(diagnostics.stats.requests).toBeGreaterThanOrEqual(stats.requests - 1)
    expect(diagnostics.stats.errors).toBe(0)
    expect(diagnostics.stats.roundTripMs).toBeGreaterThan(0)
    if (diagnostics.details.kind !== 'modbus') throw new Error('expected Modbus details')
    expect(diagnostics.details.blocks.map((block) => `${block.unitId}/${block.table}`)).toEqual([
      '1/coil',
      '1/discrete',
      '1/input',
      '1/holding',
      '2/coil',
      '2/discrete',
      '2/input',
      '2/holding',
    ])
    expect(new Set(diagnostics.details.traffic.map((frame) => frame.unitId))).toEqual(
      new Set([1, 2]),
    )

    await driver.dispose()
    expect(handles().get('Timeout') ?? 0).toBeLessThanOrEqual(baseline.get('Timeout') ?? 0)
  })

  it('a silent unit on the bus spoils only its own tags', async () => {
    const line = await startLine(tempDir())
    await startSim(line.simulatorEnd, [1])
    const present = unitTags(1)
    const absent = unitTags(3)
    const { latest, statuses } = startDriver(line.consoleEnd, [...present, ...absent])
    await waitFor(
      'unit 1 good and unit 3 bad',
      () =>
        allGood(latest, present) && absent.every((tag) => latest.get(tag.id)?.quality === 'bad'),
    )
    // The first of unit 3's blocks timed out; its other blocks waited for the next scan.
    expect(latest.get(absent[0]?.id ?? '')?.reason).toBe(
      `no answer within ${timeoutMs} ms to a read of coil 100–101 (unit 3)`,
    )
    expect(new Set(absent.map((tag) => latest.get(tag.id)?.reason)).size).toBe(1)
    // The bus is up: one device answers.
    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
  })

  it('waits out a late reply and never takes it for the answer to the next request', async () => {
    const line = await startLine(tempDir())
    const sim = await startSim(line.simulatorEnd, [1, 2])
    // Two blocks of the same unit, function code and length (holding 100–109 and 150–159): a late
    // reply to one would pass for the other. The second block is unmapped in the simulator (plant
    // 001 has no third boiler), so it reads 0.
    const mapped = unitTags(1).filter((tag) => tag.address?.table === 'holding')
    const zeros: Tag[] = [150, 158].map((offset) => ({
      id: `unit-1.spare-${offset}`,
      source: 'bus-1',
      unit: '',
      address: { unitId: 1, table: 'holding', offset, type: 'float32', order: 'ABCD' },
    }))
    const other = unitTags(2).slice(0, 1)
    const tags = [...mapped, ...zeros, ...other]
    const { latest, readings, statuses } = startDriver(line.consoleEnd, tags)
    await waitFor('all good', () => allGood(latest, tags))

    for (let round = 0; round < 3; round++) {
      const before = readings.length
      sim.delayNextAnswer(1, timeoutMs + 60)
      await waitFor('a timeout on unit 1', () =>
        readings
          .slice(before)
          .some((reading) => reading.tagId.startsWith('unit-1.') && reading.quality === 'bad'),
      )
      await waitFor('unit 1 good again', () => allGood(latest, tags))
    }
    for (const reading of readings.filter((value) => value.quality === 'good')) {
      if (reading.tagId.includes('spare')) expect(reading.value, reading.tagId).toBe(0)
      else expectSimValue(reading, reading.tagId.startsWith('unit-2.') ? 2 : 1, reading.tagId)
    }
    expect(sim.stats().overlaps).toBe(0)
    // Unit 2 kept answering, so the bus never counted as down.
    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
  })

  it('marks everything bad when the line goes away and recovers when it returns', async () => {
    const dir = tempDir()
    const line = await startLine(dir)
    const sim = await startSim(line.simulatorEnd, [1, 2])
    const tags = [...unitTags(1), ...unitTags(2)]
    const { driver, latest, state, statuses } = startDriver(line.consoleEnd, tags)
    await waitFor('all good', () => allGood(latest, tags))

    await line.stop()
    await waitFor('disconnected', () => state() === 'disconnected')
    expect(statuses.at(-1)?.lastError).toBe(
      `serial port ${line.consoleEnd} closed (the adapter or the device behind it went away)`,
    )
    expect(latest.get(tags[0]?.id ?? '')?.reason).toBe(statuses.at(-1)?.lastError)
    await waitFor('all bad', () => tags.every((tag) => latest.get(tag.id)?.quality === 'bad'))
    await sim.dispose()
    // Reopening fails while the device path is missing; the driver keeps trying with backoff.
    await waitFor('a failed reopen', () =>
      statuses.some(
        (status) =>
          status.lastError === `cannot open ${line.consoleEnd}: No such file or directory`,
      ),
    )

    const again = await startLine(dir)
    await startSim(again.simulatorEnd, [1, 2])
    await waitFor('reconnected', () => state() === 'connected' && allGood(latest, tags), 8_000)
    for (const tag of tags) expectSimValue(latest.get(tag.id), tag.address?.unitId ?? 1, tag.id)
    expect(driver.diagnostics().stats.frameLossPercent).toBeGreaterThanOrEqual(0)
  })
})
