import { createConnection } from 'node:net'
import { join } from 'node:path'
import {
  AttributeIds,
  DataType,
  OPCUAClient,
  OPCUAServer,
  StatusCodes,
  makeAccessLevelFlag,
  type StatusCode,
} from 'node-opcua'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { trustOwnServerCertificate } from '../../src/backend/field/opcua-pki'
import type { OpcUaSource, Site, Tag } from '../../src/shared/site/schema'
import { startSimulatorFor } from '../../src/sim'
import { createLivePlant } from '../../src/sim/live-plant'
import { simNodeId, superviseMs } from '../../src/sim/opcua-server'
import { ManualScheduler } from '../support/manual-scheduler'
import {
  activeResources,
  createRecorder,
  goodSince,
  opcUaSource,
  sleep,
  useOpcUaHarness,
  waitFor,
  type Recorder,
} from '../support/opcua'
import { findFreePort } from '../support/ports'

// The OPC UA side of the plant simulator, driven by the console's own driver over loopback: writes
// to setpoints and mode flags, PLC restarts and outages, one server per plant, and SignAndEncrypt
// with the simulator's certificate trusted ahead of time.

const tag = (pointId: string, options: Partial<Tag> = {}): Tag => ({
  id: pointId,
  source: 'ua-2',
  nodeId: simNodeId(pointId),
  unit: '',
  ...options,
})

const firingRate = tag('plant-002.boiler-1.firing-rate', { unit: '%' })
const firingSetpoint = tag('plant-002.boiler-1.firing-rate-setpoint', { unit: '%' })
const boilerAuto = tag('plant-002.boiler-1.auto')
const headerPressure = tag('plant-002.header.pressure', { unit: 'bar' })
/** In kPa through a scale, to prove a write removes it. */
const headerSetpointKpa = tag('plant-002.header.pressure-setpoint', {
  unit: 'kPa',
  scale: { factor: 100, offset: 0 },
})
const valve = tag('plant-002.consumer-pharmaceutical-reactor.valve', { unit: '%' })

/** Whether a TCP connection to the port on loopback is refused (nothing listens there). */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

const disconnections = (recorder: Recorder): number =>
  recorder.statuses.filter((status) => status.state === 'disconnected').length

