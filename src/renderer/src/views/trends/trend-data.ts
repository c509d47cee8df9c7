import type { TagInfo } from '../../../../shared/api/contract'
import type { Quality } from '../../../../shared/field/values'
import { statisticOf, worseQuality } from '../../../../shared/history/bucket'
import type { TrendPoint } from '../../../../shared/history/series'

// The trend page's arithmetic, free of React and uPlot so it can be tested and benchmarked: which
// window is shown, how history and live readings become what the plot draws (one sample per
// history point, so about one per pixel), which unit gets which axis, and where the alarm limits
// are drawn.

const minuteMs = 60_000
const hourMs = 3_600_000

/** The ranges an operator picks from; the trend opens on the hour. */
export const trendSpans = [
  { label: '10 min', ms: 10 * minuteMs },
  { label: '1 h', ms: hourMs },
  { label: '8 h', ms: 8 * hourMs },
  { label: '24 h', ms: 24 * hourMs },
] as const
export const defaultSpanMs = hourMs

/** Narrower than this a drag is a slip of the mouse, and 1 Hz tags would show a handful of points. */
export const minSpanMs = 10_000

// ── the window ─────────────────────────────────────────────────────────────────────────────────

/**
 * What the trend shows: spanMs of time ending at endMs, or ending now while it follows live
 * (endMs null). presetMs is the range the operator picked, which zooming narrows and reset restores.
 */
export type TrendView = { presetMs: number; spanMs: number; endMs: number | null }
export type TrendWindow = { from: number; to: number }

export const liveView = (spanMs: number): TrendView => ({ presetMs: spanMs, spanMs, endMs: null })

export function windowOf(view: TrendView, now: number): TrendWindow {
  const to = view.endMs ?? now
  return { from: to - view.spanMs, to }
}

/** A window reaching now or past it is the live one: there is nothing recorded in the future. */
const settled = (view: TrendView, now: number): TrendView =>
  view.endMs !== null && view.endMs >= now ? { ...view, endMs: null } : view

/** Another width around the same centre; a live trend stays live. */
function withSpan(view: TrendView, spanMs: number, now: number): TrendView {
  if (view.endMs === null) return { ...view, spanMs }
  const { from, to } = windowOf(view, now)
  return settled({ ...view, spanMs, endMs: Math.round((from + to) / 2 + spanMs / 2) }, now)
}

export const pickSpan = (view: TrendView, spanMs: number, now: number): TrendView => ({
  ...withSpan(view, spanMs, now),
  presetMs: spanMs,
})

export const resetZoom = (view: TrendView, now: number): TrendView =>
  withSpan(view, view.presetMs, now)

/** Stops following live where the trend is now. */
export const pause = (view: TrendView, now: number): TrendView => ({ ...view, endMs: now })

export const backToLive = (view: TrendView): TrendView => ({
  ...view,
  spanMs: view.presetMs,
  endMs: null,
})

/** The dragged range, at least minSpanMs wide; zooming stops following live. */
export function zoomTo(view: TrendView, from: number, to: number, now: number): TrendView {
  const spanMs = Math.max(minSpanMs, Math.round(to - from))
  const endMs = Math.round((from + to) / 2 + spanMs / 2)
  return { ...view, spanMs, endMs: Math.min(endMs, now) }
}

/** Half a window earlier (-1) or later (+1); later than now is live again. */
export function pan(view: TrendView, direction: -1 | 1, now: number): TrendView {
  const to = (view.endMs ?? now) + (direction * view.spanMs) / 2
  return settled({ ...view, endMs: Math.round(to) }, now)
}

// ── samples ────────────────────────────────────────────────────────────────────────────────────

/**
 * One slot of a trend: a history point or the live readings that fell into the same slot (about a
 * pixel wide, the grid history was asked in). ts is the slot's start.
 */
export type TrendSample = Pick<
  TrendPoint,
  'ts' | 'value' | 'quality' | 'min' | 'max' | 'worstQuality'
>

const slotOf = (ts: number, pointMs: number): number => Math.floor(ts / pointMs) * pointMs

/**
 * Adds `sample` (later than everything in `samples`) in place: merged into the last slot when it
 * falls into the same one, which keeps min and max of both, the later value and the worst quality.
 * A sample older than the last slot is dropped: the trend never rewrites what it drew.
 */
