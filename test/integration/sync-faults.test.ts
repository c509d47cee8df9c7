import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import { createSyncEngine, type SyncEngine } from '../../src/backend/sync/engine'
import type { ReceiverFault } from '../../src/receiver/faults'
import { createReceiver, type Receiver, type ReceiverExchange } from '../../src/receiver/receiver'
import { systemScheduler } from '../../src/shared/scheduler'
import type { SyncStatus } from '../../src/shared/sync/status'
import { findFreePort } from '../support/ports'
import {
  arrivalOrder,
  expectReceiverHolds,
  heldSockets,
  socketsGivenBack,
  openSyncJournal,
  quickTiming,
  syncSiteId,
  waitForDrain,
  type SyncJournal,
} from '../support/sync-fixture'
import { waitFor } from '../support/wait-for'

// DESIGN.md §6 and the journal/sync issue: the sync fault matrix against the reference receiver,
// over real HTTP on 127.0.0.1. After each fault the receiver holds every event exactly once and in
// seq order, the console's outbox is empty, and the quarantine holds exactly what it should.

const eventCount = 350
const batchSize = 100

type Exchange = ReceiverExchange & { at: number }

let journal: SyncJournal
let receiver: Receiver | null = null
let engine: SyncEngine | null = null
let exchanges: Exchange[]
let statuses: SyncStatus[]

let sockets: string[]

beforeEach(() => {
  sockets = heldSockets()
})

afterEach(async () => {
  await engine?.dispose()
  await receiver?.dispose()
  engine = null
  receiver = null
  journal.remove()
  await socketsGivenBack(sockets)
})

async function startReceiver(
  options: { port?: number; token?: string; faults?: ReceiverFault[] } = {},
) {
  receiver = await createReceiver({
    dbPath: join(journal.dir, 'central.sqlite'),
    port: options.port ?? 0,
    token: options.token,
    onExchange: (exchange) => exchanges.push({ ...exchange, at: Date.now() }),
  })
  for (const fault of options.faults ?? []) receiver.injectFault(fault)
  return receiver
}

function startEngine(url: string, options: { token?: string; requestTimeoutMs?: number } = {}) {
  const started = createSyncEngine({
    journal: journal.journal,
    db: journal.db,
    central: { url, siteId: syncSiteId, token: options.token },
    scheduler: systemScheduler,
    logger: silentLogger,
    limits: { maxEvents: batchSize },
    timing: { ...quickTiming, requestTimeoutMs: options.requestTimeoutMs ?? 2_000 },
  })
  started.onStatus((status) => statuses.push(status))
  started.start()
  engine = started
  return started
}

/** Runs `eventCount` events through `faults` and checks the end state every fault must reach. */
async function syncThrough(faults: ReceiverFault[], options: { requestTimeoutMs?: number } = {}) {
  journal = openSyncJournal()
  exchanges = []
  statuses = []
  const events = journal.append(eventCount)
  const running = await startReceiver({ faults })
  const syncing = startEngine(running.url, options)
  await waitForDrain(syncing)
  expectReceiverHolds(running, events)
  expect(arrivalOrder(running)).toEqual(events.map((event) => event.seq))
  expect(journal.journal.pendingOutbox(1)).toEqual([])
  expect(syncing.quarantined()).toEqual([])
  return { events, syncing }
}

