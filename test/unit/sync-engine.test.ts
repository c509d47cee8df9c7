import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import {
  createSyncEngine,
  type SyncEngine,
  type SyncLimits,
  type SyncTiming,
} from '../../src/backend/sync/engine'
import type { HistoryFeed } from '../../src/backend/sync/history-feed'
import type { HistorySample } from '../../src/shared/sync/protocol'
import type { SyncStatus } from '../../src/shared/sync/status'
import { ManualScheduler } from '../support/manual-scheduler'
import {
  openSyncJournal,
  syncConsoleId,
  syncSiteId,
  type SyncJournal,
} from '../support/sync-fixture'
import {
  createMemoryHistoryFeed,
  sampleSeries,
  type MemoryHistoryFeed,
} from '../support/sync-history-feed'
import {
  acceptEverything,
  answered,
  never,
  ok,
  scriptedTransport,
  unreachable,
  type Answerer,
} from '../support/sync-transport'

// The sync engine's decisions on fake time (DESIGN.md §6): a ManualScheduler for backoff, timeouts
// and polling, a scripted transport for the central system's answers, a real journal on disk.

let scheduler: ManualScheduler
let journal: SyncJournal
let engine: SyncEngine
let script: ReturnType<typeof scriptedTransport>
let feed: MemoryHistoryFeed | undefined
let storeLike: StoreLikeFeed | undefined
let heard: SyncStatus[]

afterEach(async () => {
  await engine.dispose()
  // Nothing left behind: no poll, no backoff, no timeout.
  expect(scheduler.pending()).toBe(0)
  journal.remove()
})

function setup(
  options: {
    limits?: Partial<SyncLimits>
    timing?: Partial<SyncTiming>
    fallback?: Answerer
    history?: readonly HistorySample[]
    /** The history through a feed that reads as the history store does, instead of the memory feed. */
    storeLike?: Parameters<typeof createStoreLikeFeed>[1]
    random?: () => number
  } = {},
): void {
  scheduler = new ManualScheduler()
  journal = openSyncJournal({ clock: scheduler.now })
  script = scriptedTransport(options.fallback)
  const { history, storeLike: reading } = options
  feed = history === undefined || reading ? undefined : createMemoryHistoryFeed(history)
  storeLike = history === undefined || !reading ? undefined : createStoreLikeFeed(history, reading)
  engine = newEngine(options)
}

function newEngine(
  options: {
    limits?: Partial<SyncLimits>
    timing?: Partial<SyncTiming>
    random?: () => number
  } = {},
): SyncEngine {
  const created = createSyncEngine({
    journal: journal.journal,
    db: journal.db,
    history: storeLike ?? feed,
    central: { url: 'https://central.example/api/', siteId: syncSiteId, token: 'token-1' },
    scheduler,
    logger: silentLogger,
    random: options.random ?? (() => 0.5),
    http: script.transport,
    limits: options.limits,
    timing: options.timing,
  })
  heard = []
  created.onStatus((status) => heard.push(status))
  return created
}

type StoreLikeFeed = HistoryFeed<number> & {
  /** Samples marked synced so far, oldest first. */
  synced: () => HistorySample[]
  /** What happened, in order: `read <after> → <from>-<to>` (after is "mark" without one), `mark <cursor>`. */
  log: string[]
}

/**
 * History in memory read as the history store reads it: whole blocks of `block` samples (at least
 * one), and past a cursor handed out and not marked yet when asked to; the cursor is the index
 * past the samples handed out.
 */
function createStoreLikeFeed(
  samples: readonly HistorySample[],
  { block = 1, readsAhead = true }: { block?: number; readsAhead?: boolean } = {},
): StoreLikeFeed {
  let marked = 0
  const log: string[] = []
  return {
    readsAhead,
    pendingForSync: (limit, after) => {
      const from = Math.max(after ?? marked, marked)
      const count = Math.max(1, Math.floor(limit / block)) * block
      const read = samples.slice(from, from + count)
      log.push(`read ${after ?? 'mark'} → ${from}-${from + read.length}`)
      return { samples: read, cursor: from + read.length }
    },
    markSynced: (cursor) => {
      log.push(`mark ${cursor}`)
      marked = Math.max(marked, cursor)
    },
    backlog: () => ({ count: samples.length - marked, oldestTs: samples[marked]?.ts ?? null }),
    synced: () => samples.slice(0, marked),
    log,
  }
}

