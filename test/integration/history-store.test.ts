import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { historyFileName } from '../../src/backend/store/history-database'
import { historyFlushMs } from '../../src/backend/store/history'
import type { TagValue } from '../../src/shared/field/values'
import { countRows, HistoryFixture, hourMs, minuteMs, rowsOfTag } from '../support/history-fixture'
import { seededRandom } from '../support/journal-random'

let dir: string
let fixture: HistoryFixture

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-store-'))
  fixture = new HistoryFixture(join(dir, historyFileName))
})

afterEach(async () => {
  await fixture.dispose()
  rmSync(dir, { recursive: true, force: true })
})

type BucketRow = {
  start: number
  count: number
  value_count: number
  min: number | null
  max: number | null
  mean: number | null
  worst_quality: number
  last_ts: number
  last_value: number | null
}

describe('history batching', () => {
  it('writes nothing until the flush, then everything buffered in one transaction', async () => {
    const history = fixture.open()
    const reader = fixture.reader()
    try {
      const version = (): unknown => reader.pragma('data_version', { simple: true })
      const before = version()
      history.record([fixture.reading('a', 1), fixture.reading('b', 2)])
      await fixture.scheduler.advance(100)
      history.record([fixture.reading('a', 3)])
      await fixture.scheduler.advance(100)
      history.record([fixture.reading('b', 4)])
      await fixture.scheduler.advance(historyFlushMs - 201)
      expect(version()).toBe(before)
      expect(countRows(reader, 'raw_recent')).toBe(0)

      await fixture.scheduler.advance(1)
      expect(version()).not.toBe(before)
      // One flush row holding all four readings: they were committed together.
      expect(reader.prepare('SELECT first_seq, count FROM raw_recent').all()).toEqual([
        { first_seq: 1, count: 4 },
      ])
      expect(history.stats()).toMatchObject({ recorded: 4, flushed: 4, flushes: 1 })

      const idle = version()
      await fixture.scheduler.advance(5_000)
      expect(version()).toBe(idle)
      expect(history.stats().flushes).toBe(1)
    } finally {
      reader.close()
    }
  })

  it('flushes every reading within 250 ms however steadily they arrive', async () => {
    const history = fixture.open()
    const recordedAt: number[] = []
    for (let step = 0; step < 40; step++) {
      history.record([fixture.reading('a', step)])
      recordedAt.push(fixture.clock())
      await fixture.scheduler.advance(50)
      const due = recordedAt.filter((at) => at <= fixture.clock() - historyFlushMs).length
      expect(history.stats().flushed).toBeGreaterThanOrEqual(due)
    }
    // Batched, not one transaction per reading.
    expect(history.stats().flushes).toBeLessThanOrEqual(40 / 5)
  })
})

