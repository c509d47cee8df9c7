import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { silentLogger } from '../src/backend/log/logger'
import { openJournal } from '../src/backend/store/open-journal'
import { verifyJournalFile } from '../src/backend/store/verify'
import { median } from '../src/shared/statistics'
import { sampleEvent } from '../test/support/journal-events'
import { seededRandom } from '../test/support/journal-random'

// Durable journal commits (DESIGN.md §7: p99 ≤ 2 ms; ≥ 1,000 events/s sustained) through the
// product's own journal on a file in the temp folder: WAL, synchronous=FULL, exclusive lock, an
// outbox row with every event. Each round starts a fresh journal file and measures
// - one event per transaction: the latency of every append() (the time until the operator may be
//   told "saved") and the events per second of the whole run;
// - groups of 100 events per transaction (appendMany): the latency of each commit and events/s;
// - `npm run verify`'s walk over the journal the round wrote, in events per second.
// The figures are the medians over the rounds. Run by bench/journal.bench.mjs; writes its figures
// to MEASURE_OUTPUT.

const rounds = 5
const singleEvents = 3_000
const groups = 200
const groupSize = 100
const warmUpEvents = 200

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits))

type Round = {
  singleMs: { p50: number; p95: number; p99: number; max: number }
  singleEventsPerSecond: number
  groupCommitMs: { p50: number; p99: number }
  groupedEventsPerSecond: number
  verifyEventsPerSecond: number
}

function measureRound(dir: string, index: number): Round {
  const path = join(dir, `journal-${index}.sqlite`)
  const random = seededRandom(index + 1)
  const opened = openJournal({
    path,
    consoleId: 'bench',
    clock: Date.now,
    logger: silentLogger,
  })
  if (!opened.ok) throw new Error(opened.error.message)
  const { journal, close } = opened.value
  // Inputs are made before the clock starts: the figures are the journal's, not the generator's.
  const single = Array.from({ length: singleEvents }, () => sampleEvent(random))
  const grouped = Array.from({ length: groups }, () =>
    Array.from({ length: groupSize }, () => sampleEvent(random)),
  )
  const latencies: number[] = []
  const commits: number[] = []
  let singleSeconds: number
  let groupSeconds: number
  try {
    for (let event = 0; event < warmUpEvents; event++) journal.append(sampleEvent(random))

    const singleStart = performance.now()
    for (const input of single) {
      const started = performance.now()
      journal.append(input)
      latencies.push(performance.now() - started)
    }
    singleSeconds = (performance.now() - singleStart) / 1000

    const groupStart = performance.now()
    for (const inputs of grouped) {
      const started = performance.now()
      journal.appendMany(inputs)
      commits.push(performance.now() - started)
    }
    groupSeconds = (performance.now() - groupStart) / 1000
  } finally {
    close()
  }
  latencies.sort((a, b) => a - b)
  commits.sort((a, b) => a - b)

  const verifyStart = performance.now()
  const verdict = verifyJournalFile(path)
  const verifySeconds = (performance.now() - verifyStart) / 1000
  const written = warmUpEvents + singleEvents + groups * groupSize
  // A guard, so a broken journal cannot publish pretty figures.
  expect(verdict).toMatchObject({ ok: true, value: { linked: written, problem: null } })

  return {
    singleMs: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? Number.NaN,
    },
    singleEventsPerSecond: singleEvents / singleSeconds,
    groupCommitMs: { p50: percentile(commits, 0.5), p99: percentile(commits, 0.99) },
    groupedEventsPerSecond: (groups * groupSize) / groupSeconds,
    verifyEventsPerSecond: written / verifySeconds,
  }
}

it('measures durable journal commits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'))
  const results: Round[] = []
  try {
    for (let index = 0; index < rounds; index++) results.push(measureRound(dir, index))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const mid = (pick: (round: Round) => number, digits = 3): number =>
    round(median(results.map(pick)) ?? Number.NaN, digits)
  const singleP99 = mid((result) => result.singleMs.p99)
  const singleRate = mid((result) => result.singleEventsPerSecond, 0)
  const figures = {
    target: 'durable commit p99 ≤ 2 ms; ≥ 1,000 events/s sustained',
    met: singleP99 <= 2 && singleRate >= 1_000,
    rounds,
    oneEventPerTransaction: {
      events: singleEvents,
      latencyMs: {
        p50: mid((result) => result.singleMs.p50),
        p95: mid((result) => result.singleMs.p95),
        p99: singleP99,
        max: mid((result) => result.singleMs.max),
      },
      eventsPerSecond: singleRate,
    },
    grouped: {
      groupSize,
      groups,
      commitMs: {
        p50: mid((result) => result.groupCommitMs.p50),
        p99: mid((result) => result.groupCommitMs.p99),
      },
      eventsPerSecond: mid((result) => result.groupedEventsPerSecond, 0),
    },
    verifyEventsPerSecond: mid((result) => result.verifyEventsPerSecond, 0),
    samples: results.map((result) => ({
      singleP99Ms: round(result.singleMs.p99),
      singleEventsPerSecond: Math.round(result.singleEventsPerSecond),
      groupedEventsPerSecond: Math.round(result.groupedEventsPerSecond),
    })),
  }
  const output = process.env.MEASURE_OUTPUT
  if (output) writeFileSync(output, `${JSON.stringify(figures, null, 2)}\n`)
  else console.log(JSON.stringify(figures, null, 2))
})