const journalRequests = () => script.requests.filter((request) => request.stream === 'journal')
const sentSeqs = () =>
  journalRequests().flatMap((request) => (request.body.events ?? []).map((event) => event.seq))
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index)

describe('batches', () => {
  it('drains the journal in seq order, at most maxEvents per batch, each batch its own id', async () => {
    setup()
    const events = journal.append(1_200)
    engine.start()
    await scheduler.advance(0)

    expect(script.requests.map((request) => request.body.events?.length)).toEqual([500, 500, 200])
    expect(script.requests.flatMap((request) => request.body.events)).toEqual(events)
    const [first] = script.requests
    expect(first?.url).toBe(`https://central.example/api/v1/consoles/${syncConsoleId}/journal`)
    expect(first?.headers).toMatchObject({
      Authorization: 'Bearer token-1',
      'Content-Type': 'application/json',
      'Idempotency-Key': first?.body.batchId,
    })
    expect(first?.body).toMatchObject({ consoleId: syncConsoleId, siteId: syncSiteId })
    expect(new Set(script.requests.map((request) => request.body.batchId)).size).toBe(3)
    expect(journal.journal.pendingOutbox(1)).toEqual([])
    expect(engine.status()).toMatchObject({
      state: 'online',
      target: 'https://central.example/api',
      backlog: { count: 0, oldestTs: null },
      lastSuccessAt: scheduler.now(),
      nextAttemptAt: null,
    })
  })

  it('keeps each batch within maxBytes, as full as the limit allows', async () => {
    setup({ limits: { maxBytes: 20_000 } })
    journal.append(300)
    engine.start()
    await scheduler.advance(0)
    expect(sentSeqs()).toEqual(range(1, 300))
    for (const [index, request] of script.requests.entries()) {
      expect(request.bytes).toBeLessThanOrEqual(20_000)
      const nextEvent = script.requests[index + 1]?.body.events?.[0]
      if (nextEvent)
        expect(request.bytes + JSON.stringify(nextEvent).length).toBeGreaterThan(20_000)
    }
    // The body's byte count is UTF-8, not string length: the sample events hold "✓" and "ü".
    expect(script.requests.some((request) => request.bytes > request.raw.length)).toBe(true)
  })

  it('sends an event larger than maxBytes alone, in its turn', async () => {
    setup({ limits: { maxBytes: 3_000 } })
    journal.append(4)
    journal.journal.append({
      type: 'incident.note-added',
      actor: 'operator-ana',
      data: { note: 'x'.repeat(5_000) },
    })
    journal.append(4)
    engine.start()
    await scheduler.advance(0)
    expect(sentSeqs()).toEqual(range(1, 9))
    const large = script.requests.find((request) => request.bytes > 3_000)
    expect(large?.body.events?.map((event) => event.seq)).toEqual([5])
  })
})