export function appendSample(samples: TrendSample[], sample: TrendSample, pointMs: number): void {
  const ts = slotOf(sample.ts, pointMs)
  const last = samples.at(-1)
  if (last && ts < last.ts) return
  if (!last || ts > last.ts) {
    samples.push({ ...sample, ts })
    return
  }
  if (sample.min !== null)
    last.min = last.min === null ? sample.min : Math.min(last.min, sample.min)
  if (sample.max !== null)
    last.max = last.max === null ? sample.max : Math.max(last.max, sample.max)
  last.value = sample.value
  last.quality = sample.quality
  last.worstQuality = worseQuality(last.worstQuality, sample.worstQuality)
}

/** A live reading as a sample: min and max count good and uncertain numbers only, as history's. */
export function sampleOfReading(
  ts: number,
  value: TrendPoint['value'],
  quality: Quality,
): TrendSample {
  const statistic = statisticOf(value, quality)
  return { ts, value, quality, min: statistic, max: statistic, worstQuality: quality }
}

export function samplesOfHistory(points: readonly TrendPoint[], pointMs: number): TrendSample[] {
  const samples: TrendSample[] = []
  for (const point of points) appendSample(samples, point, pointMs)
  return samples
}

/** Index of the first sample at or after ts (samples are in time order). */
function firstAtOrAfter(samples: readonly TrendSample[], ts: number): number {
  let low = 0
  let high = samples.length
  while (low < high) {
    const middle = (low + high) >> 1
    if ((samples[middle] as TrendSample).ts < ts) low = middle + 1
    else high = middle
  }
  return low
}

/** Drops, in place, what a window starting at `from` no longer needs: all but the last sample before it. */
export function dropBefore(samples: TrendSample[], from: number): void {
  const keep = firstAtOrAfter(samples, from) - 1
  if (keep > 0) samples.splice(0, keep)
}

/**
 * Longer than this without a sample, a line breaks: nothing was recorded (the console was not
 * running), and a line across would invent values. Three slots, so decimated tiers join up; at
 * least a minute, so tags polled slower than the slots are still drawn as lines. A source that
 * stops answering is not silence: its readings are recorded as stale or bad, and those break the
 * line by their quality.
 */
export const gapMsOf = (pointMs: number): number => Math.max(3 * pointMs, minuteMs)

/** What the tag showed at `ts`: the last sample at or before it, unless that is older than a gap. */
export function sampleAt(
  samples: readonly TrendSample[],
  ts: number,
  gapMs: number,
): TrendSample | null {
  const sample = samples[firstAtOrAfter(samples, ts + 1) - 1]
  return sample && ts - sample.ts <= gapMs ? sample : null
}

// ── axes and limits ────────────────────────────────────────────────────────────────────────────

export type TrendTag = Pick<TagInfo, 'id' | 'name' | 'unit' | 'limits'>

/**
 * One y scale per unit, so every tag is drawn in its own engineering units and fills the height
 * (normalising to 0–100 % would hide what the values are). The first three units get an axis, in
 * the order their tags were added: left, right, then left again outside the first. A fourth unit
 * still gets its own scale but no axis, since more axes squeeze the plot and are hard to tell
 * apart; sharing an axis with another unit would put the line at a meaningless height. Its values
 * are read in the cursor readout, which always gives value and unit.
 */
export type TrendScale = {
  key: string
  unit: string
  side: 'left' | 'right' | null
  tagIds: string[]
}

export const maxAxes = 3
const axisSides = ['left', 'right', 'left'] as const

export function planScales(tags: readonly TrendTag[]): TrendScale[] {
  const scales: TrendScale[] = []
  for (const tag of tags) {
    const scale = scales.find((candidate) => candidate.unit === tag.unit)
    if (scale) scale.tagIds.push(tag.id)
    else
      scales.push({
        key: `y:${tag.unit}`,
        unit: tag.unit,
        side: axisSides[scales.length] ?? null,
        tagIds: [tag.id],
      })
  }
  return scales
}

export const limitLevels = ['hh', 'h', 'l', 'll'] as const
export type LimitLevel = (typeof limitLevels)[number]
export type LimitLine = { tagId: string; level: LimitLevel; label: string; value: number }

export function limitLinesOf(tags: readonly TrendTag[]): LimitLine[] {
  return tags.flatMap((tag) =>
    limitLevels.flatMap((level) => {
      const value = tag.limits?.[level]
      return value === undefined
        ? []
        : [{ tagId: tag.id, level, label: level.toUpperCase(), value }]
    }),
  )
}

