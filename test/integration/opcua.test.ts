import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  activeResources,
  benchTags,
  boilerPressure,
  createRecorder,
  goodSince,
  headerPressure,
  malformedNode,
  opcUaSource,
  sleep,
  startRelay,
  unknownNode,
  useOpcUaHarness,
  waitFor,
} from '../support/opcua'
import type { Tag } from '../../src/shared/site/schema'
import { findFreePort } from '../support/ports'

// The OPC UA driver against the plant simulator over real OPC UA on loopback (DESIGN.md §6).

describe('OPC UA driver against the simulator', () => {
  const harness = useOpcUaHarness('opcua-test')
  const { startServer, startDriver } = harness
  let baseline: Record<string, number>

  beforeAll(() => {
    baseline = activeResources()
  })

  it('streams good, changing, source-stamped and scaled values and reports bad node ids as bad', async () => {
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
      // plant-002.header.pressure holds its 9.6 bar setpoint, with 0.02 bar of noise.
      expect(value.value as number).toBeGreaterThan(9.2)
      expect(value.value as number).toBeLessThan(10.0)
    }
    // The drum at about 10.2 bar, read with factor 100: kPa.
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
    expect(
      existsSync(join(harness.dataDir(), 'pki', 'own', 'certs', 'client_certificate.pem')),
    ).toBe(true)
    expect(existsSync(join(harness.dataDir(), 'pki', 'rejected'))).toBe(true)
  })

  it('keeps retrying a server that is down at start-up and picks it up when it appears', async () => {
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
    await sleep(1_500)
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
    await sleep(500)
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
    const port = await findFreePort()
    await startServer(port)
    const recorder = createRecorder()
    startDriver(
      opcUaSource(port, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }),
      [headerPressure],
      recorder,
    )
    await waitFor('the refusal', () => recorder.status()?.state === 'disconnected', 15_000)
    const rejected = join(harness.dataDir(), 'pki', 'rejected')
    expect(recorder.status()?.lastError).toMatch(/not trusted/)
    expect(recorder.status()?.lastError).toContain(rejected)
    expect(recorder.latest(headerPressure.id)?.quality).toBe('bad')
    const certificates = readdirSync(rejected).filter((file) => /\.(pem|der)$/.test(file))
    expect(certificates.length).toBeGreaterThan(0)

    // What an engineer does after checking the thumbprint: move it to trusted/certs.
    const trusted = join(harness.dataDir(), 'pki', 'trusted', 'certs')
    mkdirSync(trusted, { recursive: true })
    for (const file of certificates) renameSync(join(rejected, file), join(trusted, file))
    await waitFor(
      'values over the encrypted channel',
      () => goodSince(recorder, headerPressure.id).length >= 2,
      20_000,
    )
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    // Its own waits (15 s, then 20 s over a fresh encrypted channel) need more than the default.
  }, 45_000)

  it('reports round trips, request counts, the session, its subscription and the server certificate', async () => {
    const port = await findFreePort()
    const server = await startServer(port)
    const recorder = createRecorder()
    // A console of its own: no earlier test has trusted the simulator's certificate there.
    const driver = startDriver(
      opcUaSource(port),
      [headerPressure, boilerPressure, unknownNode],
      recorder,
      { dataDir: join(harness.folder(), 'diagnostics-data') },
    )
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 5)

    const { stats, details } = driver.diagnostics()
    // OpenSecureChannel, CreateSession, ActivateSession, Read (limits), CreateSubscription,
    // CreateMonitoredItems and several Publish requests at least.
    expect(stats.requests).toBeGreaterThanOrEqual(7)
    expect(stats.requestsPerSecond).toBeGreaterThan(0)
    expect(stats.roundTripMs).not.toBeNull()
    expect(stats.roundTripMs ?? -1).toBeGreaterThanOrEqual(0)
    expect(stats.roundTripMs ?? Infinity).toBeLessThan(1_000)
    expect(stats).toMatchObject({ errors: 0, timeouts: 0, frameLossPercent: 0 })
    if (details.kind !== 'opcua') throw new Error(`unexpected details ${details.kind}`)
    expect(details).toMatchObject({
      securityMode: 'None',
      securityPolicy: 'None',
      session: { state: 'active' },
    })
    expect(details.session.sessionId).toMatch(/\S/)
    expect(details.session.timeoutMs ?? 0).toBeGreaterThanOrEqual(60_000)
    // The unknown node was refused: two items on one subscription.
    expect(details.subscriptions).toEqual([
      { id: expect.any(Number), publishingIntervalMs: 100, monitoredItems: 2, state: 'active' },
    ])
    // Without security the certificate still comes with the session (Part 4 §5.6.2); nobody was
    // asked to trust it.
    const certificate = details.serverCertificate
    expect(certificate?.thumbprint).toMatch(/^[0-9a-f]{40}$/)
    expect(certificate?.subject).toMatch(/Pilot Light simulator/)
    expect(Date.parse(certificate?.validFrom ?? '')).toBeLessThan(Date.now())
    expect(Date.parse(certificate?.validTo ?? '')).toBeGreaterThan(Date.now())
    expect(certificate?.status).toBe('unknown')

    // The server trips: the Publish requests it was holding are lost, and counted.
    await server.dispose()
    await waitFor('the connection loss', () => recorder.status()?.state === 'disconnected')
    const after = driver.diagnostics()
    expect(after.stats.errors).toBeGreaterThan(0)
    expect(after.stats.frameLossPercent).toBeGreaterThan(0)
    if (after.details.kind !== 'opcua') throw new Error('unexpected details')
    expect(after.details.session.state).toMatch(/repairing|closed|opening/)
  })

  it('spreads tags over as many subscriptions as the server limit needs', async () => {
    const port = await findFreePort()
    await startServer(port, { maxMonitoredItemsPerSubscription: 10, extraPoints: 25 })
    const recorder = createRecorder()
    const tags = benchTags(25)
    const driver = startDriver(opcUaSource(port), tags, recorder)
    await waitFor(
      'two values of every tag',
      () => tags.every((tag) => goodSince(recorder, tag.id).length >= 2),
      15_000,
    )
    const { details } = driver.diagnostics()
    if (details.kind !== 'opcua') throw new Error('unexpected details')
    expect(details.subscriptions.map((subscription) => subscription.monitoredItems)).toEqual([
      10, 10, 5,
    ])
    expect(new Set(details.subscriptions.map((subscription) => subscription.id)).size).toBe(3)
    expect(recorder.values.filter((value) => value.quality !== 'good')).toEqual([])
  })

  it('learns a limit the server does not publish from BadTooManyMonitoredItems, and reports what does not fit', async () => {
    const port = await findFreePort()
    // 15 items for the whole server, and no per-subscription limit published.
    await startServer(port, { maxMonitoredItems: 15, extraPoints: 25 })
    const recorder = createRecorder()
    const tags = benchTags(25)
    const driver = startDriver(opcUaSource(port), tags, recorder)
    await waitFor('every tag reported', () =>
      tags.every((tag) => recorder.latest(tag.id) !== undefined),
    )
    const fitted = tags.slice(0, 15)
    const left = tags.slice(15)
    await waitFor('values of the tags that fit', () =>
      fitted.every((tag) => goodSince(recorder, tag.id).length >= 1),
    )
    for (const tag of left) {
      expect(recorder.latest(tag.id)).toMatchObject({ quality: 'bad', value: null })
      expect(recorder.latest(tag.id)?.reason).toMatch(/BadTooManyMonitoredItems/)
    }
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    const { details } = driver.diagnostics()
    if (details.kind !== 'opcua') throw new Error('unexpected details')
    // It tried a second subscription before concluding the server itself was full.
    expect(details.subscriptions.map((subscription) => subscription.monitoredItems)).toEqual([
      15, 0,
    ])
  })

  it('applies the deadband of a source: changes inside it are not reported', async () => {
    const port = await findFreePort()
    await startServer(port, { extraPoints: 1 })
    const plain = createRecorder()
    const absolute = createRecorder()
    const percent = createRecorder()
    const [benchPoint] = benchTags(1)
    if (!benchPoint) throw new Error('no bench tag')
    startDriver(opcUaSource(port), [headerPressure], plain)
    // header pressure moves 9.6 ± 0.33 bar; its EURange is 9.6 ± 3 bar.
    startDriver(
      opcUaSource(port, { deadband: { type: 'absolute', value: 5 } }),
      [headerPressure],
      absolute,
    )
    startDriver(
      opcUaSource(port, { deadband: { type: 'percent', value: 50 } }),
      [headerPressure, benchPoint],
      percent,
    )
    await waitFor('first values', () =>
      [plain, absolute, percent].every(
        (recorder) => goodSince(recorder, headerPressure.id).length >= 1,
      ),
    )
    const plainBefore = goodSince(plain, headerPressure.id).length
    await sleep(2_000)
    expect(goodSince(plain, headerPressure.id).length - plainBefore).toBeGreaterThanOrEqual(5)
    expect(goodSince(absolute, headerPressure.id)).toHaveLength(1)
    expect(goodSince(percent, headerPressure.id)).toHaveLength(1)
    // A percent deadband needs an EURange (Part 8 §6.2); a plain variable has none, and the server
    // refuses the filter for that tag only.
    expect(percent.latest(benchPoint.id)).toMatchObject({ quality: 'bad', value: null })
    expect(percent.latest(benchPoint.id)?.reason).toMatch(/^Bad/)
  })

  it('keeps several values per publish when the source asks for a queue', async () => {
    const port = await findFreePort()
    await startServer(port)
    const latestOnly = createRecorder()
    const queued = createRecorder()
    // Sampled every 100 ms, published every 500 ms.
    startDriver(opcUaSource(port, { publishingMs: 500 }), [headerPressure], latestOnly)
    startDriver(opcUaSource(port, { publishingMs: 500, queueSize: 10 }), [headerPressure], queued)
    await waitFor('first values', () =>
      [latestOnly, queued].every((recorder) => goodSince(recorder, headerPressure.id).length >= 1),
    )
    const latestBefore = goodSince(latestOnly, headerPressure.id).length
    const queuedBefore = goodSince(queued, headerPressure.id).length
    await sleep(2_000)
    const latestCount = goodSince(latestOnly, headerPressure.id).length - latestBefore
    const queuedCount = goodSince(queued, headerPressure.id).length - queuedBefore
    // About 4 publishes in 2 s: one value each, or every sample of the interval.
    expect(latestCount).toBeLessThanOrEqual(6)
    expect(queuedCount).toBeGreaterThanOrEqual(12)
  })

  it('disposes promptly while the server is down, leaving nothing scheduled', async () => {
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
    expect(harness.scheduler().outstanding()).toBe(0)
    // Nothing is reported after dispose.
    const count = recorder.values.length + recorder.statuses.length
    await sleep(1_500)
    expect(recorder.values.length + recorder.statuses.length).toBe(count)
  })

  it('serves plant-003 beside plant-002, flags as Booleans', async () => {
    const port = await findFreePort()
    await startServer(port)
    const point = (id: string, unit: string): Tag => ({
      id,
      source: 'ua-2',
      nodeId: `ns=1;s=${id}`,
      unit,
    })
    const tags = [
      point('plant-003.header.pressure', 'bar'),
      point('plant-003.consumer-food-processing.supply-temperature', '°C'),
      point('plant-003.boiler-4.running', ''),
      point('plant-003.distribution-deviation', '%'),
    ]
    const recorder = createRecorder()
    startDriver(opcUaSource(port), tags, recorder)
    await waitFor('all plant-003 tags good', () =>
      tags.every((tag) => recorder.latest(tag.id)?.quality === 'good'),
    )
    // At its 13.5 bar setpoint, within a few times the 0.02 bar noise.
    expect(recorder.latest('plant-003.header.pressure')?.value as number).toBeCloseTo(13.5, 0)
    expect(
      recorder.latest('plant-003.consumer-food-processing.supply-temperature')?.value as number,
    ).toBeGreaterThan(100)
    expect(recorder.latest('plant-003.boiler-4.running')?.value).toBe(true)
    expect(recorder.latest('plant-003.distribution-deviation')?.value).toBeTypeOf('number')
  })

  it('leaves no sockets or timers behind once everything is disposed', async () => {
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