describe('retries', () => {
  it('sends the same batch again after failures, with full-jitter backoff doubling to its cap', async () => {
    setup({ fallback: unreachable, timing: { backoffBaseMs: 1_000, backoffMaxMs: 8_000 } })
    journal.append(3)
    engine.start()
    await scheduler.advance(0)
    const delays: number[] = []
    for (let attempt = 0; attempt < 6; attempt++) {
      const { nextAttemptAt, state } = engine.status()
      expect(state).toBe('offline')
      const delay = (nextAttemptAt ?? 0) - scheduler.now()
      delays.push(delay)
      const sent = script.requests.length
      await scheduler.advance(delay - 1)
      expect(script.requests).toHaveLength(sent)
      await scheduler.advance(1)
      expect(script.requests).toHaveLength(sent + 1)
    }
    // random() = 0.5 of ceilings 1, 2, 4, 8, 8, 8 s.
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000])
    expect(new Set(script.requests.map((request) => request.raw)).size).toBe(1)
    expect(engine.status().lastError?.message).toBe(
      'Cannot reach the central system: connect ECONNREFUSED 127.0.0.1:9',
    )

    // Success resets the backoff: the next failure waits the first delay again.
    script.next(acceptEverything)
    await scheduler.advance(4_000)
    expect(engine.status()).toMatchObject({ state: 'online', nextAttemptAt: null })
    journal.append(1)
    engine.kick()
    await scheduler.advance(0)
    expect((engine.status().nextAttemptAt ?? 0) - scheduler.now()).toBe(500)
  })

  it.each([
    ['delay-seconds', '7', 7_000],
    ['an HTTP-date', new Date(Date.UTC(2026, 0, 1, 0, 0, 12)).toUTCString(), 12_000],
    ['a value beyond retryAfterMaxMs, cut to it', '86400', 3_600_000],
  ])('honours Retry-After given as %s', async (_what, header, delay) => {
    setup()
    journal.append(2)
    script.next(() => answered(503, { error: 'maintenance' }, header))
    engine.start()
    await scheduler.advance(0)
    expect(engine.status()).toMatchObject({
      state: 'backing-off',
      nextAttemptAt: scheduler.now() + delay,
      lastError: {
        message: 'The central system cannot take the batch now (HTTP 503: maintenance)',
      },
    })
    await scheduler.advance(delay - 1)
    expect(script.requests).toHaveLength(1)
    await scheduler.advance(1)
    expect(script.requests.map((request) => request.body.batchId)).toEqual([
      script.requests[0]?.body.batchId,
      script.requests[0]?.body.batchId,
    ])
  })

  it.each([408, 429, 500, 502, 503, 504])(
    'backs off after %i and retries the same batch',
    async (status) => {
      setup()
      journal.append(2)
      script.next(() => answered(status, ''))
      engine.start()
      await scheduler.advance(0)
      expect(engine.status()).toMatchObject({ state: 'backing-off', quarantineCount: 0 })
      expect(engine.status().lastError?.message).toContain(`(HTTP ${status}: no message)`)
      await scheduler.advance(500)
      expect(script.requests[1]?.raw).toBe(script.requests[0]?.raw)
      expect(journal.journal.pendingOutbox(1)).toEqual([])
    },
  )

  it('times out a request on the scheduler clock and treats it as a lost connection', async () => {
    setup({ timing: { requestTimeoutMs: 30_000 } })
    journal.append(2)
    script.next(never)
    engine.start()
    await scheduler.advance(29_999)
    expect(script.requests[0]?.signal.aborted).toBe(false)
    expect(engine.status().lastError).toBeNull()
    await scheduler.advance(1)
    expect(script.requests[0]?.signal.aborted).toBe(true)
    expect(engine.status()).toMatchObject({
      state: 'offline',
      lastError: { message: 'Cannot reach the central system: no answer within 30 s' },
    })
    await scheduler.advance(500)
    expect(script.requests[1]?.raw).toBe(script.requests[0]?.raw)
  })

  it('notify() of new events sends them at once while online, and leaves a backoff wait alone', async () => {
    setup({ timing: { backoffBaseMs: 60_000, pollMs: 60_000 } })
    journal.append(1)
    engine.start()
    await scheduler.advance(0)
    expect(script.requests).toHaveLength(1)
    journal.append(1)
    engine.notify()
    await scheduler.advance(0)
    expect(sentSeqs()).toEqual([1, 2])

    // The central system goes away: events recorded meanwhile show in the backlog and wait.
    script.next(unreachable)
    journal.append(1)
    engine.notify()
    await scheduler.advance(0)
    const failed = script.requests.length
    expect(engine.status().state).toBe('offline')
    for (let event = 0; event < 5; event++) {
      journal.append(1)
      engine.notify()
      await scheduler.advance(100)
    }
    expect(script.requests).toHaveLength(failed)
    expect(engine.status().backlog.count).toBe(6)
  })

  it('kick() ends a backoff wait', async () => {
    setup({ fallback: unreachable, timing: { backoffBaseMs: 60_000 } })
    journal.append(1)
    engine.start()
    await scheduler.advance(0)
    expect(script.requests).toHaveLength(1)
    engine.kick()
    await scheduler.advance(0)
    expect(script.requests).toHaveLength(2)
  })
})