describe('history tiers', () => {
  /** Minute 0 of tag a: 0..59, except a stale mark at 10, a bad reading at 20, uncertain 100 at 30. */
  function tagA(second: number): TagValue {
    if (second === 10) return fixture.reading('a', 99, 'stale')
    if (second === 20) return fixture.reading('a', null, 'bad')
    if (second === 30) return fixture.reading('a', 100, 'uncertain')
    return fixture.reading('a', second)
  }

  it('seals each minute into a raw block and a 1-minute row with min, max and mean', async () => {
    const history = fixture.open()
    await fixture.everySecond(history, 180, (second) => [
      second < 60 ? tagA(second) : fixture.reading('a', second),
      fixture.reading('pump-running', second % 2 === 0),
      fixture.reading('mode', second < 90 ? 'auto' : 'manual'),
    ])
    await history.maintain()
    const reader = fixture.reader()
    try {
      const minutes = rowsOfTag<BucketRow>(reader, 'minute_bucket', 'a')
      expect(minutes.map((row) => row.start)).toEqual(
        [0, 1, 2].map((m) => fixture.t0 + m * minuteMs),
      )
      const stats = [...Array(60).keys()].filter((s) => s !== 10 && s !== 20 && s !== 30)
      expect(minutes[0]).toMatchObject({
        count: 60,
        value_count: 58,
        min: 0,
        max: 100,
        worst_quality: 3,
        last_ts: fixture.t0 + 59_000,
        last_value: 59,
      })
      const expectedMean = (stats.reduce((sum, s) => sum + s, 0) + 100) / 58
      expect(minutes[0]?.mean).toBeCloseTo(expectedMean, 9)
      expect(minutes[1]).toMatchObject({
        count: 60,
        value_count: 60,
        min: 60,
        max: 119,
        mean: 89.5,
      })
      expect(minutes[1]?.worst_quality).toBe(0)

      expect(rowsOfTag<BucketRow>(reader, 'minute_bucket', 'pump-running')[0]).toMatchObject({
        min: 0,
        max: 1,
        mean: 0.5,
      })
      const mode = rowsOfTag<BucketRow & { last_text: string }>(reader, 'minute_bucket', 'mode')
      expect(mode.map((row) => [row.min, row.last_text])).toEqual([
        [null, 'auto'],
        [null, 'manual'],
        [null, 'manual'],
      ])
      expect(
        rowsOfTag<{ count: number }>(reader, 'raw_block', 'a').map((row) => row.count),
      ).toEqual([60, 60, 60])
      // Every sample is sealed, so the per-flush rows are gone.
      expect(countRows(reader, 'raw_recent')).toBe(0)
    } finally {
      reader.close()
    }
  })

  it('rolls complete hours up from their minutes', async () => {
    const history = fixture.open()
    // One reading every 30 s for 2 h 10 min; the value is the minute it was read in.
    for (let step = 0; step < 260; step++) {
      history.record([fixture.reading('a', Math.floor(step / 2))])
      await fixture.scheduler.advance(30_000)
    }
    await history.maintain()
    const reader = fixture.reader()
    try {
      const hours = rowsOfTag<BucketRow>(reader, 'hour_bucket', 'a')
      expect(hours.map((row) => [row.start, row.count, row.min, row.max, row.mean])).toEqual([
        [fixture.t0, 120, 0, 59, 29.5],
        [fixture.t0 + hourMs, 120, 60, 119, 89.5],
      ])
      expect(hours[1]?.last_ts).toBe(fixture.t0 + hourMs + 59 * minuteMs + 30_000)
    } finally {
      reader.close()
    }
  })

  it('merges readings of a clock that stepped back into sealed minutes and rolled-up hours', async () => {
    const history = fixture.open()
    for (let step = 0; step < 130; step++) {
      history.record([fixture.reading('a', step)])
      await fixture.scheduler.advance(30_000)
    }
    await history.maintain()
    // The clock steps back 64 min 30 s, into minute 0 of the hour already rolled up, for one reading.
    fixture.skew = -(fixture.clock() - fixture.t0 - 30_000)
    history.record([fixture.reading('a', 1000)])
    fixture.skew = 0
    await fixture.scheduler.advance(historyFlushMs)
    const reader = fixture.reader()
    try {
      expect(rowsOfTag<BucketRow>(reader, 'minute_bucket', 'a')[0]).toMatchObject({
        start: fixture.t0,
        count: 3,
        max: 1000,
        min: 0,
      })
      expect(rowsOfTag<BucketRow>(reader, 'hour_bucket', 'a')[0]).toMatchObject({
        start: fixture.t0,
        count: 121,
        max: 1000,
      })
      expect(rowsOfTag<{ start: number }>(reader, 'raw_block', 'a').slice(0, 2)).toEqual([
        expect.objectContaining({ start: fixture.t0, count: 2 }),
        expect.objectContaining({ start: fixture.t0, count: 1 }),
      ])
    } finally {
      reader.close()
    }
    const { series } = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.t0 + minuteMs,
      maxPoints: 100,
    })
    expect(series[0]?.points.map((point) => [point.ts - fixture.t0, point.value])).toEqual([
      [0, 0],
      [30_000, 1],
      [30_000, 1000],
    ])
  })
})

