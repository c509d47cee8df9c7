import { z } from 'zod'

// What the console shows about sync to the central system (DESIGN.md §3.5: "the backlog (count,
// oldest age, last error) is always visible"). Times are ms since the epoch, so the page computes
// ages against its own clock.

/**
 * - disabled: the site names no central system.
 * - online: the last exchange with the central system succeeded.
 * - offline: the central system could not be reached, or refused this console's credentials
 *   (401/403); the console retries with backoff.
 * - backing-off: the central system answered but could not take the batch now (408, 429, 5xx, an
 *   unreadable answer); the console retries with backoff, or when it says (Retry-After).
 */
export const syncStateSchema = z.enum(['disabled', 'online', 'offline', 'backing-off'])
export type SyncState = z.infer<typeof syncStateSchema>

const backlogSchema = z.object({
  /** Items waiting to be sent, quarantined ones not counted; null when the store cannot tell. */
  count: z.number().int().nonnegative().nullable(),
  /** When the oldest waiting item was recorded, or null when nothing waits. */
  oldestTs: z.number().nullable(),
})

export const syncStatusSchema = z.object({
  state: syncStateSchema,
  /** The central system's address without credentials, or null when disabled. */
  target: z.string().nullable(),
  /** Journal events not yet held by the central system. */
  backlog: backlogSchema.extend({ count: z.number().int().nonnegative() }),
  /** History samples, which follow the journal and only when its backlog is empty. */
  history: backlogSchema.extend({
    /** Whether this console syncs history at all. */
    enabled: z.boolean(),
    lastSuccessAt: z.number().nullable(),
  }),
  /** The last exchange the central system answered with success. */
  lastSuccessAt: z.number().nullable(),
  /** The last failure, kept after later successes so the operator can still read it. */
  lastError: z.object({ at: z.number(), message: z.string() }).nullable(),
  /** Items in quarantine: journal events and history batches the central system refused. */
  quarantineCount: z.number().int().nonnegative(),
  /** When the next retry is due while offline or backing off; null otherwise. */
  nextAttemptAt: z.number().nullable(),
})
export type SyncStatus = z.infer<typeof syncStatusSchema>

export const disabledSyncStatus: SyncStatus = {
  state: 'disabled',
  target: null,
  backlog: { count: 0, oldestTs: null },
  history: { enabled: false, count: 0, oldestTs: null, lastSuccessAt: null },
  lastSuccessAt: null,
  lastError: null,
  quarantineCount: 0,
  nextAttemptAt: null,
}

const refusal = {
  /** The receiver's reason (a rejected event) or message (a refused batch). */
  reason: z.string(),
  /** The HTTP status of a refused batch; null for events the receiver rejected in a 200 answer. */
  httpStatus: z.number().int().nullable(),
  quarantinedAt: z.number(),
}

/**
 * One item of the quarantine view. Quarantined journal events stay in the journal and its outbox;
 * refused history batches are kept whole. Nothing leaves quarantine except by the operator's retry.
 */
export const quarantineItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    /** The event id, which retryQuarantined takes. */
    id: z.string(),
    seq: z.number().int().positive(),
    type: z.string(),
    /** The event's own ts (ISO-8601 UTC). */
    ts: z.string(),
    incidentId: z.string().nullable(),
    actor: z.string(),
    batchId: z.string(),
    ...refusal,
  }),
  z.object({
    kind: z.literal('history'),
    /** The batch id, which retryQuarantined takes. */
    id: z.string(),
    sampleCount: z.number().int().nonnegative(),
    firstTs: z.number().nullable(),
    lastTs: z.number().nullable(),
    /** Released by the operator and waiting for its turn to be sent again. */
    retrying: z.boolean(),
    ...refusal,
  }),
])
export type QuarantineItem = z.infer<typeof quarantineItemSchema>
