import { z } from 'zod'

// The journal event of DESIGN.md §3.4, exactly: {id, seq, ts, type, incidentId, actor, data,
// prevHash, hash}. The shape is a contract with the central system and with exported report
// bundles, so features put what they need inside `data` (a drill marks its events with
// `data.drill: true`) and never add fields here.

/** prevHash of the first event of a journal. */
export const genesisHash = '0'.repeat(64)

/** RFC 9562 §5.7 layout, lower-case hex as our generator writes it: version 7, variant 10. */
export const uuidv7Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** ISO-8601 UTC with milliseconds, as Date.prototype.toISOString writes it. */
const utcTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest in lower-case hex')

/**
 * Dotted lower-case names, subject first: `incident.opened`, `alarm.acknowledged`,
 * `control.write-confirmed`, `journal.recovered`.
 */
export const journalEventTypeSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*)+$/,
    'a dotted lower-case name such as alarm.acknowledged',
  )

/** Any JSON object; canonicalJson() rejects what JSON cannot hold exactly. */
export const journalDataSchema = z.record(z.string(), z.unknown())

export const journalEventSchema = z.strictObject({
  id: z.string().regex(uuidv7Pattern, 'a lower-case UUIDv7'),
  /** 1, 2, 3… per console, no gaps. */
  seq: z.number().int().positive(),
  ts: z.string().regex(utcTimestampPattern, 'an ISO-8601 UTC time with milliseconds'),
  type: journalEventTypeSchema,
  /** The incident the event belongs to, or null for console-wide events. */
  incidentId: z.string().min(1).nullable(),
  /** 'system' for what the console does by itself, otherwise the operator's id. */
  actor: z.string().min(1),
  data: journalDataSchema,
  prevHash: sha256HexSchema,
  hash: sha256HexSchema,
})
export type JournalEvent = z.infer<typeof journalEventSchema>

/** An event before it is sealed: everything the hash covers. */
export type UnsealedJournalEvent = Omit<JournalEvent, 'hash'>

/** What a feature hands the journal; the journal assigns id, seq, ts and the hashes. */
export const journalEventInputSchema = z.strictObject({
  type: journalEventTypeSchema,
  incidentId: z.string().min(1).nullable().default(null),
  actor: z.string().min(1),
  data: journalDataSchema.default({}),
})
export type JournalEventInput = z.input<typeof journalEventInputSchema>
