import { createConnection, createServer, type Socket } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOpcUaDriver } from '../../src/backend/field/opcua'
import type { FieldSink, SourceDriver } from '../../src/backend/field/driver'
import type { Logger } from '../../src/backend/log/logger'
import type { TagValue } from '../../src/shared/field/values'
import { systemScheduler, type Cancel, type Scheduler } from '../../src/shared/scheduler'
import type { OpcUaSource, Tag } from '../../src/shared/site/schema'
import { createPlantModel } from '../../src/sim/model'
import { startOpcUaSimServer, type OpcUaSimServer } from '../../src/sim/opcua-server'
import { findFreePort } from '../support/ports'

// The OPC UA driver against the plant simulator over real OPC UA on loopback (DESIGN.md §6).

type Status = Parameters<FieldSink['status']>[0]

/** Everything a driver reported, in order, and what it logged. */
type Recorder = {
  sink: FieldSink
  logger: Logger
  values: TagValue[]
  statuses: Status[]
  logs: string[]
  latest: (tagId: string) => TagValue | undefined
  status: () => Status | undefined
}

function createRecorder(): Recorder {
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

/** A TCP relay on loopback whose connections can be cut, as a flaky plant network would. */
async function startRelay(targetPort: number): Promise<{
  port: number
  cut: () => void
  close: () => Promise<void>
}> {
  const sockets = new Set<Socket>()
  const relay = createServer((inbound) => {
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  const port = await findFreePort()
  await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve))
  const cut = (): void => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    port,
    cut,
    close: async () => {
      cut()
      await new Promise<void>((resolve) => relay.close(() => resolve()))
    },
  }
}

