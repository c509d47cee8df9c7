import { describe, expect, it } from 'vitest'
import type { Quality } from '../../src/shared/field/values'
import {
  addReading,
  bucketOf,
  copyBucket,
  mergeBucket,
  type Bucket,
  type Reading,
} from '../../src/shared/history/bucket'
import type { HistoryTier } from '../../src/shared/history/series'
import {
  planSegments,
  pointsOfReadings,
  pointsOfTierRows,
  pointWidthMs,
  tierForPoint,
  type TierCoverage,
} from '../../src/shared/history/trend'
import { seededRandom } from '../support/journal-random'

const t0 = Date.UTC(2026, 10, 22, 8, 0, 0)
const minute = 60_000
const hour = 3_600_000

const reading = (ts: number, value: Reading['value'], quality: Quality = 'good'): Reading => ({
  ts,
  value,
  quality,
})

function bucketOfAll(readings: readonly Reading[]): Bucket {
  const [first, ...rest] = readings
  if (!first) throw new Error('no readings')
  const bucket = bucketOf(first)
  for (const entry of rest) addReading(bucket, entry)
  return bucket
}

describe('history buckets', () => {
  it('take min, max and mean over good and uncertain readings only, and keep the worst quality', () => {
    const bucket = bucketOfAll([
      reading(t0, 10),
      reading(t0 + 1000, 14, 'uncertain'),
      reading(t0 + 2000, 99, 'stale'),
      reading(t0 + 3000, null, 'bad'),
      reading(t0 + 4000, 12),
    ])
    expect(bucket).toEqual({
      count: 5,
      valueCount: 3,
      min: 10,
      max: 14,
      sum: 36,
      worstQuality: 'bad',
      lastTs: t0 + 4000,
      lastValue: 12,
      lastQuality: 'good',
    })
  })

  it('count booleans as 0 and 1 and strings not at all', () => {
    const contact = bucketOfAll([reading(t0, false), reading(t0 + 1, true), reading(t0 + 2, true)])
    expect(contact).toMatchObject({ min: 0, max: 1, valueCount: 3, sum: 2, lastValue: true })
    const text = bucketOfAll([reading(t0, 'auto'), reading(t0 + 1, 'manual')])
    expect(text).toMatchObject({ min: null, max: null, sum: 0, valueCount: 0, count: 2 })
    expect(text.lastValue).toBe('manual')
  })

  it('merge to the same result as adding every reading to one bucket, in any split', () => {
    const random = seededRandom(7)
    const qualities: Quality[] = ['good', 'good', 'good', 'uncertain', 'stale', 'bad']
    const readings = Array.from({ length: 500 }, (_, index) =>
      reading(
        t0 + index * 1000,
        random() < 0.05 ? null : Math.round(random() * 10_000) / 100,
        qualities[Math.floor(random() * qualities.length)] as Quality,
      ),
    )
    const whole = bucketOfAll(readings)
    for (const split of [1, 37, 250, 499]) {
      const merged = copyBucket(bucketOfAll(readings.slice(0, split)))
      mergeBucket(merged, bucketOfAll(readings.slice(split)))
      expect({ ...merged, sum: null }).toEqual({ ...whole, sum: null })
      expect(merged.sum).toBeCloseTo(whole.sum, 9)
    }
  })
})