describe('refusals', () => {
  it.each([
    [401, "refused this console's credentials: check the token"],
    [403, 'does not allow this console'],
    [404, 'has no such address: check central.url'],
    [405, 'does not take batches at this address'],
    [407, 'needs proxy credentials'],
  ])(
    '%i means the console is set up wrong: offline, retried, nothing quarantined',
    async (status, words) => {
      setup()
      journal.append(2)
      script.next(() => answered(status, { error: 'nope' }))
      engine.start()
      await scheduler.advance(0)
      expect(engine.status()).toMatchObject({ state: 'offline', quarantineCount: 0 })
      expect(engine.status().lastError?.message).toContain(`The central system ${words}`)
      expect(engine.status().lastError?.message).toContain(`(HTTP ${status}: nope)`)
      await scheduler.advance(500)
      expect(script.requests[1]?.raw).toBe(script.requests[0]?.raw)
      expect(journal.journal.pendingOutbox(1)).toEqual([])
    },
  )

  it.each([
    [400, { error: 'events[3].data too deep' }, 'HTTP 400: events[3].data too deep'],
    [409, { message: 'console retired' }, 'HTTP 409: console retired'],
    [422, 'Unprocessable:\n  site   unknown', 'HTTP 422: Unprocessable: site unknown'],
  ])(
    'quarantines the whole batch on another 4xx (%i), with the server message, and moves on',
    async (status, body, reason) => {
      setup({ limits: { maxEvents: 10 } })
      const events = journal.append(25)
      script.next(() => answered(status, body))
      engine.start()
      await scheduler.advance(0)
      expect(engine.quarantined()).toEqual(
        events.slice(0, 10).map((event) => ({
          kind: 'event',
          id: event.id,
          seq: event.seq,
          type: event.type,
          ts: event.ts,
          incidentId: event.incidentId,
          actor: event.actor,
          batchId: script.requests[0]?.body.batchId,
          reason,
          httpStatus: status,
          quarantinedAt: scheduler.now(),
        })),
      )
      expect(sentSeqs()).toEqual(range(1, 25))
      expect(engine.status()).toMatchObject({
        state: 'online',
        quarantineCount: 10,
        backlog: { count: 0 },
        lastError: { message: `The central system refused a batch (${reason})` },
      })
      // Still pending in the outbox, and never sent again until the operator says so.
      expect(journal.journal.pendingOutbox(100).map((event) => event.seq)).toEqual(range(1, 10))
      journal.append(1)
      engine.kick()
      await scheduler.advance(0)
      expect(sentSeqs()).toEqual(range(1, 26))
    },
  )

  it('treats a redirect as a wrong address: offline, nothing quarantined', async () => {
    setup()
    journal.append(1)
    script.next(() => answered(302, ''))
    engine.start()
    await scheduler.advance(0)
    expect(engine.status()).toMatchObject({ state: 'offline', quarantineCount: 0 })
    expect(engine.status().lastError?.message).toContain(
      '(HTTP 302); is central.url the final address?',
    )
  })

  it('sends smaller batches after 413, and quarantines a single event that is still too large', async () => {
    setup({ limits: { maxEvents: 400 } })
    journal.append(400)
    script.next(
      () => answered(413, 'too large'),
      () => answered(413, 'too large'),
    )
    engine.start()
    await scheduler.advance(0)
    // Each 413 halves the batch (by count and by bytes); nothing is refused for it.
    const sizes = script.requests.map((request) => request.body.events?.length ?? 0)
    expect(sizes[0]).toBe(400)
    expect(sizes[1]).toBeLessThanOrEqual(200)
    for (const size of sizes.slice(2)) expect(size).toBeLessThanOrEqual(100)
    expect(engine.quarantined()).toEqual([])
    const taken = script.requests.slice(2).flatMap((request) => request.body.events ?? [])
    expect(taken.map((event) => event.seq)).toEqual(range(1, 400))

    journal.append(1)
    script.next(() => answered(413, 'too large'))
    engine.kick()
    await scheduler.advance(0)
    expect(engine.quarantined()).toMatchObject([{ seq: 401, httpStatus: 413 }])
  })
})

