import { z } from 'zod'

/** good: fresh and trusted; uncertain: the device says so; bad: unreadable; stale: no update in time. */
export const qualitySchema = z.enum(['good', 'uncertain', 'bad', 'stale'])
export type Quality = z.infer<typeof qualitySchema>

/** One reading of a tag, always with quality, times and provenance (DESIGN.md §4). */
export const tagValueSchema = z.object({
  tagId: z.string(),
  value: z.union([z.number(), z.boolean(), z.string(), z.null()]),
  quality: qualitySchema,
  /** Why the quality is not good, in words an operator understands. */
  reason: z.string().optional(),
  /** When the device says the value was measured (ms since epoch), if it says. */
  sourceTs: z.number().nullable(),
  /** When the console received it (ms since epoch). */
  receivedTs: z.number(),
  sourceId: z.string(),
})
export type TagValue = z.infer<typeof tagValueSchema>

export const connectionStateSchema = z.enum(['connecting', 'connected', 'disconnected'])

export const sourceStatusSchema = z.object({
  id: z.string(),
  protocol: z.enum(['modbus-tcp', 'modbus-rtu', 'opcua']),
  endpoint: z.string(),
  state: connectionStateSchema,
  lastError: z.string().nullable(),
  /** When the state last changed (ms since epoch). */
  since: z.number(),
  simulated: z.boolean(),
})
export type SourceStatus = z.infer<typeof sourceStatusSchema>

/**
 * A communication outage of one source begins or ends. One `source.lost` per outage however often
 * the driver retries in between, then one `source.restored`: the journal records these and the alarm
 * engine raises one communication-loss condition from them (DESIGN.md §4).
 */
export const connectionEventSchema = z.object({
  type: z.enum(['source.lost', 'source.restored']),
  sourceId: z.string(),
  ts: z.number(),
  /** Why it was lost (the driver's last error); null on restore. */
  reason: z.string().nullable(),
  /** How long the outage lasted, on restore. */
  outageMs: z.number().nullable(),
})
export type ConnectionEvent = z.infer<typeof connectionEventSchema>
