import { z } from 'zod'
import { qualitySchema, tagValueSchema } from '../field/values'

// The contract of the tag history (the separate history database, not the journal): trend queries
// and their series, the samples of the sync engine's second stream, and the disk use the console
// shows. Times are ms since the epoch, ranges are [from, to).

/** Finest first: every reading, then 1-minute and 1-hour summaries. */
export const historyTierSchema = z.enum(['raw', 'minute', 'hour'])
export type HistoryTier = z.infer<typeof historyTierSchema>
export const historyTiers: readonly HistoryTier[] = historyTierSchema.options

/** How much time one row of a tier summarises; raw rows are single readings. */
export const tierWidthMs: Record<HistoryTier, number> = { raw: 0, minute: 60_000, hour: 3_600_000 }

const dayMs = 86_400_000

/** How long each tier is kept (by age; the disk budget may prune earlier, finest first). */
export const historyRetentionSchema = z
  .strictObject({
    rawMs: z.number().int().positive(),
    minuteMs: z.number().int().positive(),
    hourMs: z.number().int().positive(),
  })
  .refine(
    (retention) => retention.rawMs <= retention.minuteMs && retention.minuteMs <= retention.hourMs,
    {
      message: 'a coarser tier must be kept at least as long as a finer one',
    },
  )
export type HistoryRetention = z.infer<typeof historyRetentionSchema>

export const defaultHistoryRetention: HistoryRetention = {
  rawMs: 7 * dayMs,
  minuteMs: 90 * dayMs,
  hourMs: 730 * dayMs,
}

export const historyQuerySchema = z
  .strictObject({
    tagIds: z.array(z.string().min(1)).min(1).max(100),
    from: z.number().int(),
    to: z.number().int(),
    /** The most points per series the caller will draw: usually the trend's width in pixels. */
    maxPoints: z.number().int().min(2).max(100_000),
  })
  .refine((query) => query.to > query.from, { message: 'to must be after from', path: ['to'] })
export type HistoryQuery = z.infer<typeof historyQuerySchema>

/**
 * One point of a trend: a single reading (spanMs 0) or the summary of [ts, ts + spanMs). A trend
 * draws min to max as the envelope at the point's x, and `value` (the last reading) as the line,
 * so a spike inside a decimated stretch is never lost.
 */
export const trendPointSchema = z.object({
  ts: z.number(),
  spanMs: z.number().nonnegative(),
  /** The reading itself, or the last reading of the stretch. */
  value: tagValueSchema.shape.value,
  quality: qualitySchema,
  /** Over good and uncertain numeric (and boolean, as 0/1) readings; null when there were none. */
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  count: z.number().int().positive(),
  worstQuality: qualitySchema,
})
export type TrendPoint = z.infer<typeof trendPointSchema>

/** Which tier a stretch of the series came from: raw where it is kept, coarser where it was pruned. */
export const historySegmentSchema = z.object({
  tier: historyTierSchema,
  from: z.number(),
  to: z.number(),
})
export type HistorySegment = z.infer<typeof historySegmentSchema>

export const historySeriesSchema = z.object({
  tagId: z.string(),
  segments: z.array(historySegmentSchema),
  /** In time order; no points where nothing was recorded. */
  points: z.array(trendPointSchema),
})
export type HistorySeries = z.infer<typeof historySeriesSchema>

export const historyQueryResultSchema = z.object({
  from: z.number(),
  to: z.number(),
  /** The width each decimated point summarises at most. */
  pointMs: z.number().positive(),
  series: z.array(historySeriesSchema),
})
export type HistoryQueryResult = z.infer<typeof historyQueryResultSchema>

/** One raw sample on the sync engine's second stream (POST …/history). */
export const historySyncSampleSchema = z.object({
  tagId: z.string(),
  /** When the console recorded the reading. */
  ts: z.number(),
  value: tagValueSchema.shape.value,
  quality: qualitySchema,
  /** When the device says it measured the value, if it says. */
  sourceTs: z.number().nullable(),
  receivedTs: z.number(),
})
export type HistorySyncSample = z.infer<typeof historySyncSampleSchema>

export const historySyncBacklogSchema = z.object({
  /** Sealed samples the central system does not have yet. */
  pendingSamples: z.number().int().nonnegative(),
  /** Samples of the current minute, not yet offered to sync. */
  unsealedSamples: z.number().int().nonnegative(),
  /** When the oldest pending sample's minute began; null when none is pending. */
  oldestPendingTs: z.number().nullable(),
  /** Samples pruned (by age or the disk budget) before the central system had them. */
  droppedUnsynced: z.number().int().nonnegative(),
})
export type HistorySyncBacklog = z.infer<typeof historySyncBacklogSchema>

export const historyUsageSchema = z.object({
  /** The history database and its write-ahead log on disk. */
  bytes: z.number().int().nonnegative(),
  budgetBytes: z.number().int().positive().nullable(),
  fraction: z.number().nonnegative().nullable(),
  /** At 80 % of the budget: the console warns before history starts pruning early. */
  warning: z.boolean(),
  /** Per tier, where it has been pruned up to: null while it still holds everything recorded. */
  keptFrom: z.object({
    raw: z.number().nullable(),
    minute: z.number().nullable(),
    hour: z.number().nullable(),
  }),
})
export type HistoryUsage = z.infer<typeof historyUsageSchema>

/** The fraction of the disk budget at which the console warns. */
export const historyWarningFraction = 0.8
