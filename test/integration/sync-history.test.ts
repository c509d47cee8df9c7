import { join } from 'node:path'
import type { History } from '../../src/backend/store/history'
import type { HistoryFeed } from '../../src/backend/sync/history-feed'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import { createSyncEngine, type SyncEngine } from '../../src/backend/sync/engine'
import type { ReceiverFault } from '../../src/receiver/faults'
import { createReceiver, type Receiver, type ReceiverExchange } from '../../src/receiver/receiver'
import { systemScheduler } from '../../src/shared/scheduler'
import type { HistorySample } from '../../src/shared/sync/protocol'
import { HistoryFixture } from '../support/history-fixture'
import {
  createMemoryHistoryFeed,
  sampleSeries,
  type MemoryHistoryFeed,
} from '../support/sync-history-feed'
import {
  expectReceiverHolds,
  heldSockets,
  openSyncJournal,
  quickTiming,
  socketsGivenBack,
  syncConsoleId,
  syncSiteId,
  waitForDrain,
  type SyncJournal,
} from '../support/sync-fixture'
import { waitFor } from '../support/wait-for'

// The second stream: history samples to POST {central.url}/v1/consoles/{id}/history, always behind
// the journal, idempotent by (console, tag, ts) at the receiver.

let journal: SyncJournal
let receiver: Receiver
let engine: SyncEngine
let sockets: string[]
let feed: MemoryHistoryFeed
let exchanges: ReceiverExchange[]

beforeEach(() => {
  sockets = heldSockets()
  journal = openSyncJournal()
})

afterEach(async () => {
  await engine.dispose()
  await receiver.dispose()
  journal.remove()
  await socketsGivenBack(sockets)
})

async function start(
  samples: readonly HistorySample[],
  options: {
    faults?: ReceiverFault[]
    requestTimeoutMs?: number
    onExchange?: (exchange: ReceiverExchange) => void
    /** Another feed than the in-memory one made of `samples`. */
    history?: HistoryFeed<number>
  } = {},
): Promise<void> {
  feed = createMemoryHistoryFeed(samples)
  exchanges = []
  receiver = await createReceiver({
    dbPath: join(journal.dir, 'central.sqlite'),
    onExchange: (exchange) => {
      exchanges.push(exchange)
      options.onExchange?.(exchange)
    },
  })
  for (const fault of options.faults ?? []) receiver.injectFault(fault)
  engine = createSyncEngine({
    journal: journal.journal,
    db: journal.db,
    history: options.history ?? feed,
    central: { url: receiver.url, siteId: syncSiteId },
    scheduler: systemScheduler,
    logger: silentLogger,
    limits: { maxEvents: 100, maxSamples: 2_000 },
    timing: { ...quickTiming, requestTimeoutMs: options.requestTimeoutMs ?? 2_000 },
  })
}

const byTimeAndTag = (a: HistorySample, b: HistorySample): number =>
  a.ts - b.ts || (a.tagId < b.tagId ? -1 : a.tagId > b.tagId ? 1 : 0)

/** The receiver holds exactly `expected`, each sample once, values of every kind intact. */
function expectHistoryHeld(expected: readonly HistorySample[]): void {
  const held = receiver.store.history(syncConsoleId)
  expect(held).toHaveLength(expected.length)
  expect([...held].sort(byTimeAndTag)).toEqual([...expected].sort(byTimeAndTag))
}

