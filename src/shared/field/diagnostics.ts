import { z } from 'zod'

// What the Connections view shows about one source (issue: field acquisition, point 7). Drivers
// keep these figures themselves; the backend asks for them when a view wants them (pull, not push:
// nobody pays for diagnostics nobody is looking at).

export const sourceStatsSchema = z.object({
  /** Median round-trip time of the last answered requests (ms), null before the first answer. */
  roundTripMs: z.number().nullable(),
  /** Requests sent per second over the last 10 s. */
  requestsPerSecond: z.number(),
  /** Totals since the driver started. */
  requests: z.number().int(),
  errors: z.number().int(),
  timeouts: z.number().int(),
  /** Requests that got no usable answer (timeouts, garbage, dropped connections), % of all requests. */
  frameLossPercent: z.number(),
})
export type SourceStats = z.infer<typeof sourceStatsSchema>

export const modbusBlockSchema = z.object({
  unitId: z.number().int(),
  table: z.enum(['coil', 'discrete', 'input', 'holding']),
  start: z.number().int(),
  count: z.number().int(),
  tagIds: z.array(z.string()),
  /** Why the last read of this block failed, or null when it succeeded or has not run. */
  lastError: z.string().nullable(),
})

export const modbusFrameSchema = z.object({
  ts: z.number(),
  direction: z.enum(['request', 'response', 'error']),
  unitId: z.number().int(),
  /** The protocol data unit (function code onwards) in hex, e.g. "03 00 64 00 0c". */
  hex: z.string(),
  note: z.string().optional(),
})
export type ModbusFrame = z.infer<typeof modbusFrameSchema>

export const certificateInfoSchema = z.object({
  thumbprint: z.string(),
  subject: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  status: z.enum(['trusted', 'rejected', 'unknown']),
})
export type CertificateInfo = z.infer<typeof certificateInfoSchema>

export const sourceDetailsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('modbus'),
    blocks: z.array(modbusBlockSchema),
    unplanned: z.array(z.object({ tagId: z.string(), reason: z.string() })),
    /** The last requests and responses on the wire, oldest first (at most 50). */
    traffic: z.array(modbusFrameSchema),
  }),
  z.object({
    kind: z.literal('opcua'),
    securityMode: z.string(),
    securityPolicy: z.string(),
    session: z.object({
      state: z.string(),
      sessionId: z.string().nullable(),
      timeoutMs: z.number().nullable(),
    }),
    subscriptions: z.array(
      z.object({
        id: z.number().nullable(),
        publishingIntervalMs: z.number(),
        monitoredItems: z.number().int(),
        state: z.string(),
      }),
    ),
    serverCertificate: certificateInfoSchema.nullable(),
  }),
  z.object({ kind: z.literal('none') }),
])
export type SourceDetails = z.infer<typeof sourceDetailsSchema>

export const sourceDiagnosticsSchema = z.object({
  sourceId: z.string(),
  stats: sourceStatsSchema,
  details: sourceDetailsSchema,
})
export type SourceDiagnostics = z.infer<typeof sourceDiagnosticsSchema>

/** A raw read for the byte-order helper: what the device holds at an address, before any decoding. */
export const rawReadRequestSchema = z.strictObject({
  sourceId: z.string(),
  unitId: z.number().int().min(0).max(255).optional(),
  table: z.enum(['input', 'holding']),
  offset: z.number().int().min(0).max(65535),
  count: z.number().int().min(1).max(4),
})
export type RawReadRequest = z.infer<typeof rawReadRequestSchema>