describe('acknowledgements', () => {
  it('ignores ids that were not in the batch and ids named twice', async () => {
    setup()
    const events = journal.append(5)
    const ids = events.map((event) => event.id)
    script.next(() =>
      ok({
        accepted: [...ids, ids[0], 'not-an-event-here'],
        duplicate: [ids[1], 'x'],
        rejected: [{ id: 'y', reason: 'r' }],
      }),
    )
    engine.start()
    await scheduler.advance(0)
    expect(journal.journal.pendingOutbox(10)).toEqual([])
    expect(engine.status()).toMatchObject({ state: 'online', quarantineCount: 0 })
  })

  it('quarantines rejected ids with their reasons, even when also listed as taken', async () => {
    setup()
    const events = journal.append(5)
    const ids = events.map((event) => event.id)
    script.next(() =>
      ok({
        accepted: ids,
        duplicate: [],
        rejected: [
          { id: ids[1], reason: 'unknown incident' },
          { id: ids[3], reason: 'r'.repeat(2_000) },
        ],
      }),
    )
    engine.start()
    await scheduler.advance(0)
    expect(engine.quarantined()).toMatchObject([
      { seq: 2, reason: 'unknown incident', httpStatus: null },
      { seq: 4, reason: 'r'.repeat(500) },
    ])
    expect(journal.journal.pendingOutbox(10).map((event) => event.seq)).toEqual([2, 4])
    expect(engine.status().lastError?.message).toBe(
      'The central system rejected 2 event(s): unknown incident',
    )
  })

  it('never marks a quarantined event synced, even inside a run of events the next batch took', async () => {
    setup({ limits: { maxEvents: 5 } })
    const events = journal.append(10)
    const id = (seq: number) => events[seq - 1]?.id
    // Seq 1 taken, 3 rejected, 2, 4 and 5 in no list: the next batch is 2, 4, 5, 6, 7.
    script.next(() =>
      ok({ accepted: [id(1)], duplicate: [], rejected: [{ id: id(3), reason: 'no' }] }),
    )
    engine.start()
    await scheduler.advance(0)
    expect(script.requests[1]?.body.events?.map((event) => event.seq)).toEqual([2, 4, 5, 6, 7])
    expect(sentSeqs().slice(5)).toEqual([2, 4, 5, 6, 7, 8, 9, 10])
    expect(journal.journal.pendingOutbox(10).map((event) => event.seq)).toEqual([3])
  })

  it('sends the ids in no list again, in a new batch, not the one prepared after it', async () => {
    setup()
    const events = journal.append(1_200)
    script.next(() =>
      ok({ accepted: events.slice(0, 10).map((event) => event.id), duplicate: [], rejected: [] }),
    )
    engine.start()
    await scheduler.advance(0)
    expect(script.requests[1]?.body.events?.[0]?.seq).toBe(11)
    expect(script.requests[1]?.body.batchId).not.toBe(script.requests[0]?.body.batchId)
    expect(journal.journal.pendingOutbox(1)).toEqual([])
  })

  it.each([
    [
      'takes none of the batch',
      ok({ accepted: [], duplicate: [], rejected: [] }),
      'The central system took none of the batch',
    ],
    [
      'is not JSON',
      answered(200, '<html>proxy login</html>'),
      'The central system answered with an unreadable acknowledgement',
    ],
    [
      'lacks a list',
      ok({ accepted: [] }),
      'The central system answered with an unreadable acknowledgement',
    ],
  ])('backs off when an acknowledgement %s', async (_what, answer, message) => {
    setup()
    journal.append(3)
    script.next(() => answer)
    engine.start()
    await scheduler.advance(0)
    expect(engine.status()).toMatchObject({ state: 'backing-off', lastError: { message } })
    await scheduler.advance(500)
    expect(script.requests[1]?.raw).toBe(script.requests[0]?.raw)
  })
})

describe('heartbeat', () => {
  it('with nothing to send, proves the central system reachable with an empty batch every heartbeatMs', async () => {
    setup({ timing: { heartbeatMs: 30_000, pollMs: 1_000 } })
    engine.start()
    await scheduler.advance(0)
    expect(script.requests.map((request) => request.body.events)).toEqual([[]])
    expect(engine.status().state).toBe('online')
    await scheduler.advance(29_999)
    expect(script.requests).toHaveLength(1)
    await scheduler.advance(1)
    expect(script.requests).toHaveLength(2)

    script.next(unreachable)
    await scheduler.advance(30_000)
    expect(engine.status()).toMatchObject({
      state: 'offline',
      nextAttemptAt: scheduler.now() + 500,
    })
  })

  it('sends waiting events rather than retrying a failed heartbeat', async () => {
    setup()
    script.next(unreachable)
    engine.start()
    await scheduler.advance(0)
    journal.append(2)
    await scheduler.advance(500)
    expect(script.requests.map((request) => request.body.events?.length)).toEqual([0, 2])
  })
})

