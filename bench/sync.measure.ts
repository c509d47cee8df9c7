import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { silentLogger } from '../src/backend/log/logger'
import { createSyncEngine, type SyncEngine } from '../src/backend/sync/engine'
import type { History } from '../src/backend/store/history'
import type { HistoryFeed } from '../src/backend/sync/history-feed'
import type { HistorySample } from '../src/shared/sync/protocol'
import { systemScheduler } from '../src/shared/scheduler'
import { median } from '../src/shared/statistics'
import { bundleForNode, type Bundle } from '../test/support/journal-bundle'
import { openSyncJournal, syncSiteId, type SyncJournal } from '../test/support/sync-fixture'
import { HistoryFixture } from '../test/support/history-fixture'
import { createMemoryHistoryFeed } from '../test/support/sync-history-feed'

// Sync backlog drain (DESIGN.md §7: ≥ 300,000 history samples/s and ≥ 20,000 journal events/s to
// a loopback receiver, UI still responsive). The reference receiver runs as its own process (the
// central system is another machine), started from the bundled `npm run receiver` entry with a
// fresh database each round; the console side is this process with the product's sync engine and
// default limits (500 events or 1 MiB per journal batch, 10,000 samples or 1 MiB per history batch).
// Each round measures
// - a journal of 100,000 events drained from its outbox, while an operator records an event every
//   20 ms (append latency: recording never waits for sync);
// - about 1,000,000 history samples (2,800 tags at 1 Hz for six minutes, recorded into the
//   console's history store and sealed) drained with an empty journal, twice: from the history
//   store itself, and (to a second receiver database) the same samples in the same order from
//   memory, which separates what reading the store costs from what sync and the receiver cost;
// and, for each, the event loop's longest delay (perf_hooks.monitorEventLoopDelay): the longest
// stretch in which the backend could not answer the UI. Figures are medians over the rounds.
// Run by bench/sync.bench.mjs; writes its figures to MEASURE_OUTPUT.

const rounds = 3
const journalEvents = 100_000
const historyTags = 2_800
const historySeconds = 360
const recordEveryMs = 20

let bundle: Bundle

beforeAll(async () => {
  bundle = await bundleForNode({ receiver: 'src/receiver/main.ts' })
})

afterAll(() => bundle?.remove())

type Running = { url: string; child: ChildProcess; stop: () => Promise<void> }

/** The reference receiver as its own process, on a fresh database `file` in `dir`. */
async function startReceiver(dir: string, file: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    [bundle.file('receiver'), '--db', join(dir, file), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(line.replace('Pilot Light receiver: ', '')))
    child.once('exit', (code) =>
      reject(new Error(`the receiver exited (${code}) before it listened`)),
    )
  })
  // One line per batch follows; read and dropped so the pipe never fills.
  lines.on('line', () => {})
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}

type Drain = {
  seconds: number
  eventLoopDelayMs: { max: number; p99: number }
  /** CPU time of this process (the console side) over wall time: the share of a core it used. */
  consoleCore: number
}

/** Starts `engine` and resolves when it has nothing left to send. */
async function drain(engine: SyncEngine): Promise<Drain> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const done = new Promise<void>((resolve) =>
    engine.onStatus((status) => {
      if (
        status.state === 'online' &&
        status.backlog.count === 0 &&
        (status.history.count ?? 0) === 0
      )
        resolve()
    }),
  )
  delay.enable()
  const cpu = process.cpuUsage()
  const started = performance.now()
  engine.start()
  await done
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  delay.disable()
  return {
    seconds,
    eventLoopDelayMs: { max: delay.max / 1e6, p99: delay.percentile(99) / 1e6 },
    consoleCore: (used.user + used.system) / 1e6 / seconds,
  }
}

function engineFor(journal: SyncJournal, url: string, history?: HistoryFeed<number>): SyncEngine {
  return createSyncEngine({
    journal: journal.journal,
    db: journal.db,
    history,
    central: { url, siteId: syncSiteId },
    scheduler: systemScheduler,
    logger: silentLogger,
  })
}

/** Records historyTags tags at 1 Hz for historySeconds (plus one to seal the last minute). */
async function recordHistory(fixture: HistoryFixture): Promise<History> {
  const history = fixture.open()
  const tags = Array.from(
    { length: historyTags },
    (_, tag) => `plant-00${1 + (tag % 3)}.unit-${tag}.value`,
  )
  await fixture.everySecond(history, historySeconds + 1, (second) =>
    tags.map((tag, index) => fixture.reading(tag, ((second + index) % 1_000) / 10)),
  )
  await history.maintain()
  return history
}

/** The history store as sync's feed, read ahead as the console reads it (start-console.ts). */
function historyFeed(history: History): HistoryFeed<number> {
  return {
    pendingForSync: history.pendingForSync,
    markSynced: history.markSynced,
    readsAhead: true,
    backlog: () => {
      const backlog = history.syncBacklog()
      return { count: backlog.pendingSamples, oldestTs: backlog.oldestPendingTs }
    },
  }
}

type Round = {
  journal: Drain & { eventsPerSecond: number; recorded: number; appendP99Ms: number }
  history: Drain & { samples: number; samplesPerSecond: number }
  historyFromMemory: Drain & { samples: number; samplesPerSecond: number }
}

/** Drains a freshly recorded history store to the receiver at `url`. */
async function drainHistoryStore(journal: SyncJournal, url: string): Promise<Round['history']> {
  const fixture = new HistoryFixture(join(journal.dir, 'history.sqlite'))
  try {
    const history = await recordHistory(fixture)
    const samples = history.syncBacklog().pendingSamples
    const engine = engineFor(journal, url, historyFeed(history))
    const drained = await drain(engine)
    await engine.dispose()
    expect(history.syncBacklog().pendingSamples).toBe(0)
    return { ...drained, samples, samplesPerSecond: samples / drained.seconds }
  } finally {
    await fixture.dispose()
  }
}