describe('sync fault matrix against the reference receiver', () => {
  it('connection refused: offline with the reason, then drains once the receiver listens', async () => {
    journal = openSyncJournal()
    exchanges = []
    statuses = []
    const events = journal.append(eventCount)
    const port = await findFreePort()
    const syncing = startEngine(`http://127.0.0.1:${port}`)
    await waitFor('the engine to report the refusal', () =>
      statuses.some((status) => status.state === 'offline' && status.lastError !== null),
    )
    const offline = statuses.find((status) => status.lastError !== null)
    expect(offline?.lastError?.message).toMatch(/Cannot reach the central system: .*ECONNREFUSED/)
    expect(offline?.nextAttemptAt).not.toBeNull()
    expect(offline?.backlog).toMatchObject({
      count: eventCount,
      oldestTs: Date.parse(events[0]!.ts),
    })

    const running = await startReceiver({ port })
    await waitForDrain(syncing)
    expectReceiverHolds(running, events)
    expect(arrivalOrder(running)).toEqual(events.map((event) => event.seq))
    expect(journal.journal.pendingOutbox(1)).toEqual([])
    expect(syncing.status().lastSuccessAt).not.toBeNull()
  })

  it('timeout before the server commits: the same batch again, stored once', async () => {
    await syncThrough([{ kind: 'hang-before-commit' }], { requestTimeoutMs: 300 })
    const [hung, retry] = exchanges
    expect(hung).toMatchObject({ fault: 'hang-before-commit', status: null })
    expect(retry).toMatchObject({ batchId: hung?.batchId, status: 200, accepted: batchSize })
    expect(
      statuses.some((status) => status.lastError?.message.includes('no answer within 0.3 s')),
    ).toBe(true)
  })

  it('timeout after the server commits: the retry comes back as duplicates', async () => {
    await syncThrough([{ kind: 'hang-after-commit' }], { requestTimeoutMs: 300 })
    const [hung, retry] = exchanges
    expect(hung).toMatchObject({ fault: 'hang-after-commit', status: null, accepted: batchSize })
    expect(retry).toMatchObject({ batchId: hung?.batchId, accepted: 0, duplicate: batchSize })
  })

  it('500: backs off and sends the same batch again', async () => {
    await syncThrough([{ kind: 'status', status: 500, message: 'database restarting' }])
    const [refused, retry] = exchanges
    expect(refused?.status).toBe(500)
    expect(retry).toMatchObject({ batchId: refused?.batchId, status: 200, accepted: batchSize })
    const backingOff = statuses.find((status) => status.state === 'backing-off')
    expect(backingOff?.lastError?.message).toContain('HTTP 500: database restarting')
  })

  it('503 with Retry-After: waits as long as the server asks', async () => {
    await syncThrough([{ kind: 'status', status: 503, retryAfter: '1' }])
    const [refused, retry] = exchanges
    expect(retry?.batchId).toBe(refused?.batchId)
    // quickTiming's backoff would retry within 20 ms; Retry-After asked for a second.
    expect((retry?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(950)
    const backingOff = statuses.find((status) => status.state === 'backing-off')
    expect((backingOff?.nextAttemptAt ?? 0) - (backingOff?.lastError?.at ?? 0)).toBe(1_000)
  })

  it('429: backs off and sends the same batch again', async () => {
    await syncThrough([
      { kind: 'status', status: 429 },
      { kind: 'status', status: 429 },
    ])
    const [first, second, third] = exchanges
    expect([first?.status, second?.status, third?.status]).toEqual([429, 429, 200])
    expect(new Set([first?.batchId, second?.batchId, third?.batchId]).size).toBe(1)
  })

  it('duplicate acknowledgements: ids named twice or not in the batch change nothing', async () => {
    await syncThrough([
      { kind: 'duplicate-acknowledgements' },
      { kind: 'duplicate-acknowledgements' },
    ])
    expect(exchanges.filter((exchange) => exchange.fault !== null)).toHaveLength(2)
  })

  it('partial acceptance: the ids in no list are sent again', async () => {
    await syncThrough([{ kind: 'partial', take: 30 }])
    const [partial, next] = exchanges
    expect(partial).toMatchObject({ fault: 'partial', accepted: 30 })
    // The next batch starts where the receiver stopped: seq 31, in a new batch.
    expect(next).toMatchObject({ accepted: batchSize, duplicate: 0 })
    expect(next?.batchId).not.toBe(partial?.batchId)
  })

  it('connection reset mid-response: the retry finds everything stored', async () => {
    await syncThrough([{ kind: 'reset-mid-response' }])
    const [reset, retry] = exchanges
    expect(reset).toMatchObject({ fault: 'reset-mid-response', accepted: batchSize })
    expect(retry).toMatchObject({ batchId: reset?.batchId, accepted: 0, duplicate: batchSize })
  })

  it('400: the whole batch is quarantined with the message, the rest syncs, retry delivers it', async () => {
    journal = openSyncJournal()
    exchanges = []
    statuses = []
    const events = journal.append(eventCount)
    const running = await startReceiver({
      faults: [{ kind: 'status', status: 400, message: 'site north-works is not registered' }],
    })
    const syncing = startEngine(running.url)
    await waitForDrain(syncing)
    const quarantined = syncing.quarantined()
    expect(quarantined.map((item) => item.id)).toEqual(events.slice(0, batchSize).map((e) => e.id))
    expect(quarantined[0]).toMatchObject({
      kind: 'event',
      seq: 1,
      httpStatus: 400,
      reason: 'HTTP 400: site north-works is not registered',
      batchId: exchanges[0]?.batchId,
    })
    expect(syncing.status().quarantineCount).toBe(batchSize)
    expect(running.store.events(journal.journal.consoleId)).toHaveLength(eventCount - batchSize)
    // Quarantined events stay pending in the outbox until the central system has them.
    expect(journal.journal.pendingOutbox(eventCount)).toHaveLength(batchSize)

    expect(syncing.retryQuarantined('all')).toBe(batchSize)
    await waitFor('the quarantine to empty', () => syncing.status().quarantineCount === 0)
    await waitForDrain(syncing)
    expectReceiverHolds(running, events)
    // The released batch filled the gap after the rest had arrived; its links were checked then.
    expect(arrivalOrder(running)).toEqual([
      ...events.slice(batchSize).map((event) => event.seq),
      ...events.slice(0, batchSize).map((event) => event.seq),
    ])
    expect(journal.journal.pendingOutbox(1)).toEqual([])
  })

  it('rejected events are quarantined with their reasons; the rest of the batch is stored', async () => {
    journal = openSyncJournal()
    exchanges = []
    statuses = []
    const events = journal.append(eventCount)
    const running = await startReceiver({
      faults: [{ kind: 'reject', seqs: [5, 77], reason: 'incident unknown to the orchestrator' }],
    })
    const syncing = startEngine(running.url)
    await waitForDrain(syncing)
    expect(syncing.quarantined()).toMatchObject([
      { kind: 'event', seq: 5, httpStatus: null, reason: 'incident unknown to the orchestrator' },
      { kind: 'event', seq: 77, httpStatus: null, reason: 'incident unknown to the orchestrator' },
    ])
    const held = running.store.events(journal.journal.consoleId).map((event) => event.seq)
    expect(held).toEqual(events.map((event) => event.seq).filter((seq) => seq !== 5 && seq !== 77))

    const exported = syncing
      .exportQuarantined()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; event: { seq: number; hash: string } })
    expect(exported.map((line) => [line.kind, line.event.seq])).toEqual([
      ['event', 5],
      ['event', 77],
    ])
    expect(exported[0]?.event).toEqual(events[4])

    expect(syncing.retryQuarantined([events[4]!.id])).toBe(1)
    await waitFor(
      'seq 5 to arrive',
      () => running.store.events(journal.journal.consoleId).length === eventCount - 1,
    )
    expect(syncing.quarantined()).toMatchObject([{ kind: 'event', seq: 77 }])
    syncing.retryQuarantined('all')
    await waitFor('the quarantine to empty', () => syncing.status().quarantineCount === 0)
    await waitForDrain(syncing)
    expectReceiverHolds(running, events)
  })

  it('401: offline, "check the token", nothing quarantined; the right token then drains', async () => {
    journal = openSyncJournal()
    exchanges = []
    statuses = []
    const events = journal.append(eventCount)
    const running = await startReceiver({ token: 'plant-secret' })
    const wrong = startEngine(running.url, { token: 'not-the-secret' })
    await waitFor('two refused attempts', () => exchanges.length >= 2)
    expect(wrong.status()).toMatchObject({ state: 'offline', quarantineCount: 0 })
    expect(wrong.status().lastError?.message).toContain(
      "refused this console's credentials: check the token (HTTP 401",
    )
    expect(new Set(exchanges.map((exchange) => exchange.status))).toEqual(new Set([401]))
    expect(running.store.events(journal.journal.consoleId)).toEqual([])
    await wrong.dispose()

    const right = startEngine(running.url, { token: 'plant-secret' })
    await waitForDrain(right)
    expectReceiverHolds(running, events)
  })
})