describe('history', () => {
  it('waits for the journal, and yields to it even with a history batch waiting for its retry', async () => {
    setup({ history: sampleSeries(25_000), limits: { maxEvents: 100 } })
    journal.append(150)
    script.next(acceptEverything, acceptEverything, () => answered(503, '', '5'))
    engine.start()
    await scheduler.advance(0)
    expect(script.requests.map((request) => request.stream)).toEqual([
      'journal',
      'journal',
      'history',
    ])
    expect(script.requests[2]?.url).toBe(
      `https://central.example/api/v1/consoles/${syncConsoleId}/history`,
    )
    journal.append(10)
    await scheduler.advance(5_000)
    expect(
      script.requests.map(
        (request) =>
          `${request.stream} ${request.body.events?.length ?? request.body.samples?.length}`,
      ),
    ).toEqual([
      'journal 100',
      'journal 50',
      'history 10000',
      'journal 10',
      'history 10000',
      'history 10000',
      'history 5000',
    ])
    expect(feed?.synced()).toEqual(sampleSeries(25_000))
    expect(engine.status().history).toMatchObject({
      enabled: true,
      count: 0,
      lastSuccessAt: scheduler.now(),
    })
  })

  it('keeps history batches within maxBytes by adapting how many samples it asks for', async () => {
    const samples = sampleSeries(20_000)
    setup({ history: samples, limits: { maxBytes: 64 * 1024 } })
    engine.start()
    await scheduler.advance(0)
    const history = script.requests.filter((request) => request.stream === 'history')
    expect(history.flatMap((request) => request.body.samples)).toEqual(samples)
    for (const request of history) expect(request.bytes).toBeLessThanOrEqual(64 * 1024)
    // Most batches come out near the limit, and the feed is read little more than once per batch.
    expect(history.filter((request) => request.bytes > 32 * 1024).length).toBeGreaterThan(
      history.length - 3,
    )
    expect(feed?.calls.pending).toBeLessThan(history.length * 1.5)
  })

  it('reads the history again after a failure it could not settle, and loses nothing', async () => {
    const all = sampleSeries(3_000)
    setup({ history: all, limits: { maxSamples: 1_000 } })
    const feedUnderTest = feed as MemoryHistoryFeed
    const markSynced = feedUnderTest.markSynced
    feedUnderTest.markSynced = () => {
      feedUnderTest.markSynced = markSynced
      throw new Error('history store is busy')
    }
    engine.start()
    await scheduler.advance(0)
    expect(engine.status().lastError?.message).toBe('Sync failed: history store is busy')
    await scheduler.advance(500)
    expect(feedUnderTest.synced()).toEqual(all)
    const sent = script.requests.flatMap((request) => request.body.samples ?? [])
    // The read whose marking failed went again: 3,000 samples twice; the receiver dedupes them.
    expect(sent).toEqual([...all, ...all])
  })

  it('shows the history backlog, and nothing of it while history is off', async () => {
    setup({ history: sampleSeries(30) })
    expect(engine.status().history).toEqual({
      enabled: true,
      count: 30,
      oldestTs: sampleSeries(1)[0]?.ts,
      lastSuccessAt: null,
    })
    await engine.dispose()
    feed = undefined
    engine = newEngine()
    expect(engine.status().history).toEqual({
      enabled: false,
      count: 0,
      oldestTs: null,
      lastSuccessAt: null,
    })
  })
})

