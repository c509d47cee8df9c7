import { z } from 'zod'
import { qualitySchema, type Quality } from '../field/values'

// The wire contract of sync protocol v1 between a console and the central system (DESIGN.md §3.5,
// docs/sync-protocol.md). Both sides use these definitions: the console's sync engine to read
// acknowledgements, the reference receiver (src/receiver) to read batches. Events themselves are
// journalEventSchema (src/shared/journal/event.ts), unchanged.

/** Where a console's journal batches go, below central.url. */
export const journalPath = (consoleId: string): string =>
  `/v1/consoles/${encodeURIComponent(consoleId)}/journal`

/** Where a console's history batches go, below central.url. */
export const historyPath = (consoleId: string): string =>
  `/v1/consoles/${encodeURIComponent(consoleId)}/history`

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Console, site and batch ids as they appear in both envelopes. */
const envelopeFields = {
  consoleId: z.string().min(1).max(200),
  siteId: z.string().min(1).max(200),
  /** Also sent as the Idempotency-Key header; a retry of the same batch carries the same id. */
  batchId: z.string().regex(uuidPattern, 'a UUID'),
}

/**
 * A journal batch as the receiver first reads it: the envelope strictly, the events as anything, so
 * that one malformed event is rejected by itself (with its reason) instead of refusing the batch.
 */
export const journalBatchEnvelopeSchema = z.object({
  ...envelopeFields,
  /** Journal events in ascending seq; an empty list is the console's heartbeat. */
  events: z.array(z.unknown()),
})

/** The receiver's answer to a journal batch (HTTP 200). Unknown fields are ignored (forward compatible). */
export const journalAckSchema = z.object({
  /** Stored by this request. */
  accepted: z.array(z.string()),
  /** Already held, from an earlier request. */
  duplicate: z.array(z.string()),
  /** Refused for good; the console quarantines them with the reason. */
  rejected: z.array(z.object({ id: z.string(), reason: z.string() })),
})
export type JournalAck = z.infer<typeof journalAckSchema>

/**
 * One recorded value of a tag. Its identity at the receiver is (consoleId, tagId, ts): a sample sent
 * twice is stored once, which is what makes history retries idempotent.
 */
export type HistorySample = {
  tagId: string
  /** When the value was measured or received, ms since the epoch. */
  ts: number
  value: number | boolean | string | null
  quality: Quality
}

export const historyBatchEnvelopeSchema = z.object({
  ...envelopeFields,
  samples: z.array(z.unknown()).min(1),
})

/** The receiver's answer to a history batch (HTTP 200): the batch is stored whole or not at all. */
export const historyAckSchema = z.object({
  /** Samples stored by this request. */
  accepted: z.number().int().nonnegative(),
  /** Samples the receiver already held (same console, tag and ts). */
  duplicate: z.number().int().nonnegative(),
})
export type HistoryAck = z.infer<typeof historyAckSchema>

const qualities: ReadonlySet<string> = new Set(qualitySchema.options)

/**
 * What is wrong with one history sample, or null when it is well formed. Written by hand rather than
 * as a zod schema because a batch holds ten thousand samples and this runs at the receiver for each.
 */
export function historySampleProblem(sample: unknown): string | null {
  if (typeof sample !== 'object' || sample === null || Array.isArray(sample))
    return 'is not an object'
  const { tagId, ts, value, quality } = sample as Record<string, unknown>
  if (typeof tagId !== 'string' || tagId.length === 0 || tagId.length > 500)
    return 'tagId must be a non-empty string of at most 500 characters'
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)
    return 'ts must be a whole number of ms since the epoch'
  const kind = typeof value
  if (value !== null && kind !== 'number' && kind !== 'boolean' && kind !== 'string')
    return 'value must be a number, boolean, string or null'
  if (typeof quality !== 'string' || !qualities.has(quality))
    return `quality must be one of ${[...qualities].join(', ')}`
  return null
}