describe('trend points', () => {
  it('never need more than maxPoints aligned slots', () => {
    for (const [from, to, maxPoints] of [
      [t0 + 17, t0 + 600_017, 100],
      [t0, t0 + 7 * 86_400_000, 1920],
      [t0 + 1, t0 + 3, 2],
    ] as const) {
      const width = pointWidthMs(from, to, maxPoints)
      const slots = Math.floor((to - 1) / width) - Math.floor(from / width) + 1
      expect(slots).toBeLessThanOrEqual(maxPoints)
    }
  })

  it('come from the coarsest tier no wider than a point', () => {
    expect(tierForPoint(1)).toBe('raw')
    expect(tierForPoint(59_999)).toBe('raw')
    expect(tierForPoint(60_000)).toBe('minute')
    expect(tierForPoint(3_599_999)).toBe('minute')
    expect(tierForPoint(3_600_000)).toBe('hour')
  })

  it('are the readings themselves while they fit, and min/max per slot when they do not', () => {
    const readings = Array.from({ length: 600 }, (_, index) =>
      reading(t0 + index * 1000, index === 301 ? 500 : 20),
    )
    const exact = pointsOfReadings(readings, t0, t0 + 600_000, 1000)
    expect(exact).toHaveLength(600)
    expect(exact[301]).toMatchObject({ ts: t0 + 301_000, spanMs: 0, value: 500, count: 1 })

    const width = pointWidthMs(t0, t0 + 600_000, 50)
    const decimated = pointsOfReadings(readings, t0, t0 + 600_000, width)
    expect(decimated.length).toBeLessThanOrEqual(50)
    expect(decimated.reduce((sum, point) => sum + point.count, 0)).toBe(600)
    // The one-second spike survives decimation as its slot's max.
    const spike = decimated.find((point) => point.max === 500)
    expect(spike).toBeDefined()
    expect(spike?.min).toBe(20)
    expect(decimated.filter((point) => point.max === 500)).toHaveLength(1)
  })

  it('merge tier rows into whole-row slots', () => {
    const rows = Array.from({ length: 10 }, (_, index) => ({
      start: t0 + index * minute,
      bucket: bucketOfAll([
        reading(t0 + index * minute, index),
        reading(t0 + index * minute + 1, -index),
      ]),
    }))
    const points = pointsOfTierRows(rows, 'minute', 150_000)
    // 150 s rounds up to 3 minutes; t0 is on a 3-minute boundary.
    expect(points.map((point) => point.spanMs)).toEqual([180_000, 180_000, 180_000, 180_000])
    expect(points.map((point) => point.count)).toEqual([6, 6, 6, 2])
    expect(points[1]).toMatchObject({ min: -5, max: 5, value: -5 })
    expect(pointsOfTierRows(rows, 'minute', 1000)).toHaveLength(10)
  })
})

describe('segment planning', () => {
  const everything: Record<HistoryTier, TierCoverage> = {
    raw: { from: Number.NEGATIVE_INFINITY, until: Number.POSITIVE_INFINITY },
    minute: { from: Number.NEGATIVE_INFINITY, until: Number.POSITIVE_INFINITY },
    hour: { from: Number.NEGATIVE_INFINITY, until: Number.POSITIVE_INFINITY },
  }

  it('serves the whole range from the chosen tier when it covers it', () => {
    expect(planSegments(t0, t0 + hour, 'raw', everything)).toEqual([
      { tier: 'raw', from: t0, to: t0 + hour },
    ])
  })

  it('serves time the tier no longer keeps from coarser tiers, oldest coarsest', () => {
    const coverage = {
      ...everything,
      raw: { ...everything.raw, from: t0 + 10 * hour },
      minute: { ...everything.minute, from: t0 + 5 * hour },
    }
    expect(planSegments(t0, t0 + 12 * hour, 'raw', coverage)).toEqual([
      { tier: 'hour', from: t0, to: t0 + 5 * hour },
      { tier: 'minute', from: t0 + 5 * hour, to: t0 + 10 * hour },
      { tier: 'raw', from: t0 + 10 * hour, to: t0 + 12 * hour },
    ])
  })

  it('serves the hours not rolled up yet from the minute tier', () => {
    const coverage = { ...everything, hour: { from: t0, until: t0 + 20 * hour } }
    expect(planSegments(t0 - 2 * hour, t0 + 22 * hour + 5, 'hour', coverage)).toEqual([
      { tier: 'hour', from: t0, to: t0 + 20 * hour },
      { tier: 'minute', from: t0 + 20 * hour, to: t0 + 22 * hour + 5 },
    ])
  })

  it('leaves a gap where no tier has anything', () => {
    const coverage = {
      raw: { from: t0 + hour, until: Number.POSITIVE_INFINITY },
      minute: { from: t0 + hour, until: Number.POSITIVE_INFINITY },
      hour: { from: t0 + hour, until: Number.NEGATIVE_INFINITY },
    }
    expect(planSegments(t0, t0 + 2 * hour, 'raw', coverage)).toEqual([
      { tier: 'raw', from: t0 + hour, to: t0 + 2 * hour },
    ])
  })
})