/**
 * Records the same history again, reads all of it into memory, and drains it from there to a
 * receiver of its own. Run after drainHistoryStore, so the million samples held in memory here
 * cannot burden that drain's garbage collector.
 */
async function drainHistoryFromMemory(journal: SyncJournal): Promise<Round['historyFromMemory']> {
  const fixture = new HistoryFixture(join(journal.dir, 'history-memory.sqlite'))
  let inMemory: readonly HistorySample[]
  try {
    const history = await recordHistory(fixture)
    inMemory = history.pendingForSync(Number.MAX_SAFE_INTEGER).samples
  } finally {
    await fixture.dispose()
  }
  const receiver = await startReceiver(journal.dir, 'central-memory.sqlite')
  try {
    const engine = engineFor(journal, receiver.url, createMemoryHistoryFeed(inMemory))
    const drained = await drain(engine)
    await engine.dispose()
    return {
      ...drained,
      samples: inMemory.length,
      samplesPerSecond: inMemory.length / drained.seconds,
    }
  } finally {
    await receiver.stop()
  }
}

async function measureRound(seed: number): Promise<Round> {
  const journal = openSyncJournal({ seed })
  const receiver = await startReceiver(journal.dir, 'central.sqlite')
  try {
    journal.append(journalEvents)
    const engine = engineFor(journal, receiver.url)
    // An operator keeps recording while the backlog drains.
    const appendMs: number[] = []
    const recorder = setInterval(() => {
      const started = performance.now()
      journal.journal.append({ type: 'incident.note-added', actor: 'operator-ana', data: {} })
      appendMs.push(performance.now() - started)
    }, recordEveryMs)
    let journalDrain: Drain
    try {
      journalDrain = await drain(engine)
    } finally {
      clearInterval(recorder)
    }
    await engine.dispose()
    const sent = journalEvents + appendMs.length
    expect(journal.journal.pendingOutbox(1)).toEqual([])

    const historyDrain = await drainHistoryStore(journal, receiver.url)
    const memoryDrain = await drainHistoryFromMemory(journal)

    appendMs.sort((a, b) => a - b)
    return {
      journal: {
        ...journalDrain,
        eventsPerSecond: sent / journalDrain.seconds,
        recorded: appendMs.length,
        appendP99Ms: appendMs[Math.ceil(appendMs.length * 0.99) - 1] ?? Number.NaN,
      },
      history: historyDrain,
      historyFromMemory: memoryDrain,
    }
  } finally {
    await receiver.stop()
    journal.remove()
  }
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))

it('measures the sync backlog drain to a loopback receiver', async () => {
  const results: Round[] = []
  for (let index = 0; index < rounds; index++) results.push(await measureRound(index + 1))
  const mid = (pick: (result: Round) => number, digits = 2): number =>
    round(median(results.map(pick)) ?? Number.NaN, digits)
  const eventsPerSecond = mid((result) => result.journal.eventsPerSecond, 0)
  const samplesPerSecond = mid((result) => result.history.samplesPerSecond, 0)
  const figures = {
    target: '≥ 300,000 history samples/s and ≥ 20,000 journal events/s, UI still responsive',
    met: eventsPerSecond >= 20_000 && samplesPerSecond >= 300_000,
    rounds,
    journal: {
      events: journalEvents,
      eventsPerSecond,
      drainSeconds: mid((result) => result.journal.seconds),
      eventLoopDelayMs: {
        max: mid((result) => result.journal.eventLoopDelayMs.max),
        p99: mid((result) => result.journal.eventLoopDelayMs.p99),
      },
      consoleCore: mid((result) => result.journal.consoleCore),
      recordedDuringDrain: mid((result) => result.journal.recorded, 0),
      appendDuringDrainP99Ms: mid((result) => result.journal.appendP99Ms, 3),
    },
    history: {
      samples: mid((result) => result.history.samples, 0),
      samplesPerSecond,
      drainSeconds: mid((result) => result.history.seconds),
      consoleCore: mid((result) => result.history.consoleCore),
      eventLoopDelayMs: {
        max: mid((result) => result.history.eventLoopDelayMs.max),
        p99: mid((result) => result.history.eventLoopDelayMs.p99),
      },
    },
    historyFromMemory: {
      samplesPerSecond: mid((result) => result.historyFromMemory.samplesPerSecond, 0),
      consoleCore: mid((result) => result.historyFromMemory.consoleCore),
      eventLoopDelayMs: {
        max: mid((result) => result.historyFromMemory.eventLoopDelayMs.max),
        p99: mid((result) => result.historyFromMemory.eventLoopDelayMs.p99),
      },
    },
    samples: results.map((result) => ({
      eventsPerSecond: Math.round(result.journal.eventsPerSecond),
      samplesPerSecond: Math.round(result.history.samplesPerSecond),
      fromMemorySamplesPerSecond: Math.round(result.historyFromMemory.samplesPerSecond),
      journalMaxDelayMs: round(result.journal.eventLoopDelayMs.max),
      historyMaxDelayMs: round(result.history.eventLoopDelayMs.max),
    })),
  }
  const output = process.env.MEASURE_OUTPUT
  if (output) writeFileSync(output, `${JSON.stringify(figures, null, 2)}\n`)
  else console.log(JSON.stringify(figures, null, 2))
})
