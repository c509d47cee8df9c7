import type { Quality, TagValue } from '../field/values'

// What history says about a stretch of time for one tag: a 1-minute or 1-hour tier row, or one
// point of a decimated trend. The same arithmetic builds all three, so a trend drawn from raw
// samples and one drawn from a tier agree.

/** One stored reading: the console's time, the value and its quality. */
export type Reading = { ts: number; value: TagValue['value']; quality: Quality }

export type Bucket = {
  /** Readings in the stretch, whatever their quality. */
  count: number
  /** Readings that min, max and mean are taken over (see statisticOf). */
  valueCount: number
  min: number | null
  max: number | null
  /** Of the readings counted in valueCount: the mean is sum / valueCount (meanOf). */
  sum: number
  /** The worst quality of any reading: a minute that was bad for a moment says so. */
  worstQuality: Quality
  /** The last reading: what the tag showed at the end of the stretch. */
  lastTs: number
  lastValue: TagValue['value']
  lastQuality: Quality
}

/** Worse is higher: a bad reading outweighs a stale one, which outweighs an uncertain one. */
export const qualityCode: Record<Quality, number> = { good: 0, uncertain: 1, stale: 2, bad: 3 }
export const qualityByCode: readonly Quality[] = ['good', 'uncertain', 'stale', 'bad']

export function worseQuality(a: Quality, b: Quality): Quality {
  return qualityCode[a] >= qualityCode[b] ? a : b
}

/**
 * The number a reading contributes to min, max and mean, or null. Good and uncertain readings
 * count (the device gave a value, possibly with a caveat the worst quality keeps); a stale reading
 * repeats an old value and a bad one is not a measurement, so neither may move a trend's envelope.
 * Booleans count as 0 and 1: min and max then show whether a contact changed within the stretch and
 * mean is the fraction of readings it was on.
 */
export function statisticOf(value: TagValue['value'], quality: Quality): number | null {
  if (quality !== 'good' && quality !== 'uncertain') return null
  if (typeof value === 'boolean') return value ? 1 : 0
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export function bucketOf(reading: Reading): Bucket {
  const statistic = statisticOf(reading.value, reading.quality)
  return {
    count: 1,
    valueCount: statistic === null ? 0 : 1,
    min: statistic,
    max: statistic,
    sum: statistic ?? 0,
    worstQuality: reading.quality,
    lastTs: reading.ts,
    lastValue: reading.value,
    lastQuality: reading.quality,
  }
}

/** Adds one reading to `bucket` in place (ingest calls this for every sample). */
export function addReading(bucket: Bucket, reading: Reading): void {
  bucket.count++
  bucket.worstQuality = worseQuality(bucket.worstQuality, reading.quality)
  if (reading.ts >= bucket.lastTs) {
    bucket.lastTs = reading.ts
    bucket.lastValue = reading.value
    bucket.lastQuality = reading.quality
  }
  const statistic = statisticOf(reading.value, reading.quality)
  if (statistic === null) return
  bucket.valueCount++
  if (bucket.min === null || statistic < bucket.min) bucket.min = statistic
  if (bucket.max === null || statistic > bucket.max) bucket.max = statistic
  bucket.sum += statistic
}

/** Folds `other` into `into` in place; the result is as if every reading had been added to one. */
export function mergeBucket(into: Bucket, other: Bucket): void {
  if (other.valueCount > 0) {
    into.min = into.min === null ? other.min : Math.min(into.min, other.min as number)
    into.max = into.max === null ? other.max : Math.max(into.max, other.max as number)
  }
  into.sum += other.sum
  into.count += other.count
  into.valueCount += other.valueCount
  into.worstQuality = worseQuality(into.worstQuality, other.worstQuality)
  if (other.lastTs >= into.lastTs) {
    into.lastTs = other.lastTs
    into.lastValue = other.lastValue
    into.lastQuality = other.lastQuality
  }
}

export const meanOf = (bucket: Bucket): number | null =>
  bucket.valueCount === 0 ? null : bucket.sum / bucket.valueCount

export const copyBucket = (bucket: Bucket): Bucket => ({ ...bucket })