describe('history queries', () => {
  const spikeAt = 301

  async function tenMinutes(): Promise<ReturnType<HistoryFixture['open']>> {
    const history = fixture.open()
    await fixture.everySecond(history, 600, (second) => [
      fixture.reading('a', second === spikeAt ? 500 : 20 + (second % 7)),
    ])
    return history
  }

  it('returns raw readings for a short range, including those not flushed or sealed yet', async () => {
    const history = await tenMinutes()
    history.record([fixture.reading('a', 21)])
    const result = history.query({
      tagIds: ['a', 'never-seen'],
      from: fixture.t0,
      to: fixture.clock() + 1,
      maxPoints: 1000,
    })
    const [a, unknown] = result.series
    expect(a?.segments).toEqual([{ tier: 'raw', from: fixture.t0, to: fixture.clock() + 1 }])
    expect(a?.points).toHaveLength(601)
    expect(a?.points.every((point) => point.spanMs === 0)).toBe(true)
    expect(a?.points[spikeAt]).toMatchObject({ ts: fixture.t0 + spikeAt * 1000, value: 500 })
    expect(unknown?.points).toEqual([])
  })

  it('decimates raw readings to maxPoints with min and max per point', async () => {
    const history = await tenMinutes()
    const { series, pointMs } = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.t0 + 600_000,
      maxPoints: 60,
    })
    const points = series[0]?.points ?? []
    expect(pointMs).toBe(Math.ceil(600_000 / 59))
    expect(points.length).toBeLessThanOrEqual(60)
    expect(points.reduce((sum, point) => sum + point.count, 0)).toBe(600)
    expect(points.filter((point) => point.max === 500)).toHaveLength(1)
    expect(Math.min(...points.map((point) => point.min ?? Infinity))).toBe(20)
  })

  it('uses the 1-minute tier when a point spans minutes, up to the minute in progress', async () => {
    const history = await tenMinutes()
    await fixture.scheduler.advance(30_000)
    history.record([fixture.reading('a', 1)])
    const { series } = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.t0 + 3 * hourMs,
      maxPoints: 100,
    })
    const points = series[0]?.points ?? []
    expect(series[0]?.segments).toEqual([
      { tier: 'minute', from: fixture.t0, to: fixture.t0 + 3 * hourMs },
    ])
    // ceil(3 h / 99) rounds up to 2-minute points.
    expect(points.map((point) => point.spanMs)).toEqual(Array(6).fill(2 * minuteMs))
    expect(points.reduce((sum, point) => sum + point.count, 0)).toBe(601)
    expect(points[2]).toMatchObject({ max: 500, min: 20 })
    expect(points.at(-1)).toMatchObject({ value: 1, min: 1 })
  })

  it('uses the 1-hour tier for long ranges and minutes for the hours not rolled up yet', async () => {
    const history = fixture.open()
    for (let step = 0; step < 2 * 60 + 30; step++) {
      history.record([fixture.reading('a', step)])
      await fixture.scheduler.advance(minuteMs)
    }
    await history.maintain()
    const { series } = history.query({
      tagIds: ['a'],
      from: fixture.t0 - 86_400_000,
      to: fixture.t0 + 86_400_000,
      maxPoints: 20,
    })
    expect(series[0]?.segments).toEqual([
      { tier: 'hour', from: fixture.t0 - 86_400_000, to: fixture.t0 + 2 * hourMs },
      { tier: 'minute', from: fixture.t0 + 2 * hourMs, to: fixture.t0 + 86_400_000 },
    ])
    const points = series[0]?.points ?? []
    expect(points.reduce((sum, point) => sum + point.count, 0)).toBe(150)
    expect(points.length).toBeLessThanOrEqual(20)
    expect(points.at(-1)?.max).toBe(149)
  })
})