describe('history sync', () => {
  it("drains the console's history store, every recorded sample once", async () => {
    const fixture = new HistoryFixture(join(journal.dir, 'history.sqlite'))
    const history: History = fixture.open()
    try {
      const tags = Array.from({ length: 40 }, (_, tag) => `plant-001.unit-${tag}.pressure`)
      await fixture.everySecond(history, 180, (second) =>
        tags.map((tag, index) => fixture.reading(tag, second * 0.5 + index)),
      )
      await history.maintain()
      const sealed = history.pendingForSync(1_000_000).samples
      expect(sealed.length).toBeGreaterThanOrEqual(120 * tags.length)
      await start([], {
        history: {
          pendingForSync: history.pendingForSync,
          markSynced: history.markSynced,
          readsAhead: true,
          backlog: () => {
            const backlog = history.syncBacklog()
            return { count: backlog.pendingSamples, oldestTs: backlog.oldestPendingTs }
          },
        },
      })
      engine.start()
      await waitForDrain(engine)
      expectHistoryHeld(
        sealed.map(({ tagId, ts, value, quality }) => ({ tagId, ts, value, quality })),
      )
      expect(history.syncBacklog()).toMatchObject({ pendingSamples: 0, oldestPendingTs: null })
    } finally {
      await fixture.dispose()
    }
  })

  it.each([
    ['the receiver stored a batch but its answer was lost', 'answer'],
    ['the history store cannot mark the read', 'mark'],
  ] as const)(
    'a failure while a read ahead is held (%s) sends again from the last marked cursor: every sample once',
    async (_name, failure) => {
      const fixture = new HistoryFixture(join(journal.dir, 'history.sqlite'))
      const history: History = fixture.open()
      try {
        const tags = Array.from({ length: 40 }, (_, tag) => `plant-002.unit-${tag}.flow`)
        await fixture.everySecond(history, 181, (second) =>
          tags.map((tag, index) => fixture.reading(tag, second + index / 10)),
        )
        await history.maintain()
        const sealed = history
          .pendingForSync(1_000_000)
          .samples.map(({ tagId, ts, value, quality }) => ({ tagId, ts, value, quality }))
        // What sync asked of the store, in order: `read <after> → <cursor>`, `mark <cursor>`.
        const log: string[] = []
        const readSizes: number[] = []
        let markFails = failure === 'mark'
        const store: HistoryFeed<number> = {
          readsAhead: true,
          pendingForSync: (limit, after) => {
            const read = history.pendingForSync(limit, after)
            readSizes.push(read.samples.length)
            log.push(`read ${after ?? 'mark'} → ${read.cursor}`)
            return read
          },
          markSynced: (cursor) => {
            if (markFails) {
              markFails = false
              log.push(`mark ${cursor} failed`)
              throw new Error('history store is busy')
            }
            log.push(`mark ${cursor}`)
            history.markSynced(cursor)
          },
          backlog: () => {
            const backlog = history.syncBacklog()
            return { count: backlog.pendingSamples, oldestTs: backlog.oldestPendingTs }
          },
        }
        let historyExchanges = 0
        await start([], {
          history: store,
          requestTimeoutMs: 300,
          onExchange: (exchange) => {
            if (exchange.stream !== 'history') return
            historyExchanges += 1
            // The second batch is stored but its answer never comes: it is on the wire while the
            // third read is held.
            if (failure === 'answer' && historyExchanges === 1)
              receiver.injectFault({ kind: 'hang-after-commit', stream: 'history' })
          },
        })
        engine.start()
        await waitForDrain(engine)

        // A batch a read (whole blocks of 60 samples), the next one read while it is on the wire.
        expect(readSizes.slice(0, 3)).toEqual([1_980, 1_980, 1_980])
        const cursorOf = (line = ''): string | undefined => /→ (\d+)$/.exec(line)?.[1]
        const [first, second, third] = [0, 1, 3].map((index) => cursorOf(log[index]))
        expect(log.slice(0, 2)).toEqual([`read mark → ${first}`, `read ${first} → ${second}`])
        if (failure === 'answer')
          // The read ahead held when the answer was lost is read again while the batch goes again.
          expect(log.slice(2, 6)).toEqual([
            `mark ${first}`,
            `read ${second} → ${third}`,
            `read ${second} → ${third}`,
            `mark ${second}`,
          ])
        // The read ahead held when marking failed is forgotten with the read before it: both are
        // read again from the last marked cursor.
        else
          expect(log.slice(2, 6)).toEqual([
            `mark ${first} failed`,
            `read mark → ${first}`,
            `read ${first} → ${second}`,
            `mark ${first}`,
          ])
        expectHistoryHeld(sealed)
        const historyOnly = exchanges.filter((exchange) => exchange.stream === 'history')
        const sum = (pick: (exchange: ReceiverExchange) => number) =>
          historyOnly.reduce((total, exchange) => total + pick(exchange), 0)
        expect(sum((exchange) => exchange.accepted)).toBe(sealed.length)
        // Sent twice: only the batch whose answer was lost, or the one whose read was not marked.
        expect(sum((exchange) => exchange.duplicate)).toBe(1_980)
        expect(history.syncBacklog()).toMatchObject({ pendingSamples: 0, oldestPendingTs: null })
      } finally {
        await fixture.dispose()
      }
    },
  )

  it('follows the journal and yields to it: new events go before the rest of the history', async () => {
    const samples = sampleSeries(7_000)
    let appended: ReturnType<SyncJournal['append']> = []
    await start(samples, {
      onExchange: (exchange) => {
        // While the first history batch is being answered, the operator records 20 events.
        if (exchange.stream === 'history' && appended.length === 0) appended = journal.append(20)
      },
    })
    const events = journal.append(250)
    engine.start()
    await waitForDrain(engine)

    expect(exchanges.map((exchange) => `${exchange.stream} ${exchange.accepted}`)).toEqual([
      'journal 100',
      'journal 100',
      'journal 50',
      'history 2000',
      'journal 20',
      'history 2000',
      'history 2000',
      'history 1000',
    ])
    expectReceiverHolds(receiver, [...events, ...appended])
    expectHistoryHeld(samples)
    expect(feed.backlog()).toEqual({ count: 0, oldestTs: null })
    expect(engine.status().history).toMatchObject({ enabled: true, count: 0, oldestTs: null })
    expect(engine.status().history.lastSuccessAt).not.toBeNull()
  })

  it('keeps values of every kind: numbers, booleans, strings and null', async () => {
    const samples: HistorySample[] = [
      { tagId: 'plant-001.boiler-1.pressure', ts: 1_000, value: 14.25, quality: 'good' },
      { tagId: 'plant-001.boiler-1.running', ts: 1_000, value: true, quality: 'good' },
      { tagId: 'plant-001.boiler-1.running', ts: 2_000, value: false, quality: 'stale' },
      {
        tagId: 'plant-001.boiler-1.mode',
        ts: 1_000,
        value: 'Hand – örtlich',
        quality: 'uncertain',
      },
      { tagId: 'plant-001.boiler-1.pressure', ts: 2_000, value: null, quality: 'bad' },
      { tagId: 'plant-001.boiler-1.count', ts: 1_000, value: 0, quality: 'good' },
    ]
    await start(samples)
    engine.start()
    await waitForDrain(engine)
    expectHistoryHeld(samples)
  })

  it.each<[string, ReceiverFault]>([
    ['timeout after the commit', { kind: 'hang-after-commit', stream: 'history' }],
    ['partial acknowledgement', { kind: 'partial', take: 700, stream: 'history' }],
    ['connection reset mid-response', { kind: 'reset-mid-response', stream: 'history' }],
    ['503', { kind: 'status', status: 503, stream: 'history' }],
  ])('retries are idempotent: %s, then every sample once', async (_name, fault) => {
    const samples = sampleSeries(5_000)
    await start(samples, { faults: [fault], requestTimeoutMs: 300 })
    engine.start()
    await waitForDrain(engine)
    expectHistoryHeld(samples)
    const history = exchanges.filter((exchange) => exchange.stream === 'history')
    expect(history[0]?.fault).toBe(fault.kind)
    // The first batch is sent again as it was; whatever the receiver kept of it counts as duplicate.
    expect(history[1]).toMatchObject({ batchId: history[0]?.batchId, status: 200 })
    expect((history[1]?.accepted ?? 0) + (history[1]?.duplicate ?? 0)).toBe(2_000)
    expect(history[1]?.duplicate).toBe(history[0]?.accepted)
    expect(feed.synced()).toHaveLength(samples.length)
  })

  it('a refused batch is kept whole in quarantine, history moves on, and a retry delivers it', async () => {
    const samples = sampleSeries(5_000)
    await start(samples, {
      faults: [{ kind: 'status', status: 422, message: 'unknown tag', stream: 'history' }],
    })
    engine.start()
    await waitForDrain(engine)
    const [item] = engine.quarantined()
    expect(engine.quarantined()).toHaveLength(1)
    expect(item).toMatchObject({
      kind: 'history',
      sampleCount: 2_000,
      firstTs: samples[0]?.ts,
      lastTs: samples[1_999]?.ts,
      httpStatus: 422,
      reason: 'HTTP 422: unknown tag',
      retrying: false,
    })
    expect(receiver.store.historyCount(syncConsoleId)).toBe(3_000)
    expect(feed.backlog().count).toBe(0)

    const [line] = engine.exportQuarantined().trim().split('\n')
    const exported = JSON.parse(line ?? '{}') as { kind: string; samples: HistorySample[] }
    expect(exported.kind).toBe('history')
    expect(exported.samples).toEqual(samples.slice(0, 2_000))

    expect(engine.retryQuarantined([item?.id ?? ''])).toBe(1)
    await waitFor('the quarantine to empty', () => engine.status().quarantineCount === 0)
    expectHistoryHeld(samples)
    // The released batch went under the id it was refused with.
    expect(exchanges.at(-1)).toMatchObject({ batchId: item?.id, accepted: 2_000 })
  })
})