// ── what the plot draws ────────────────────────────────────────────────────────────────────────

/**
 * One tag's part of the plot, as typed arrays the painter reads fast (trend-raster.ts): per sample,
 * its slot time, the line's value and the envelope, NaN where there is none. The line breaks at a
 * NaN (a bad or stale reading, or one that is not a number) and across silences longer than the
 * data's gapMs.
 */
export type TrendSeries = {
  tagId: string
  scale: string
  /** The samples drawn: the window's, and the nearest either side so lines run to the edges. */
  samples: TrendSample[]
  ts: Float64Array
  line: Float64Array
  /** The envelope: min to max of the good and uncertain readings each sample summarises. */
  min: Float64Array
  max: Float64Array
  /** Samples inside the window that the line shows. */
  points: number
  /** Lowest and highest value drawn inside the window, envelope included; null when none. */
  low: number | null
  high: number | null
}

export type TrendData = {
  window: TrendWindow
  pointMs: number
  gapMs: number
  series: TrendSeries[]
  /** Per scale key, the y range: the values drawn and the alarm limits, with a margin. */
  ranges: Record<string, { min: number; max: number }>
  /** Where any tag had a bad or stale reading: drawn along the bottom, the line breaks there. */
  badStretches: TrendWindow[]
}

const isBad = (quality: Quality): boolean => quality === 'bad' || quality === 'stale'

/** The samples a window draws: its own, and the nearest on either side so lines run to the edges. */
function samplesIn(samples: readonly TrendSample[], window: TrendWindow): TrendSample[] {
  const start = Math.max(0, firstAtOrAfter(samples, window.from) - 1)
  const end = Math.min(samples.length, firstAtOrAfter(samples, window.to + 1) + 1)
  return samples.slice(start, end)
}

function seriesOf(
  tagId: string,
  scale: string,
  samples: TrendSample[],
  window: TrendWindow,
): TrendSeries {
  const ts = new Float64Array(samples.length)
  // Good and uncertain readings only, booleans as 0 and 1 (as history's min and max).
  const line = new Float64Array(samples.length)
  const min = new Float64Array(samples.length)
  const max = new Float64Array(samples.length)
  let points = 0
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  samples.forEach((sample, index) => {
    const value = statisticOf(sample.value, sample.quality) ?? Number.NaN
    const bottom = sample.min ?? Number.NaN
    const top = sample.max ?? Number.NaN
    ts[index] = sample.ts
    line[index] = value
    min[index] = bottom
    max[index] = top
    if (sample.ts < window.from || sample.ts > window.to) return
    if (!Number.isNaN(value)) points++
    // Math.min and Math.max would spread a NaN; comparisons skip it.
    if (value < low) low = value
    if (value > high) high = value
    if (bottom < low) low = bottom
    if (top > high) high = top
  })
  return {
    tagId,
    scale,
    samples,
    ts,
    line,
    min,
    max,
    points,
    low: Number.isFinite(low) ? low : null,
    high: Number.isFinite(high) ? high : null,
  }
}

function rangeOf(
  low: number | null,
  high: number | null,
  limits: readonly number[],
): { min: number; max: number } {
  // Limits are always in range: an operator sees how far a value is from its alarm, and the
  // limit lines the page lists are all on screen.
  const all = [...(low === null ? [] : [low]), ...(high === null ? [] : [high]), ...limits]
  if (all.length === 0) return { min: 0, max: 1 }
  let bottom = Math.min(...all)
  let top = Math.max(...all)
  // At least 2 % of the value's size (or 1 unit near zero) high: a steady 204 °C with ±0.3 °C of
  // noise should read as steady, not fill the plot with spikes.
  const least = Math.max(Math.abs(top), Math.abs(bottom)) * 0.02 || 1
  if (top - bottom < least) {
    const middle = (top + bottom) / 2
    bottom = middle - least / 2
    top = middle + least / 2
  }
  const margin = (top - bottom) * 0.05
  return { min: bottom - margin, max: top + margin }
}

/**
 * A bad or stale sample marks time until the tag's next sample (at most a gap: after that nothing
 * is known), or its own slot when it is the last.
 */