describe('history retention', () => {
  it('prunes each tier by its own age, and the hour tier only keeps what it rolled up', async () => {
    const retention = { rawMs: 10 * minuteMs, minuteMs: 2 * hourMs, hourMs: 86_400_000 }
    const history = fixture.open({ retention })
    await fixture.everySecond(history, 300, (second) => [fixture.reading('a', second)])
    await history.maintain()
    const counts = (): Record<string, number> => {
      const reader = fixture.reader()
      try {
        return Object.fromEntries(
          ['raw_block', 'minute_bucket', 'hour_bucket'].map((table) => [
            table,
            countRows(reader, table),
          ]),
        )
      } finally {
        reader.close()
      }
    }
    expect(counts()).toEqual({ raw_block: 5, minute_bucket: 5, hour_bucket: 0 })

    // 13 minutes after the start: raw older than 3 minutes goes.
    fixture.skew = 13 * minuteMs - fixture.scheduler.now() + fixture.t0
    await history.maintain()
    expect(counts()).toEqual({ raw_block: 2, minute_bucket: 5, hour_bucket: 0 })
    expect(history.usage().keptFrom).toEqual({
      raw: fixture.t0 + 3 * minuteMs,
      minute: null,
      hour: null,
    })
    const { series } = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.t0 + 5 * minuteMs,
      maxPoints: 1000,
    })
    expect(series[0]?.segments).toEqual([
      { tier: 'minute', from: fixture.t0, to: fixture.t0 + 3 * minuteMs },
      { tier: 'raw', from: fixture.t0 + 3 * minuteMs, to: fixture.t0 + 5 * minuteMs },
    ])
    expect(series[0]?.points.reduce((sum, point) => sum + point.count, 0)).toBe(300)

    // 2 h 10 min: the hour is rolled up, then its minutes go.
    fixture.skew = 2 * hourMs + 10 * minuteMs - fixture.scheduler.now() + fixture.t0
    await history.maintain()
    expect(counts()).toEqual({ raw_block: 0, minute_bucket: 0, hour_bucket: 1 })
    const hourly = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.t0 + hourMs,
      maxPoints: 2,
    })
    expect(hourly.series[0]?.points).toEqual([
      expect.objectContaining({ ts: fixture.t0, spanMs: hourMs, count: 300, min: 0, max: 299 }),
    ])

    // A day and 2 hours: the hour goes too.
    fixture.skew = 26 * hourMs - fixture.scheduler.now() + fixture.t0
    await history.maintain()
    expect(counts()).toEqual({ raw_block: 0, minute_bucket: 0, hour_bucket: 0 })
    expect(history.usage().keptFrom).toEqual({
      raw: fixture.t0 + 5 * minuteMs,
      minute: fixture.t0 + 5 * minuteMs,
      hour: fixture.t0 + hourMs,
    })
  })
})