describe('history read ahead', () => {
  const historyRequests = () => script.requests.filter((request) => request.stream === 'history')
  const sizes = () => historyRequests().map((request) => request.body.samples?.length)
  const sentSamples = () => historyRequests().flatMap((request) => request.body.samples ?? [])
  const samples = sampleSeries(5_000)
  const limits = { maxSamples: 1_000 }

  it('reads a batch at a time, the next one while the one before is on the wire, and sends each sample once in order', async () => {
    setup({ history: samples.slice(0, 3_000), storeLike: {}, limits })
    engine.start()
    await scheduler.advance(0)
    expect(sizes()).toEqual([1_000, 1_000, 1_000])
    expect(sentSamples()).toEqual(samples.slice(0, 3_000))
    // Each read after the first is made before the one before it is marked, past its cursor.
    expect(storeLike?.log).toEqual([
      'read mark → 0-1000',
      'read 1000 → 1000-2000',
      'mark 1000',
      'read 2000 → 2000-3000',
      'mark 2000',
      'read 3000 → 3000-3000',
      'mark 3000',
      'read mark → 3000-3000',
    ])
    expect(storeLike?.synced()).toEqual(samples.slice(0, 3_000))
  })

  it('a batch that fails while a read ahead is held goes again as it was, and what follows is read again', async () => {
    setup({ history: samples, storeLike: {}, limits })
    script.next(acceptEverything, () => answered(503, ''))
    engine.start()
    await scheduler.advance(0)
    expect(sizes()).toEqual([1_000, 1_000])
    expect(storeLike?.log).toEqual([
      'read mark → 0-1000',
      'read 1000 → 1000-2000',
      'mark 1000',
      'read 2000 → 2000-3000',
    ])
    await scheduler.advance(500)
    const [, failed, again, next] = historyRequests()
    expect(again?.raw).toBe(failed?.raw)
    expect(next?.body.samples?.[0]).toEqual(samples[2_000])
    expect(sentSamples()).toEqual([...samples.slice(0, 2_000), ...samples.slice(1_000)])
    expect(storeLike?.log.slice(4, 6)).toEqual([
      // Dropped with the failure; read again while the failed batch went again.
      'read 2000 → 2000-3000',
      'mark 2000',
    ])
    expect(storeLike?.synced()).toEqual(samples)
  })

  it('a 413 while a read ahead is held cuts the failed batch again smaller before anything read after it', async () => {
    setup({ history: samples, storeLike: {}, limits })
    script.next(acceptEverything, () => answered(413, 'too large'))
    engine.start()
    await scheduler.advance(0)
    const history = historyRequests()
    expect(history[1]?.body.samples).toEqual(samples.slice(1_000, 2_000))
    for (const request of history.slice(2)) expect(request.body.samples?.length).toBeLessThan(500)
    expect(sentSamples().slice(2_000)).toEqual(samples.slice(1_000))
    expect(storeLike?.log.slice(0, 4)).toEqual([
      'read mark → 0-1000',
      'read 1000 → 1000-2000',
      'mark 1000',
      'read 2000 → 2000-3000',
    ])
    // Dropped; read again, smaller, once the rest of the failed batch's read was on the wire.
    expect(storeLike?.log[4]).toMatch(/^read 2000 → 2000-2\d\d\d$/)
    expect(storeLike?.log[5]).toBe('mark 2000')
    expect(storeLike?.synced()).toEqual(samples)
  })

  it('a failure it cannot settle while a read ahead is held reads again from the last marked cursor', async () => {
    setup({ history: samples, storeLike: {}, limits })
    const feedUnderTest = storeLike as StoreLikeFeed
    const markSynced = feedUnderTest.markSynced
    feedUnderTest.markSynced = () => {
      feedUnderTest.markSynced = markSynced
      throw new Error('history store is busy')
    }
    engine.start()
    await scheduler.advance(0)
    expect(engine.status().lastError?.message).toBe('Sync failed: history store is busy')
    expect(feedUnderTest.log).toEqual(['read mark → 0-1000', 'read 1000 → 1000-2000'])
    await scheduler.advance(500)
    expect(feedUnderTest.log.slice(2, 5)).toEqual([
      'read mark → 0-1000',
      'read 1000 → 1000-2000',
      'mark 1000',
    ])
    // The read whose marking failed went again (the receiver dedupes it); the rest once.
    expect(sentSamples()).toEqual([...samples.slice(0, 1_000), ...samples])
    expect(feedUnderTest.synced()).toEqual(samples)
  })

  it('keeps batches full after a read that ends short (a feed that returns whole blocks)', async () => {
    // Reads of four batches return 3,960 samples (66 blocks of 60): the fourth batch is short.
    const series = sampleSeries(12_000)
    setup({ history: series, storeLike: { block: 60, readsAhead: false }, limits })
    engine.start()
    await scheduler.advance(0)
    const read = [1_000, 1_000, 1_000, 960]
    expect(sizes()).toEqual([...read, ...read, ...read, 120])
    expect(sentSamples()).toEqual(series)
  })
})

