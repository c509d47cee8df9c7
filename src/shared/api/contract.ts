import { z } from 'zod'
import { sourceStatusSchema, tagValueSchema } from '../field/values'
import { siteProblemSchema } from '../site/schema'

// The one contract between renderer and backend (DESIGN.md §3.1). Each request channel has a request
// and a response schema; each push stream has an event schema. Transports (MessagePort in Electron,
// WebSocket in browser mode, direct calls in tests) all carry these and nothing else.

const empty = z.strictObject({})

export const consoleModeSchema = z.enum(['desktop', 'browser'])

export const systemInfoSchema = z.object({
  version: z.string(),
  mode: consoleModeSchema,
  site: z.object({ id: z.string(), name: z.string() }).nullable(),
  siteFile: z.string(),
  siteProblems: z.array(siteProblemSchema),
  dataDir: z.string(),
  startedAt: z.number(),
})
export type SystemInfo = z.infer<typeof systemInfoSchema>

export const tagInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  unit: z.string(),
  sourceId: z.string(),
  plantId: z.string().nullable(),
  limits: z
    .object({ hh: z.number(), h: z.number(), l: z.number(), ll: z.number() })
    .partial()
    .nullable(),
})
export type TagInfo = z.infer<typeof tagInfoSchema>

export const plantInfoSchema = z.object({ id: z.string(), name: z.string() })

export const requests = {
  getSystemInfo: { request: empty, response: systemInfoSchema },
  getTags: {
    request: empty,
    response: z.object({ plants: z.array(plantInfoSchema), tags: z.array(tagInfoSchema) }),
  },
  getValues: {
    request: z.strictObject({ tagIds: z.array(z.string()).max(100_000).optional() }),
    response: z.object({ values: z.array(tagValueSchema) }),
  },
  getSources: { request: empty, response: z.object({ sources: z.array(sourceStatusSchema) }) },
} as const

export const events = {
  /** Latest value per changed tag, at most one batch per frame's worth of time. */
  values: z.object({ values: z.array(tagValueSchema) }),
  sources: z.object({ sources: z.array(sourceStatusSchema) }),
} as const

export type RequestChannel = keyof typeof requests
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>
export type ResponseOf<C extends RequestChannel> = z.infer<(typeof requests)[C]['response']>
export type EventName = keyof typeof events
export type EventOf<E extends EventName> = z.infer<(typeof events)[E]>

export const requestChannels = Object.keys(requests) as RequestChannel[]
export const isRequestChannel = (name: string): name is RequestChannel =>
  Object.hasOwn(requests, name)
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name)