describe('history disk budget', () => {
  /** 200 tags at 1 Hz for 4 minutes, values that do not pack small. */
  async function fourMinutes(): Promise<number> {
    const random = seededRandom(3)
    const history = fixture.open()
    await fixture.everySecond(history, 240, () =>
      Array.from({ length: 200 }, (_, tag) => fixture.reading(`t${tag}`, random() * 1000)),
    )
    await history.maintain()
    await history.dispose()
    return statSync(fixture.path).size
  }

  it('warns at 80 % of the budget and prunes nothing while under it', async () => {
    const bytes = await fourMinutes()
    const near = fixture.open({ budgetBytes: Math.round(bytes / 0.9) })
    const usage = near.usage()
    expect(usage.fraction).toBeGreaterThanOrEqual(0.8)
    expect(usage).toMatchObject({ warning: true, fraction: usage.bytes / Math.round(bytes / 0.9) })
    expect(await near.enforceBudget()).toMatchObject({
      underBudget: true,
      pruned: { raw: 0, minute: 0, hour: 0 },
    })
    await near.dispose()
    const roomy = fixture.open({ budgetBytes: bytes * 2 })
    expect(roomy.usage()).toMatchObject({ warning: false })
    expect(roomy.usage().fraction).toBeLessThan(0.8)
  })

  it('prunes the oldest raw blocks first, and gives the space back to the disk', async () => {
    const bytes = await fourMinutes()
    const budget = Math.round(bytes * 0.6)
    const history = fixture.open({ budgetBytes: budget })
    const report = await history.enforceBudget()
    expect(report.underBudget).toBe(true)
    expect(report.pruned.raw).toBeGreaterThan(0)
    expect(report.pruned).toMatchObject({ minute: 0, hour: 0 })
    expect(history.usage().bytes).toBeLessThanOrEqual(budget)
    expect(statSync(fixture.path).size).toBeLessThanOrEqual(budget)

    const reader = fixture.reader()
    try {
      expect(countRows(reader, 'minute_bucket')).toBe(800)
      const perMinute = reader
        .prepare<[], { start: number; blocks: number }>(
          'SELECT start, count(*) AS blocks FROM raw_block GROUP BY start ORDER BY start',
        )
        .all()
      // Oldest first: an older minute is never kept while a newer one is pruned.
      expect(perMinute.at(-1)).toEqual({ start: fixture.t0 + 3 * minuteMs, blocks: 200 })
      expect(perMinute.slice(1).every((minute) => minute.blocks === 200)).toBe(true)
      expect(perMinute.length).toBeLessThan(4)
    } finally {
      reader.close()
    }
  })

  it('prunes coarser tiers only when raw is gone, and minutes only once their hour is rolled up', async () => {
    const history = fixture.open()
    for (let step = 0; step < 150; step++) {
      history.record(Array.from({ length: 20 }, (_, tag) => fixture.reading(`t${tag}`, step)))
      await fixture.scheduler.advance(30_000)
    }
    await history.maintain()
    await history.dispose()

    const tiny = fixture.open({ budgetBytes: 4096 })
    const report = await tiny.enforceBudget()
    expect(report.underBudget).toBe(false)
    expect(report.pruned.raw).toBe(20 * 75)
    expect(report.pruned.minute).toBe(20 * 60)
    expect(report.pruned.hour).toBe(20)
    const reader = fixture.reader()
    try {
      // What is left are the minutes of the hour in progress: the hour tier would lose them.
      expect(countRows(reader, 'raw_block')).toBe(0)
      expect(countRows(reader, 'hour_bucket')).toBe(0)
      const minutes = reader.prepare('SELECT min(start) AS first FROM minute_bucket').get()
      expect(minutes).toEqual({ first: fixture.t0 + hourMs })
    } finally {
      reader.close()
    }
  })
})

