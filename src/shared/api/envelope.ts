import { z } from 'zod'

// What travels on every transport. Payloads are validated separately against the contract, so an
// envelope only checks its own frame.

export const requestEnvelopeSchema = z.strictObject({
  kind: z.literal('request'),
  id: z.number().int().nonnegative(),
  channel: z.string(),
  payload: z.unknown(),
})
export type RequestEnvelope = z.infer<typeof requestEnvelopeSchema>

const apiErrorSchema = z.object({ code: z.string(), message: z.string() })

export const responseEnvelopeSchema = z.union([
  z.object({
    kind: z.literal('response'),
    id: z.number().nullable(),
    ok: z.literal(true),
    value: z.unknown(),
  }),
  z.object({
    kind: z.literal('response'),
    id: z.number().nullable(),
    ok: z.literal(false),
    error: apiErrorSchema,
  }),
])

export const eventEnvelopeSchema = z.object({
  kind: z.literal('event'),
  event: z.string(),
  payload: z.unknown(),
})

export const serverEnvelopeSchema = z.union([responseEnvelopeSchema, eventEnvelopeSchema])
export type ServerEnvelope = z.infer<typeof serverEnvelopeSchema>
export type ResponseEnvelope = z.infer<typeof responseEnvelopeSchema>
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>