describe('status', () => {
  it('tells listeners of state changes at once, and of drain progress at most every statusIntervalMs', async () => {
    setup({ limits: { maxEvents: 100 }, timing: { statusIntervalMs: 500 } })
    journal.append(5_000)
    engine.start()
    // Fifty batches within one instant of the scheduler's time.
    await scheduler.advance(0)
    expect(script.requests).toHaveLength(50)
    expect(heard.map((status) => [status.state, status.backlog.count])).toEqual([
      ['online', 4_900],
      ['online', 0],
    ])
  })

  it('shows the backlog and its oldest event while offline', async () => {
    setup({ fallback: unreachable })
    const events = journal.append(12)
    engine.start()
    await scheduler.advance(0)
    expect(engine.status().backlog).toEqual({ count: 12, oldestTs: Date.parse(events[0]!.ts) })
  })

  it('keeps last success, last error and the quarantine across a restart', async () => {
    setup()
    journal.append(3)
    script.next(acceptEverything, () => answered(400, 'bad batch'))
    engine.start()
    await scheduler.advance(0)
    journal.append(2)
    engine.kick()
    await scheduler.advance(0)
    const before = engine.status()
    await engine.dispose()
    engine = newEngine()
    expect(engine.status()).toMatchObject({
      state: 'offline',
      lastSuccessAt: before.lastSuccessAt,
      lastError: before.lastError,
      quarantineCount: 2,
    })
  })
})

describe('quarantine', () => {
  it('sends released events before the batch prepared while they were quarantined', async () => {
    setup({ limits: { maxEvents: 10 } })
    journal.append(30)
    script.next(
      () => answered(400, 'no'),
      (request) => {
        // Seqs 21 to 30 are being prepared while this batch (11 to 20) is answered.
        engine.retryQuarantined('all')
        return acceptEverything(request)
      },
    )
    engine.start()
    await scheduler.advance(0)
    expect(script.requests.map((request) => request.body.events?.[0]?.seq)).toEqual([1, 11, 1, 21])
    expect(journal.journal.pendingOutbox(1)).toEqual([])
  })

  it('keeps a released history batch in quarantine when the central system refuses it again', async () => {
    const samples = sampleSeries(50)
    setup({ history: samples, fallback: () => answered(422, 'unknown tag') })
    engine.start()
    await scheduler.advance(0)
    expect(engine.quarantined()).toEqual([expect.objectContaining({ kind: 'history' })])
    expect(engine.retryQuarantined('all')).toBe(1)
    await scheduler.advance(0)
    const historyRequests = script.requests.filter((request) => request.stream === 'history')
    expect(historyRequests.length).toBeGreaterThanOrEqual(2)
    // Refused twice, still kept whole: its samples exist nowhere else.
    expect(engine.quarantined()).toEqual([
      expect.objectContaining({ kind: 'history', sampleCount: 50, retrying: false }),
    ])
    expect(engine.status().quarantineCount).toBe(1)
  })

  it('releases chosen items or all of them, and says how many', async () => {
    setup({ limits: { maxEvents: 2 } })
    journal.append(6)
    script.next(
      () => answered(400, 'no'),
      () => answered(400, 'no'),
    )
    engine.start()
    await scheduler.advance(0)
    const [first] = engine.quarantined()
    expect(engine.quarantined()).toHaveLength(4)
    expect(engine.retryQuarantined(['unknown-id'])).toBe(0)
    expect(engine.retryQuarantined([first?.id ?? ''])).toBe(1)
    await scheduler.advance(0)
    expect(engine.quarantined()).toHaveLength(3)
    expect(engine.retryQuarantined('all')).toBe(3)
    await scheduler.advance(0)
    expect(engine.status()).toMatchObject({ quarantineCount: 0, backlog: { count: 0 } })
    expect(journal.journal.pendingOutbox(1)).toEqual([])
    expect(engine.exportQuarantined()).toBe('')
  })
})

describe('lifecycle', () => {
  it('dispose() aborts the request in flight, cancels every timer and writes nothing more', async () => {
    setup()
    journal.append(3)
    script.next(never)
    engine.start()
    await scheduler.advance(0)
    expect(script.requests).toHaveLength(1)
    await engine.dispose()
    expect(script.requests[0]?.signal.aborted).toBe(true)
    expect(scheduler.pending()).toBe(0)
    expect(engine.status().lastError).toBeNull()
    // An injected transport belongs to whoever injected it.
    expect(script.disposed()).toBe(false)
    engine.kick()
    engine.start()
    expect(scheduler.pending()).toBe(0)
  })

  it("refuses a central.consoleId other than the journal's", () => {
    setup()
    expect(() =>
      createSyncEngine({
        journal: journal.journal,
        db: journal.db,
        central: { url: 'https://central.example', siteId: syncSiteId, consoleId: 'someone-else' },
        scheduler,
        logger: silentLogger,
        http: script.transport,
      }),
    ).toThrow(/central\.consoleId someone-else is not the journal's console console-sync-test/)
  })
})
