import { bucketOf, copyBucket, meanOf, mergeBucket, type Bucket, type Reading } from './bucket'
import {
  historyTiers,
  tierWidthMs,
  type HistorySegment,
  type HistoryTier,
  type TrendPoint,
} from './series'

// Pure trend arithmetic: which tier serves which stretch of a query, and decimation to the
// caller's point budget with min/max kept per point.

/**
 * How much time one point may summarise so that [from, to) needs at most maxPoints points: points
 * are aligned to multiples of this width, so a range can touch one more slot than it spans.
 */
export function pointWidthMs(from: number, to: number, maxPoints: number): number {
  return Math.max(1, Math.ceil((to - from) / (maxPoints - 1)))
}

/**
 * The coarsest tier whose rows are no wider than a point: reading it is cheapest while every point
 * still summarises exactly its own stretch. Raw when a point spans less than a minute.
 */
export function tierForPoint(pointMs: number): HistoryTier {
  let chosen: HistoryTier = 'raw'
  for (const tier of historyTiers) if (tierWidthMs[tier] <= pointMs) chosen = tier
  return chosen
}

/**
 * Where a tier holds data: from where it was pruned (-Infinity: never) until where it is complete
 * (Infinity: now, in-memory readings included).
 */
export type TierCoverage = { from: number; until: number }

/**
 * Splits [from, to) between tiers, starting from `tier`: the stretch it covers comes from it, older
 * time it no longer keeps from the next coarser tier, and newer time it does not have yet (the hour
 * tier lags until an hour is rolled up) from the next finer one. In time order.
 */
export function planSegments(
  from: number,
  to: number,
  tier: HistoryTier,
  coverage: Record<HistoryTier, TierCoverage>,
): HistorySegment[] {
  const plan = (
    start: number,
    end: number,
    index: number,
    direction: 'both' | 'older' | 'newer',
  ): HistorySegment[] => {
    const current = historyTiers[index] as HistoryTier
    const { from: keptFrom, until } = coverage[current]
    const coveredFrom = Math.min(end, Math.max(start, keptFrom))
    const coveredTo = Math.max(coveredFrom, Math.min(end, until))
    const segments: HistorySegment[] = []
    if (start < coveredFrom && direction !== 'newer' && index + 1 < historyTiers.length)
      segments.push(...plan(start, coveredFrom, index + 1, 'older'))
    if (coveredFrom < coveredTo) segments.push({ tier: current, from: coveredFrom, to: coveredTo })
    if (coveredTo < end && direction !== 'older' && index > 0)
      segments.push(...plan(coveredTo, end, index - 1, 'newer'))
    return segments
  }
  return plan(from, to, historyTiers.indexOf(tier), 'both')
}

export function pointOfReading(reading: Reading): TrendPoint {
  return pointOfBucket(reading.ts, 0, bucketOf(reading))
}

export function pointOfBucket(ts: number, spanMs: number, bucket: Bucket): TrendPoint {
  return {
    ts,
    spanMs,
    value: bucket.lastValue,
    quality: bucket.lastQuality,
    min: bucket.min,
    max: bucket.max,
    mean: meanOf(bucket),
    count: bucket.count,
    worstQuality: bucket.worstQuality,
  }
}

/**
 * Raw readings (in time order) of a stretch [from, to) as points: the readings themselves when they
 * fit the stretch's share of the point budget, otherwise one summary per pointMs-wide slot.
 */
export function pointsOfReadings(
  readings: readonly Reading[],
  from: number,
  to: number,
  pointMs: number,
): TrendPoint[] {
  const slots = Math.floor(to / pointMs) - Math.floor(from / pointMs) + 1
  if (readings.length <= slots) return readings.map(pointOfReading)
  const points: TrendPoint[] = []
  let slot: number | null = null
  let bucket: Bucket | null = null
  for (const reading of readings) {
    const start = reading.ts - (reading.ts % pointMs)
    if (bucket && start === slot) {
      mergeBucket(bucket, bucketOf(reading))
      continue
    }
    if (bucket && slot !== null) points.push(pointOfBucket(slot, pointMs, bucket))
    slot = start
    bucket = bucketOf(reading)
  }
  if (bucket && slot !== null) points.push(pointOfBucket(slot, pointMs, bucket))
  return points
}

/** A row of the minute or hour tier. */
export type TierRow = { start: number; bucket: Bucket }

/**
 * Tier rows (in time order) as points: rows merged into slots of pointMs rounded up to whole rows,
 * so a point never splits a row.
 */
export function pointsOfTierRows(
  rows: readonly TierRow[],
  tier: HistoryTier,
  pointMs: number,
): TrendPoint[] {
  const rowMs = tierWidthMs[tier]
  const slotMs = Math.max(rowMs, Math.ceil(pointMs / rowMs) * rowMs)
  const points: TrendPoint[] = []
  let slot: number | null = null
  let bucket: Bucket | null = null
  for (const row of rows) {
    const start = row.start - (row.start % slotMs)
    if (bucket && start === slot) {
      mergeBucket(bucket, row.bucket)
      continue
    }
    if (bucket && slot !== null) points.push(pointOfBucket(slot, slotMs, bucket))
    slot = start
    bucket = copyBucket(row.bucket)
  }
  if (bucket && slot !== null) points.push(pointOfBucket(slot, slotMs, bucket))
  return points
}