describe('history sync stream', () => {
  it('hands out the oldest sealed samples until they are marked, and keeps the cursor', async () => {
    const history = fixture.open()
    await fixture.everySecond(history, 180, (second) => [
      fixture.reading('a', second),
      fixture.reading('b', 1000 + second),
    ])
    await history.maintain()
    expect(history.syncBacklog()).toEqual({
      pendingSamples: 360,
      unsealedSamples: 0,
      oldestPendingTs: fixture.t0,
      droppedUnsynced: 0,
    })

    // Whole minute blocks, at least one even when the limit is smaller.
    const first = history.pendingForSync(10)
    expect(first.samples).toHaveLength(60)
    expect(first.samples[0]).toEqual({
      tagId: 'a',
      ts: fixture.t0,
      value: 0,
      quality: 'good',
      sourceTs: null,
      receivedTs: fixture.t0,
    })
    expect(history.pendingForSync(10)).toEqual(first)

    // Reading ahead of what is marked: the next batch while the first is still in flight.
    const ahead = history.pendingForSync(200, first.cursor)
    history.markSynced(first.cursor)
    const second = history.pendingForSync(200)
    expect(ahead).toEqual(second)
    expect(second.samples).toHaveLength(180)
    expect(second.samples[0]).toMatchObject({ tagId: 'b', ts: fixture.t0, value: 1000 })
    history.markSynced(second.cursor)
    expect(history.syncBacklog()).toMatchObject({ pendingSamples: 120 })
    await history.dispose()

    const reopened = fixture.open()
    const rest = reopened.pendingForSync(1000)
    // Minute 2 of a, then of b: block by block, each in time order.
    const minute2 = [...Array(60).keys()].map((s) => fixture.t0 + 120_000 + s * 1000)
    expect(rest.samples.map((sample) => [sample.tagId, sample.ts])).toEqual([
      ...minute2.map((ts) => ['a', ts]),
      ...minute2.map((ts) => ['b', ts]),
    ])
    expect(() => reopened.markSynced(rest.cursor + 1)).toThrow(/never handed out/)
    reopened.markSynced(rest.cursor)
    expect(reopened.pendingForSync(1000)).toEqual({ samples: [], cursor: rest.cursor })
    expect(reopened.syncBacklog()).toMatchObject({ pendingSamples: 0, oldestPendingTs: null })
  })

  it('counts samples pruned before the central system had them', async () => {
    const history = fixture.open({
      retention: { rawMs: 10 * minuteMs, minuteMs: 2 * hourMs, hourMs: 86_400_000 },
    })
    await fixture.everySecond(history, 300, (second) => [
      fixture.reading('a', second),
      fixture.reading('b', second),
    ])
    await history.maintain()
    history.markSynced(history.pendingForSync(60).cursor)
    fixture.skew = hourMs
    await history.maintain()
    expect(history.syncBacklog()).toEqual({
      pendingSamples: 0,
      unsealedSamples: 0,
      oldestPendingTs: null,
      droppedUnsynced: 600 - 60,
    })
  })
})

describe('history across restarts', () => {
  it('keeps flushed readings through a crash, sealing them once', async () => {
    const history = fixture.open()
    await fixture.everySecond(history, 90, (second) => [fixture.reading('a', second)])
    // The files as a killed process would leave them: the last flush committed, minute 1 unsealed.
    const crashed = join(dir, 'crashed.sqlite')
    for (const suffix of ['', '-wal', '-shm'])
      if (existsSync(fixture.path + suffix)) copyFileSync(fixture.path + suffix, crashed + suffix)
    await history.dispose()

    const after = new HistoryFixture(crashed)
    after.skew = fixture.clock() - after.scheduler.now()
    const restarted = after.open()
    try {
      expect(restarted.syncBacklog()).toMatchObject({ pendingSamples: 60, unsealedSamples: 30 })
      const raw = restarted.query({
        tagIds: ['a'],
        from: fixture.t0,
        to: fixture.t0 + 90_000,
        maxPoints: 1000,
      })
      expect(raw.series[0]?.points.map((point) => point.value)).toEqual([...Array(90).keys()])

      await after.everySecond(restarted, 40, (second) => [after.reading('a', 90 + second)])
      await restarted.maintain()
      const reader = after.reader()
      try {
        expect(
          rowsOfTag<BucketRow>(reader, 'minute_bucket', 'a').map((row) => [
            row.count,
            row.min,
            row.max,
          ]),
        ).toEqual([
          [60, 0, 59],
          [60, 60, 119],
        ])
      } finally {
        reader.close()
      }
    } finally {
      await after.dispose()
    }
  })

  it('flushes on dispose and finds everything again after a reopen, with no timer left behind', async () => {
    const history = fixture.open()
    await fixture.everySecond(history, 75, (second) => [fixture.reading('a', second)])
    history.record([fixture.reading('a', 1000)])
    await history.dispose()
    expect(fixture.scheduler.pending()).toBe(0)

    const reopened = fixture.open()
    const { series } = reopened.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.clock() + 1,
      maxPoints: 1000,
    })
    expect(series[0]?.points).toHaveLength(76)
    expect(series[0]?.points.at(-1)).toMatchObject({ value: 1000, ts: fixture.clock() })
    expect(reopened.stats()).toMatchObject({ recorded: 0, flushes: 0 })
  })
})