/** The real clock, counting what is scheduled and not yet run or cancelled. */
function trackingScheduler(): Scheduler & { outstanding: () => number } {
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
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo().sort()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const headerPressure: Tag = {
  id: 'plant-002.header.pressure',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.header.pressure',
  unit: 'bar',
}
/** Read in kPa through the scale, to prove raw * factor + offset is applied. */
const boilerPressure: Tag = {
  id: 'plant-002.boiler-1.pressure',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.boiler-1.pressure',
  unit: 'kPa',
  scale: { factor: 100, offset: 0 },
}
const unknownNode: Tag = {
  id: 'plant-002.boiler-1.missing',
  source: 'ua-2',
  nodeId: 'ns=1;s=plant-002.boiler-1.no-such-point',
  unit: 'bar',
}
const malformedNode: Tag = {
  id: 'plant-002.boiler-1.malformed',
  source: 'ua-2',
  nodeId: 'this is not a node id',
  unit: 'bar',
}

function opcUaSource(port: number, overrides: Partial<OpcUaSource> = {}): OpcUaSource {
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

const goodSince = (recorder: Recorder, tagId: string, sinceIndex = 0): TagValue[] =>
  recorder.values
    .slice(sinceIndex)
    .filter((value) => value.tagId === tagId && value.quality === 'good')

describe('OPC UA driver against the simulator', () => {
  const model = createPlantModel(7)
  let folder: string
  let dataDir: string
  let pkiDir: string
  const servers: OpcUaSimServer[] = []
  const drivers: SourceDriver[] = []
  let scheduler: ReturnType<typeof trackingScheduler>
  let baseline: Record<string, number>

  const startServer = async (port: number): Promise<OpcUaSimServer> => {
    const server = await startOpcUaSimServer({ port, model, pkiDir })
    servers.push(server)
    return server
  }
  const startDriver = (source: OpcUaSource, tags: Tag[], recorder: Recorder): SourceDriver => {
    const driver = createOpcUaDriver(source, tags, recorder.sink, {
      logger: recorder.logger,
      scheduler,
      dataDir,
    })
    drivers.push(driver)
    driver.start()
    return driver
  }

  beforeAll(() => {
    baseline = activeResources()
    folder = mkdtempSync(join(tmpdir(), 'pilot-light-opcua-test-'))
    dataDir = join(folder, 'data')
    pkiDir = join(folder, 'sim-pki')
  })

  afterEach(async () => {
    const disposing = drivers.splice(0).map((driver) => driver.dispose())
    await Promise.all(disposing)
    // Nothing of the driver's own may still be scheduled once it is disposed.
    expect(scheduler.outstanding()).toBe(0)
    await Promise.all(servers.splice(0).map((server) => server.dispose()))
  })

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true })
  })

  it('streams good, changing, source-stamped and scaled values and reports bad node ids as bad', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    const server = await startServer(port)
    expect(server.endpoint).toBe(`opc.tcp://127.0.0.1:${port}`)
    const recorder = createRecorder()
    const startedAt = Date.now()
    startDriver(
      opcUaSource(port),
      [headerPressure, boilerPressure, unknownNode, malformedNode],
      recorder,
    )

    // The model moves continuously, so with samplingMs 100 fresh values keep coming.
    await waitFor('three different header pressures', () => {
      const distinct = new Set(goodSince(recorder, headerPressure.id).map((value) => value.value))
      return distinct.size >= 3
    })
    await waitFor(
      'a good boiler pressure',
      () => goodSince(recorder, boilerPressure.id).length >= 2,
    )
    await waitFor(
      'the unknown node reported bad',
      () => recorder.latest(unknownNode.id)?.quality === 'bad',
    )

    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    expect(recorder.statuses[0]?.state).toBe('connecting')

    for (const value of goodSince(recorder, headerPressure.id)) {
      expect(value.sourceId).toBe('ua-2')
      expect(typeof value.value).toBe('number')
      // The simulator stamps each value when it computes it.
      expect(value.sourceTs).not.toBeNull()
      expect(value.sourceTs ?? 0).toBeGreaterThanOrEqual(startedAt - 1_000)
      expect(value.sourceTs ?? 0).toBeLessThanOrEqual(value.receivedTs + 1_000)
      // plant-002.header.pressure is 9.6 bar ± 0.3 swing ± 0.03 noise.
      expect(value.value as number).toBeGreaterThan(9.2)
      expect(value.value as number).toBeLessThan(10.0)
    }
    // 10.2 bar ± 0.44 read with factor 100: kPa.
    const boiler = recorder.latest(boilerPressure.id)
    expect(boiler?.quality).toBe('good')
    expect(boiler?.value as number).toBeGreaterThan(970)
    expect(boiler?.value as number).toBeLessThan(1070)

    expect(recorder.latest(unknownNode.id)).toMatchObject({
      quality: 'bad',
      value: null,
      sourceId: 'ua-2',
    })
    expect(recorder.latest(unknownNode.id)?.reason).toMatch(/BadNodeIdUnknown/)
    expect(recorder.latest(malformedNode.id)).toMatchObject({ quality: 'bad', value: null })
    expect(recorder.latest(malformedNode.id)?.reason).toMatch(/BadNodeIdInvalid/)
    // The refused tags spoil nothing else.
    const after = recorder.values.length
    await waitFor(
      'more header pressures after the refusal',
      () => goodSince(recorder, headerPressure.id, after).length >= 2,
    )
    expect(recorder.latest(headerPressure.id)?.quality).toBe('good')
    expect(recorder.latest(boilerPressure.id)?.quality).toBe('good')

    // Our own certificate store, in the data folder.
    expect(existsSync(join(dataDir, 'pki', 'own', 'certs', 'client_certificate.pem'))).toBe(true)
    expect(existsSync(join(dataDir, 'pki', 'rejected'))).toBe(true)
  })

  it('keeps retrying a server that is down at start-up and picks it up when it appears', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    const recorder = createRecorder()
    startDriver(opcUaSource(port), [headerPressure, boilerPressure], recorder)

    await waitFor(
      'the driver to report the server unreachable',
      () => recorder.status()?.state === 'disconnected',
    )
    const down = recorder.status()
    expect(recorder.statuses[0]?.state).toBe('connecting')
    expect(down?.lastError).toContain(`opc.tcp://127.0.0.1:${port}`)
    expect(down?.lastError).toMatch(/refused/)
    expect(recorder.latest(headerPressure.id)).toMatchObject({ quality: 'bad', value: null })

    // Several attempts later the server appears on that port.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(recorder.status()?.state).toBe('disconnected')
    // One outage, one report: retries do not flicker the state.
    expect(recorder.statuses.filter((status) => status.state === 'disconnected')).toHaveLength(1)
    await startServer(port)
    await waitFor(
      'values from the late server',
      () => goodSince(recorder, headerPressure.id).length >= 2,
      20_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    expect(recorder.latest(boilerPressure.id)?.quality).toBe('good')
  })

  it('marks tags bad on connection loss and resumes the subscription when the server returns', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    const first = await startServer(port)
    const recorder = createRecorder()
    startDriver(opcUaSource(port), [headerPressure, boilerPressure, unknownNode], recorder)
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 2)
    expect(recorder.status()?.state).toBe('connected')

    // The server trips: every monitored tag goes bad with the reason, the source disconnected.
    await first.dispose()
    await waitFor('the connection loss', () => recorder.status()?.state === 'disconnected', 10_000)
    await waitFor('tags marked bad', () =>
      [headerPressure, boilerPressure].every((tag) => recorder.latest(tag.id)?.quality === 'bad'),
    )
    expect(recorder.status()?.lastError).toMatch(/connection lost/)
    for (const tag of [headerPressure, boilerPressure]) {
      expect(recorder.latest(tag.id)).toMatchObject({
        quality: 'bad',
        reason: 'connection lost',
        value: null,
      })
    }

    // The server comes back on the same port with no memory of our session or subscription.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const lostAt = recorder.values.length
    await startServer(port)
    await waitFor(
      'the subscription to deliver changing values again',
      () =>
        new Set(goodSince(recorder, headerPressure.id, lostAt).map((value) => value.value)).size >=
        3,
      25_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    expect(recorder.latest(boilerPressure.id)?.quality).toBe('good')
    // The unknown node is offered again after the repair, and still refused with its reason.
    await waitFor('the unknown node refused again', () =>
      recorder.values
        .slice(lostAt)
        .some(
          (value) => value.tagId === unknownNode.id && /BadNodeIdUnknown/.test(value.reason ?? ''),
        ),
    )
    const statesSeen = recorder.statuses.map((status) => status.state)
    expect(statesSeen).toEqual(['connecting', 'connected', 'disconnected', 'connected'])
    // node-opcua's own repair did it (new session, subscription recreated): our start-from-scratch
    // fallback was not needed.
    expect(recorder.logs.filter((line) => line.includes('restarting'))).toEqual([])
  })

  it('rides out a network blip: the channel is repaired and the subscription carries on', async () => {
    scheduler = trackingScheduler()
    const serverPort = await findFreePort()
    await startServer(serverPort)
    const relay = await startRelay(serverPort)
    try {
      const recorder = createRecorder()
      startDriver(opcUaSource(relay.port), [headerPressure, boilerPressure], recorder)
      await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 2)

      relay.cut()
      await waitFor('the connection loss', () => recorder.status()?.state === 'disconnected')
      expect(recorder.latest(headerPressure.id)).toMatchObject({
        quality: 'bad',
        reason: 'connection lost',
      })
      const cutAt = recorder.values.length
      await waitFor(
        'values through the repaired channel',
        () =>
          new Set(goodSince(recorder, headerPressure.id, cutAt).map((value) => value.value)).size >=
          3,
        15_000,
      )
      expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
      expect(recorder.latest(boilerPressure.id)?.quality).toBe('good')
      expect(recorder.logs.filter((line) => line.includes('restarting'))).toEqual([])
    } finally {
      await relay.close()
    }
  })

  it('refuses an untrusted server certificate into pki/rejected, and connects once it is trusted', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    await startServer(port)
    const recorder = createRecorder()
    startDriver(
      opcUaSource(port, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }),
      [headerPressure],
      recorder,
    )
    await waitFor('the refusal', () => recorder.status()?.state === 'disconnected', 15_000)
    const rejected = join(dataDir, 'pki', 'rejected')
    expect(recorder.status()?.lastError).toMatch(/not trusted/)
    expect(recorder.status()?.lastError).toContain(rejected)
    expect(recorder.latest(headerPressure.id)?.quality).toBe('bad')
    const certificates = readdirSync(rejected).filter((file) => /\.(pem|der)$/.test(file))
    expect(certificates.length).toBeGreaterThan(0)

    // What an engineer does after checking the thumbprint: move it to trusted/certs.
    const trusted = join(dataDir, 'pki', 'trusted', 'certs')
    mkdirSync(trusted, { recursive: true })
    for (const file of certificates) renameSync(join(rejected, file), join(trusted, file))
    await waitFor(
      'values over the encrypted channel',
      () => goodSince(recorder, headerPressure.id).length >= 2,
      20_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
  })

  it('disposes promptly while the server is down, leaving nothing scheduled', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    const server = await startServer(port)
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [headerPressure], recorder)
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 1)
    await server.dispose()
    await waitFor('the connection loss', () => recorder.status()?.state === 'disconnected', 10_000)

    const startedAt = Date.now()
    await driver.dispose()
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    expect(scheduler.outstanding()).toBe(0)
    // Nothing is reported after dispose.
    const count = recorder.values.length + recorder.statuses.length
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(recorder.values.length + recorder.statuses.length).toBe(count)
  })

  it('leaves no sockets or timers behind once everything is disposed', async () => {
    scheduler = trackingScheduler()
    const port = await findFreePort()
    const server = await startServer(port)
    const recorder = createRecorder()
    const driver = startDriver(opcUaSource(port), [headerPressure], recorder)
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 1)
    await driver.dispose()
    await server.dispose()
    // node-opcua closes some handles a moment after its promises resolve. (The certificate
    // store's file watchers are unref'd by node-opcua-pki, so they do not show here.)
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
