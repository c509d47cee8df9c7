import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import BetterSqlite3 from 'better-sqlite3'
import { expect, it } from 'vitest'
import { silentLogger } from '../src/backend/log/logger'
import { openHistory, type History } from '../src/backend/store/history'
import type { TagValue } from '../src/shared/field/values'
import { every, systemScheduler } from '../src/shared/scheduler'
import { median } from '../src/shared/statistics'
import { seededRandom } from '../test/support/journal-random'

// History ingest (DESIGN.md §7: 10,000 samples/s at ≤ 3 % of one core) through the product's own
// history store on a file in the temp folder, in real time with its real flush cadence (≤ 250 ms)
// and maintenance: 10,000 tags read at 1 Hz, as ten sources of 1,000 tags polled 100 ms apart.
// Each round starts a fresh file, warms up (the tags are created), then measures a 60 s window,
// which always holds one minute boundary: 10,000 tag-minutes sealed into raw blocks and 1-minute
// rows. The figures are the medians over the rounds:
// - samples/s recorded and committed in the window, and the process's CPU (user + system, of
//   one core) over it: the benchmark does nothing else but update the readings in place;
// - event-loop delay while ingesting (how long a flush or the minute's seal holds other work up);
// - bytes on disk per sample: the whole file (a short run, so the last minute or two still sits
//   unsealed in raw_recent) and the packed raw blocks alone (what a long run tends to);
// - a trend query (20 tags, the last minute, raw) and the sync stream drained in 50,000-sample
//   batches, for scale.
// Run by bench/history.bench.mjs; writes its figures to MEASURE_OUTPUT.

const rounds = 3
const tagCount = 10_000
const sources = 10
const warmUpMs = 10_000
const windowMs = 60_000

const round = (value: number, digits = 3): number => Number(value.toFixed(digits))