function badStretchesOf(
  series: readonly TrendSeries[],
  window: TrendWindow,
  pointMs: number,
  gapMs: number,
): TrendWindow[] {
  const stretches: TrendWindow[] = []
  for (const { samples } of series) {
    samples.forEach((sample, index) => {
      if (!isBad(sample.worstQuality)) return
      const next = samples[index + 1]
      const end = next ? Math.min(next.ts, sample.ts + gapMs) : sample.ts + pointMs
      const from = Math.max(window.from, sample.ts)
      const to = Math.min(window.to, end)
      if (to > from) stretches.push({ from, to })
    })
  }
  stretches.sort((a, b) => a.from - b.from)
  const merged: TrendWindow[] = []
  for (const stretch of stretches) {
    const last = merged.at(-1)
    if (last && stretch.from <= last.to) last.to = Math.max(last.to, stretch.to)
    else merged.push({ ...stretch })
  }
  return merged
}

/**
 * What the plot draws for `window`: per tag its samples as arrays, y ranges per scale, and the
 * stretches of bad quality. `samples` are on the grid of pointMs (samplesOfHistory, appendSample).
 */
export function buildTrendData(
  tags: readonly TrendTag[],
  scales: readonly TrendScale[],
  samples: ReadonlyMap<string, readonly TrendSample[]>,
  window: TrendWindow,
  pointMs: number,
): TrendData {
  const gapMs = gapMsOf(pointMs)
  const scaleOf = new Map(scales.flatMap((scale) => scale.tagIds.map((id) => [id, scale.key])))
  const series = tags.map((tag) =>
    seriesOf(
      tag.id,
      scaleOf.get(tag.id) ?? '',
      samplesIn(samples.get(tag.id) ?? [], window),
      window,
    ),
  )
  const limits = limitLinesOf(tags)
  const ranges = Object.fromEntries(
    scales.map((scale) => {
      const onScale = series.filter((entry) => entry.scale === scale.key)
      const lows = onScale.flatMap((entry) => (entry.low === null ? [] : [entry.low]))
      const highs = onScale.flatMap((entry) => (entry.high === null ? [] : [entry.high]))
      return [
        scale.key,
        rangeOf(
          lows.length > 0 ? Math.min(...lows) : null,
          highs.length > 0 ? Math.max(...highs) : null,
          limits.filter((line) => scale.tagIds.includes(line.tagId)).map((line) => line.value),
        ),
      ]
    }),
  )
  return {
    window,
    pointMs,
    gapMs,
    series,
    ranges,
    badStretches: badStretchesOf(series, window, pointMs, gapMs),
  }
}

// ── words and colours ──────────────────────────────────────────────────────────────────────────

/**
 * Calm, dark enough to read on the grey background, and none of the reds, ambers and purple that
 * mean alarm, warning and bad quality. Past twelve tags the colours repeat; the legend tells them
 * apart.
 */
export const trendColours = [
  '#1f4e79',
  '#2e7d6b',
  '#7a5c2e',
  '#4b5fa8',
  '#5b6e1e',
  '#00707a',
  '#5d4a7a',
  '#445566',
  '#8a6a3c',
  '#2f6f9f',
  '#3d6b45',
  '#6b6b6b',
] as const

export const colourOf = (index: number): string =>
  trendColours[index % trendColours.length] as string

const two = (value: number): string => String(value).padStart(2, '0')
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Local time, 24-hour: what the clock on the control-room wall says. */
export function formatTime(ts: number, seconds: boolean): string {
  const date = new Date(ts)
  const time = `${two(date.getHours())}:${two(date.getMinutes())}`
  return seconds ? `${time}:${two(date.getSeconds())}` : time
}

export function formatDateTime(ts: number): string {
  const date = new Date(ts)
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${formatTime(ts, true)}`
}

/**
 * Labels for the time axis: seconds only when ticks are less than a minute apart, and the date
 * under the first tick and under every tick on a new day, so a 24-hour trend says which day it is.
 */
export function timeTickLabels(ticks: readonly number[], stepMs: number): string[] {
  let previousDay: string | null = null
  return ticks.map((ts) => {
    const date = new Date(ts)
    const day = `${date.getDate()} ${months[date.getMonth()]}`
    const label = formatTime(ts, stepMs < minuteMs)
    const withDay = day === previousDay ? label : `${label}\n${day}`
    previousDay = day
    return withDay
  })
}

/** A reading as the overview shows it, so the same value reads the same everywhere. */
export function formatTrendValue(value: TrendPoint['value']): string {
  if (value === null) return '—'
  if (typeof value === 'number') return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(2)
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF'
  return value
}