describe('OPC UA simulator', () => {
  const harness = useOpcUaHarness('sim-opcua')
  const { startServer, startDriver } = harness
  let baseline: Record<string, number>

  beforeAll(() => {
    baseline = activeResources()
  })

  it('takes a boiler to manual and a new firing rate setpoint from the console, and the firing rate follows', async () => {
    const plant = createLivePlant({ seed: 3 })
    const port = await findFreePort()
    await startServer(port, { plant, plants: ['plant-002'] })
    const recorder = createRecorder()
    const driver = startDriver(
      opcUaSource(port),
      [firingRate, firingSetpoint, boilerAuto],
      recorder,
    )
    await waitFor('values', () =>
      [firingRate, firingSetpoint, boilerAuto].every(
        (wanted) => recorder.latest(wanted.id)?.quality === 'good',
      ),
    )
    const before = plant.read(firingRate.id) as number
    expect(before).toBeGreaterThan(65)

    // Under the pressure controller the PLC refuses a manual setpoint, saying why.
    const inAuto = await driver.write(firingSetpoint, 40)
    expect(inAuto).toEqual({
      ok: false,
      error: {
        code: 'refused',
        message: `${firingSetpoint.id}: the server refused the write: BadInvalidState`,
      },
    })

    expect(await driver.write(boilerAuto, false)).toEqual({ ok: true, value: undefined })
    expect(plant.read(boilerAuto.id)).toBe(false)
    expect(await driver.write(firingSetpoint, 40)).toEqual({ ok: true, value: undefined })
    expect(plant.read(firingSetpoint.id)).toBe(40)

    // The subscription shows what was written, and the burner ramps down (a 30 s first-order lag).
    await waitFor('the new setpoint and manual mode from the server', () => {
      return (
        recorder.latest(firingSetpoint.id)?.value === 40 &&
        recorder.latest(boilerAuto.id)?.value === false
      )
    })
    await waitFor(
      'the firing rate to fall towards 40 %',
      () => (recorder.latest(firingRate.id)?.value as number) < before - 3,
      15_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
  })

  it('refuses out-of-range setpoints with BadOutOfRange and changes nothing; a scaled setpoint arrives in plant units', async () => {
    const plant = createLivePlant({ seed: 4 })
    const port = await findFreePort()
    await startServer(port, { plant, plants: ['plant-002'] })
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [headerSetpointKpa, valve], recorder)
    await waitFor('values', () => recorder.status()?.state === 'connected')

    // The plant accepts header setpoints up to 85 % of its 13 bar safety valves: 11.05 bar.
    const setpointBefore = plant.read('plant-002.header.pressure-setpoint')
    const tooHigh = await driver.write(headerSetpointKpa, 1_200)
    expect(tooHigh).toEqual({
      ok: false,
      error: {
        code: 'refused',
        message: `${headerSetpointKpa.id}: the server refused the write: BadOutOfRange`,
      },
    })
    expect(plant.read('plant-002.header.pressure-setpoint')).toBe(setpointBefore)

    const valveBefore = plant.read(valve.id)
    const overOpen = await driver.write(valve, 101)
    expect(overOpen.ok ? null : overOpen.error.message).toMatch(/BadOutOfRange/)
    expect(plant.read(valve.id)).toBe(valveBefore)

    // 980 kPa on the console is 9.8 bar in the PLC.
    expect(await driver.write(headerSetpointKpa, 980)).toEqual({ ok: true, value: undefined })
    expect(plant.read('plant-002.header.pressure-setpoint')).toBeCloseTo(9.8, 10)
    await waitFor(
      'the written setpoint, in kPa',
      () => Math.abs((recorder.latest(headerSetpointKpa.id)?.value as number) - 980) < 1e-6,
    )
  })

  it('refuses writes to measurements, and values of the wrong type', async () => {
    const plant = createLivePlant({ seed: 5 })
    const port = await findFreePort()
    await startServer(port, { plant, plants: ['plant-002'] })
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [firingRate, headerPressure], recorder)
    await waitFor('connected', () => recorder.status()?.state === 'connected')

    const measurement = await driver.write(headerPressure, 9.0)
    expect(measurement).toEqual({
      ok: false,
      error: {
        code: 'refused',
        message: `${headerPressure.id}: the server refused the write: BadNotWritable`,
      },
    })
    // A flag for a number is refused before anything is sent.
    const wrongType = await driver.write(firingSetpoint, true)
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'wrong-type' } })
    expect(wrongType.ok ? '' : wrongType.error.message).toMatch(/firing-rate-setpoint.*Double/)
    expect(await driver.write(tag('plant-002.boiler-1.no-such-point'), 1)).toMatchObject({
      ok: false,
      error: { code: 'refused', message: expect.stringMatching(/BadNodeIdUnknown/) },
    })

    // What another client meets: access levels that say which nodes take writes, and the stack's
    // own refusals of what a variable's type or access level rules out.
    const client = OPCUAClient.create({
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0 },
    })
    await client.connect(`opc.tcp://127.0.0.1:${port}`)
    try {
      const session = await client.createSession()
      const accessLevels = await session.read(
        [firingSetpoint, firingRate].map(({ nodeId }) => ({
          nodeId: nodeId ?? '',
          attributeId: AttributeIds.UserAccessLevel,
        })),
      )
      const writable = makeAccessLevelFlag('CurrentRead | CurrentWrite')
      expect(accessLevels.map((dataValue) => dataValue.value.value)).toEqual([
        writable,
        makeAccessLevelFlag('CurrentRead'),
      ])
      const writeRaw = (pointId: string, dataType: DataType, value: unknown): Promise<StatusCode> =>
        session.write({
          nodeId: simNodeId(pointId),
          attributeId: AttributeIds.Value,
          value: { value: { dataType, value } },
        })
      expect(await writeRaw(firingSetpoint.id, DataType.String, 'forty')).toEqual(
        StatusCodes.BadTypeMismatch,
      )
      expect(await writeRaw(firingRate.id, DataType.Double, 50)).toEqual(StatusCodes.BadNotWritable)
      // Any client may take a boiler to manual and set its firing rate, as on the PLC itself.
      expect(await writeRaw(boilerAuto.id, DataType.Boolean, false)).toEqual(StatusCodes.Good)
      expect(await writeRaw(firingSetpoint.id, DataType.Double, 55)).toEqual(StatusCodes.Good)
      expect(plant.read(firingSetpoint.id)).toBe(55)
      await session.close()
    } finally {
      await client.disconnect()
    }
  })

  it('fails a write at once when there is no session, and sends nothing later', async () => {
    const port = await findFreePort()
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [boilerAuto], recorder)
    const startedAt = Date.now()
    const early = await driver.write(boilerAuto, false)
    expect(Date.now() - startedAt).toBeLessThan(100)
    expect(early).toMatchObject({ ok: false, error: { code: 'not-connected' } })
    expect(early.ok ? '' : early.error.message).toContain(boilerAuto.id)

    await waitFor('the refusal to connect', () => recorder.status()?.state === 'disconnected')
    const refused = await driver.write(boilerAuto, false)
    expect(refused.ok ? '' : refused.error.message).toMatch(
      new RegExp(`${boilerAuto.id}: not written: .*not connected.*refused`),
    )

    // The server appears: neither refused write reaches it, the boiler stays in auto.
    const plant = createLivePlant({ seed: 6 })
    await startServer(port, { plant, plants: ['plant-002'] })
    await waitFor('connected', () => recorder.status()?.state === 'connected', 15_000)
    await sleep(500)
    expect(plant.read(boilerAuto.id)).toBe(true)
    expect(recorder.latest(boilerAuto.id)).toMatchObject({ quality: 'good', value: true })
  })

  it('drops every session on a PLC restart and serves again after the down time', async () => {
    const plant = createLivePlant({ seed: 8 })
    const port = await findFreePort()
    const server = await startServer(port, { plant, plants: ['plant-002'] })
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [headerPressure, firingSetpoint], recorder)
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 2)

    expect(
      plant.model.applyFault({
        id: 'plc-reboot',
        kind: 'plc-restart',
        plantId: 'plant-002',
        downSeconds: 2,
      }),
    ).toEqual({ ok: true })
    await waitFor('the session lost', () => recorder.status()?.state === 'disconnected')
    const lostAt = Date.now()
    const lostIndex = recorder.values.length
    expect(recorder.latest(headerPressure.id)).toMatchObject({ quality: 'bad', value: null })
    expect(server.state()).toMatch(/stopping|down/)
    expect(await refusesConnections(port)).toBe(true)
    // A write while the PLC reboots is refused here, not held for later.
    expect(await driver.write(firingSetpoint, 50)).toMatchObject({
      ok: false,
      error: { code: 'not-connected' },
    })

    await waitFor(
      'changing values after the restart',
      () =>
        new Set(goodSince(recorder, headerPressure.id, lostIndex).map((value) => value.value))
          .size >= 3,
      20_000,
    )
    expect(Date.now() - lostAt).toBeGreaterThan(1_500)
    expect(server.state()).toBe('serving')
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    expect(disconnections(recorder)).toBe(1)
  })

  it('stays down while the control network is down, until the fault is cleared', async () => {
    const plant = createLivePlant({ seed: 9 })
    const port = await findFreePort()
    const server = await startServer(port, { plant, plants: ['plant-002'] })
    const recorder = createRecorder()
    startDriver(opcUaSource(port), [headerPressure], recorder)
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 1)

    plant.model.applyFault({ id: 'network', kind: 'source-down', plantIds: ['plant-002'] })
    await waitFor('the session lost', () => recorder.status()?.state === 'disconnected')
    await sleep(3_000)
    expect(server.state()).toBe('down')
    expect(await refusesConnections(port)).toBe(true)
    expect(recorder.status()?.state).toBe('disconnected')
    const clearedIndex = recorder.values.length

    expect(plant.model.clearFault('network')).toEqual({ ok: true })
    await waitFor(
      'values once the network is back',
      () => goodSince(recorder, headerPressure.id, clearedIndex).length >= 2,
      20_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
  })

  it('runs one server per plant: a restart of one leaves the other flowing; SignAndEncrypt works once the console trusts its own simulator', async () => {
    const [port2, port3] = [await findFreePort(), await findFreePort()]
    const sources: OpcUaSource[] = [
      opcUaSource(port2, { id: 'sim-ua-2' }),
      opcUaSource(port3, {
        id: 'sim-ua-3',
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
      }),
    ]
    const plant2Tags = [
      tag('plant-002.header.pressure', { source: 'sim-ua-2', unit: 'bar' }),
      tag('plant-002.boiler-1.firing-rate-setpoint', { source: 'sim-ua-2', unit: '%' }),
    ]
    const plant3Tags = [
      tag('plant-003.header.pressure', { source: 'sim-ua-3', unit: 'bar' }),
      tag('plant-003.boiler-4.running', { source: 'sim-ua-3' }),
    ]
    const site: Pick<Site, 'sources' | 'tags'> = { sources, tags: [...plant2Tags, ...plant3Tags] }
    const simulator = await startSimulatorFor(site, { pkiDir: harness.serverPkiDir() })
    try {
      expect(simulator.servers.map(({ sourceId, plants }) => ({ sourceId, plants }))).toEqual([
        { sourceId: 'sim-ua-2', plants: ['plant-002'] },
        { sourceId: 'sim-ua-3', plants: ['plant-003'] },
      ])
      const dataDir = join(harness.folder(), 'pre-trusted-data')
      for (const { certificate } of simulator.servers) {
        if (!certificate) throw new Error('an OPC UA server without a certificate')
        const trusted = await trustOwnServerCertificate(dataDir, certificate)
        expect(trusted).toMatchObject({ ok: true, value: { status: 'trusted' } })
      }

      const [source2, source3] = sources as [OpcUaSource, OpcUaSource]
      const plant2 = createRecorder()
      const plant3 = createRecorder()
      const untrusting = createRecorder()
      // plant-003's points are not on plant-002's PLC.
      const elsewhere = tag('plant-003.header.pressure', {
        id: 'on-the-wrong-plc',
        source: 'sim-ua-2',
      })
      startDriver(source2, [...plant2Tags, elsewhere], plant2, { dataDir })
      const encrypted = startDriver(source3, plant3Tags, plant3, { dataDir })
      startDriver(source3, plant3Tags, untrusting, {
        dataDir: join(harness.folder(), 'untrusting-data'),
      })
      await waitFor(
        'values from both plants',
        () =>
          goodSince(plant2, 'plant-002.header.pressure').length >= 2 &&
          goodSince(plant3, 'plant-003.header.pressure').length >= 2,
        20_000,
      )
      expect(plant2.latest(elsewhere.id)?.reason).toMatch(/BadNodeIdUnknown/)
      const details = encrypted.diagnostics().details
      if (details.kind !== 'opcua') throw new Error('unexpected details')
      expect(details).toMatchObject({
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        serverCertificate: { status: 'trusted' },
      })
      // Without the pre-trust the same server is refused, as any unknown server is.
      await waitFor('the refusal', () => untrusting.status()?.state === 'disconnected', 15_000)
      expect(untrusting.status()?.lastError).toMatch(/not trusted/)

      // plant-002's PLC restarts; plant-003's server carries on as if nothing happened.
      simulator.plant.model.applyFault({
        id: 'plant-002-reboot',
        kind: 'plc-restart',
        plantId: 'plant-002',
        downSeconds: 3,
      })
      await waitFor('plant-002 lost', () => plant2.status()?.state === 'disconnected')
      const outageIndex = plant3.values.length
      await waitFor('plant-002 back', () => plant2.status()?.state === 'connected', 20_000)
      expect(goodSince(plant3, 'plant-003.header.pressure', outageIndex).length).toBeGreaterThan(5)
      expect(disconnections(plant3)).toBe(0)
      expect(plant3.status()).toMatchObject({ state: 'connected', lastError: null })

      // plant-003's restarted server presents the same certificate: the encrypted session comes
      // back without anyone trusting anything again.
      simulator.plant.model.applyFault({
        id: 'plant-003-reboot',
        kind: 'plc-restart',
        plantId: 'plant-003',
        downSeconds: 1,
      })
      await waitFor('plant-003 lost', () => disconnections(plant3) === 1)
      const lostIndex = plant3.values.length
      await waitFor(
        'encrypted values again',
        () => goodSince(plant3, 'plant-003.header.pressure', lostIndex).length >= 2,
        20_000,
      )
      expect(plant3.status()).toMatchObject({ state: 'connected', lastError: null })
    } finally {
      await simulator.dispose()
    }
  })

  it('keeps a server whose shutdown failed: shuts it down again, and on dispose', async () => {
    const plant = createLivePlant({ seed: 11 })
    // The supervisor's ticks come when the test says, so each retry is seen.
    const scheduler = new ManualScheduler(Date.now())
    const port = await findFreePort()
    const server = await startServer(port, { plant, plants: ['plant-002'], scheduler })
    const shutdown = vi.spyOn(OPCUAServer.prototype, 'shutdown')
    try {
      const fail = (): void =>
        void shutdown.mockImplementationOnce(() => Promise.reject(new Error('port still bound')))
      const takeDown = async (): Promise<void> => {
        const calls = shutdown.mock.calls.length
        plant.model.applyFault({ id: 'network', kind: 'source-down', plantIds: ['plant-002'] })
        await scheduler.advance(superviseMs)
        await waitFor('a shutdown', () => shutdown.mock.calls.length > calls)
      }

      fail()
      await takeDown()
      // Still listening, and not forgotten: the next try waits its turn, then succeeds.
      expect(server.state()).toBe('stopping')
      expect(await refusesConnections(port)).toBe(false)
      await scheduler.advance(superviseMs)
      expect(shutdown).toHaveBeenCalledTimes(1)
      await scheduler.advance(2_000)
      await waitFor('the server down', () => server.state() === 'down')
      expect(await refusesConnections(port)).toBe(true)

      plant.model.clearFault('network')
      await scheduler.advance(superviseMs)
      await waitFor('the server back', () => server.state() === 'serving')

      // Down again, and the shutdown fails again: dispose shuts down the server left listening.
      fail()
      await takeDown()
      expect(server.state()).toBe('stopping')
      expect(await refusesConnections(port)).toBe(false)
      await server.dispose()
      expect(await refusesConnections(port)).toBe(true)
      expect(scheduler.pending()).toBe(0)
    } finally {
      shutdown.mockRestore()
    }
  })

  it('leaves no server, socket or timer behind when disposed in the middle of a restart', async () => {
    const plant = createLivePlant({ seed: 10 })
    const port = await findFreePort()
    const server = await startServer(port, { plant, plants: ['plant-003'] })
    plant.model.applyFault({ id: 'network', kind: 'source-down', plantIds: 'all' })
    await waitFor('the server down', () => server.state() === 'down')
    plant.model.clearFault('network')
    await waitFor('the server starting again', () => server.state() === 'starting')

    await server.dispose()
    expect(server.state()).toBe('disposed')
    expect(await refusesConnections(port)).toBe(true)
    await sleep(1_000)
    expect(await refusesConnections(port)).toBe(true)
    const leftovers = (): string[] => {
      const now = activeResources()
      return Object.keys(now).filter((kind) => (now[kind] ?? 0) > (baseline[kind] ?? 0))
    }
    await waitFor(
      `open handles back to ${JSON.stringify(baseline)}`,
      () => leftovers().length === 0,
      5_000,
    )
  })
})