type Round = {
  samplesPerSecond: number
  flushedPerSecond: number
  cpuPercent: number
  loopDelayMs: { p50: number; p99: number; max: number }
  bytesPerSample: number
  packedBytesPerSample: number
  queryMs: number
  syncSamplesPerSecond: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Ten sources polling their 1,000 tags once a second, 100 ms apart, into history.record. */
function startPolling(history: History): () => void {
  const random = seededRandom(11)
  const polls: TagValue[][] = Array.from({ length: sources }, (_, source) =>
    Array.from({ length: tagCount / sources }, (_, index) => ({
      tagId: `plant-${source}.unit-${Math.floor(index / 50)}.tag-${index % 50}`,
      value: random() * 100,
      quality: 'good' as const,
      sourceTs: null,
      receivedTs: Date.now(),
      sourceId: `plc-${source}`,
    })),
  )
  const stops = polls.map((values, source) => {
    let stop = (): void => {}
    const start = setTimeout(
      () => {
        stop = every(
          systemScheduler,
          1000,
          () => {
            const now = Date.now()
            // A random walk: values that change every read, as the worst case for packing.
            for (const value of values) {
              value.value = (value.value as number) + (random() - 0.5)
              value.receivedTs = now
            }
            history.record(values)
          },
          (error) => console.error(error),
        )
      },
      (source * 1000) / sources,
    )
    return () => {
      clearTimeout(start)
      stop()
    }
  })
  return () => {
    for (const stop of stops) stop()
  }
}

async function measureRound(dir: string, index: number): Promise<Round> {
  const path = join(dir, `history-${index}.sqlite`)
  const opened = openHistory({
    path,
    scheduler: systemScheduler,
    clock: Date.now,
    logger: silentLogger,
  })
  if (!opened.ok) throw new Error(opened.error.message)
  const history = opened.value
  const stopPolling = startPolling(history)
  let measured: Omit<
    Round,
    'queryMs' | 'syncSamplesPerSecond' | 'bytesPerSample' | 'packedBytesPerSample'
  >
  try {
    await sleep(warmUpMs)
    const before = history.stats()
    const loop = monitorEventLoopDelay({ resolution: 5 })
    loop.enable()
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    await sleep(windowMs)
    const cpu = process.cpuUsage(cpuBefore)
    const seconds = (performance.now() - started) / 1000
    loop.disable()
    const after = history.stats()
    measured = {
      samplesPerSecond: (after.recorded - before.recorded) / seconds,
      flushedPerSecond: (after.flushed - before.flushed) / seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      loopDelayMs: {
        p50: loop.percentile(50) / 1e6,
        p99: loop.percentile(99) / 1e6,
        max: loop.max / 1e6,
      },
    }
    // A guard, so a history that loses readings cannot publish pretty figures.
    expect(after.droppedOnError).toBe(0)
    expect(measured.flushedPerSecond).toBeGreaterThan(0.95 * measured.samplesPerSecond)
  } finally {
    stopPolling()
  }

  const queryStart = performance.now()
  const result = history.query({
    tagIds: Array.from({ length: 20 }, (_, tag) => `plant-0.unit-0.tag-${tag}`),
    from: Date.now() - 60_000,
    to: Date.now(),
    maxPoints: 1000,
  })
  const queryMs = performance.now() - queryStart
  expect(result.series.every((series) => series.points.length >= 55)).toBe(true)

  await history.maintain()
  const syncStart = performance.now()
  let synced = 0
  for (;;) {
    const batch = history.pendingForSync(50_000)
    if (batch.samples.length === 0) break
    synced += batch.samples.length
    history.markSynced(batch.cursor)
  }
  const syncSamplesPerSecond = synced / ((performance.now() - syncStart) / 1000)
  const { recorded } = history.stats()
  await history.dispose()
  const reader = new BetterSqlite3(path, { readonly: true })
  const packed = reader
    .prepare<[], { bytes: number; samples: number }>(
      'SELECT sum(length(samples)) AS bytes, sum(count) AS samples FROM raw_block',
    )
    .get()
  reader.close()
  return {
    ...measured,
    bytesPerSample: statSync(path).size / recorded,
    packedBytesPerSample: packed ? packed.bytes / packed.samples : Number.NaN,
    queryMs,
    syncSamplesPerSecond,
  }
}

it('measures history ingest at 10,000 samples/s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'))
  const results: Round[] = []
  try {
    for (let index = 0; index < rounds; index++) results.push(await measureRound(dir, index))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const mid = (pick: (result: Round) => number, digits = 3): number =>
    round(median(results.map(pick)) ?? Number.NaN, digits)
  const cpuPercent = mid((result) => result.cpuPercent, 2)
  const samplesPerSecond = mid((result) => result.samplesPerSecond, 0)
  const figures = {
    target: '10,000 samples/s at ≤ 3 % of one core',
    met: samplesPerSecond >= 9_900 && cpuPercent <= 3,
    rounds,
    tags: tagCount,
    windowSeconds: windowMs / 1000,
    samplesPerSecond,
    flushedPerSecond: mid((result) => result.flushedPerSecond, 0),
    cpuPercentOfOneCore: cpuPercent,
    eventLoopDelayMs: {
      p50: mid((result) => result.loopDelayMs.p50, 2),
      p99: mid((result) => result.loopDelayMs.p99, 2),
      max: mid((result) => result.loopDelayMs.max, 2),
    },
    fileBytesPerSample: mid((result) => result.bytesPerSample, 1),
    rawBlockBytesPerSample: mid((result) => result.packedBytesPerSample, 1),
    trendQuery20TagsRawMs: mid((result) => result.queryMs, 1),
    syncDrainSamplesPerSecond: mid((result) => result.syncSamplesPerSecond, 0),
    samples: results.map((result) => ({
      cpuPercent: round(result.cpuPercent, 2),
      samplesPerSecond: Math.round(result.samplesPerSecond),
      loopDelayMaxMs: round(result.loopDelayMs.max, 1),
    })),
  }
  const output = process.env.MEASURE_OUTPUT
  if (output) writeFileSync(output, `${JSON.stringify(figures, null, 2)}\n`)
  else console.log(JSON.stringify(figures, null, 2))
})
