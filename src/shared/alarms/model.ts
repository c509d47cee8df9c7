import { z } from 'zod'
import type { JournalEventInput } from '../journal/event'
import { alarmCauseSchema, alarmConditionSchema, alarmPrioritySchema } from './definitions'

// What the alarm engine hands out: journal-ready transitions, alarm snapshots for the list, flood
// status. Schemas, so the backend can push them over the API contract (DESIGN.md §3.1).

/**
 * ISA-18.2 alarm states (its alarm state transition diagram). The first four follow the
 * process and the operator; the last three take the alarm out of annunciation.
 */
export const alarmStates = [
  'normal',
  'unacknowledged',
  'acknowledged',
  'returned-unacknowledged',
  'shelved',
  'suppressed',
  'out-of-service',
] as const
export const alarmStateSchema = z.enum(alarmStates)
export type AlarmState = z.infer<typeof alarmStateSchema>

/** The states the alarm list shows: the alarm is active or still waits for acknowledgement. */
export const annunciatedStates: readonly AlarmState[] = [
  'unacknowledged',
  'acknowledged',
  'returned-unacknowledged',
]

export const alarmTransitionTypeSchema = z.enum([
  /** The condition became active (after its on-delay): to unacknowledged. */
  'alarm.raised',
  /** Acknowledged: unacknowledged → acknowledged, or returned-unacknowledged → normal. */
  'alarm.acknowledged',
  /** The condition returned while acknowledged: to normal. */
  'alarm.cleared',
  /** The condition returned before anyone acknowledged it: to returned-unacknowledged. */
  'alarm.returned',
  'alarm.shelved',
  /** By an operator, or by the system when the shelve time ran out (`reason` says which). */
  'alarm.unshelved',
  'alarm.suppressed',
  'alarm.unsuppressed',
  'alarm.out-of-service',
  'alarm.in-service',
  'alarm.commented',
])
export type AlarmTransitionType = z.infer<typeof alarmTransitionTypeSchema>

const measureSchema = z.union([z.number(), z.boolean(), z.string(), z.null()])

/** One alarm's transition, complete enough to stand alone in the journal and in a report. */
export const alarmTransitionSchema = z.strictObject({
  type: alarmTransitionTypeSchema,
  /** Engine time, ms since the epoch. */
  at: z.number(),
  /** 'system' for what the engine does by itself, otherwise the operator's id. */
  actor: z.string().min(1),
  alarmId: z.string(),
  tagId: z.string().nullable(),
  sourceId: z.string().nullable(),
  unit: z.string().nullable(),
  condition: alarmConditionSchema,
  cause: alarmCauseSchema,
  priority: alarmPrioritySchema,
  message: z.string(),
  prompt: z.string().nullable(),
  from: alarmStateSchema,
  to: alarmStateSchema,
  /**
   * What the condition measured last: the value (limit), the rate per minute (rate of change),
   * value − setpoint (deviation), the flag (digital); null when unknown or for communication loss.
   */
  value: measureSchema,
  /** The limit, rate or band that applies; null for digital and communication loss. */
  threshold: z.number().nullable(),
  /** The first alarm of its trip group since the group was last all normal. */
  firstOut: z.boolean(),
  /** Shelve or out-of-service reason, or why the system unshelved. */
  reason: z.string().nullable(),
  /** When a shelve ends. */
  until: z.number().nullable(),
  comment: z.string().nullable(),
})
export type AlarmTransition = z.infer<typeof alarmTransitionSchema>

export const floodEventSchema = z.strictObject({
  type: z.enum(['alarm.flood-started', 'alarm.flood-ended']),
  at: z.number(),
  actor: z.literal('system'),
  /** Alarms annunciated in the flood window at `at`. */
  countInWindow: z.number().int(),
  /** More than this many in the window is a flood. */
  threshold: z.number().int(),
  windowMinutes: z.number(),
  startedAt: z.number(),
  /** The flood's length, on its end. */
  durationMs: z.number().nullable(),
  /** All time in flood since the engine started, this flood included. */
  timeInFloodMs: z.number(),
})
export type FloodEvent = z.infer<typeof floodEventSchema>

export const alarmEventSchema = z.union([alarmTransitionSchema, floodEventSchema])
export type AlarmEvent = z.infer<typeof alarmEventSchema>

export const alarmSnapshotSchema = z.strictObject({
  id: z.string(),
  tagId: z.string().nullable(),
  sourceId: z.string().nullable(),
  unit: z.string().nullable(),
  condition: alarmConditionSchema,
  cause: alarmCauseSchema,
  priority: alarmPrioritySchema,
  message: z.string(),
  prompt: z.string().nullable(),
  builtIn: z.boolean(),
  tripGroup: z.string().nullable(),
  state: alarmStateSchema,
  /** The condition after delays; tracked while shelved, suppressed or out of service too. */
  active: z.boolean(),
  firstOut: z.boolean(),
  value: measureSchema,
  threshold: z.number().nullable(),
  /** When the alarm last annunciated (went to unacknowledged). */
  raisedAt: z.number().nullable(),
  /** When its state last changed. */
  changedAt: z.number().nullable(),
  acknowledged: z.strictObject({ by: z.string(), at: z.number() }).nullable(),
  shelved: z
    .strictObject({ by: z.string(), reason: z.string(), at: z.number(), until: z.number() })
    .nullable(),
  outOfService: z.strictObject({ by: z.string(), reason: z.string(), at: z.number() }).nullable(),
})
export type AlarmSnapshot = z.infer<typeof alarmSnapshotSchema>

/** Annunciated alarms of one unit (or source) and one cause, for reading a flood. */
export const floodGroupSchema = z.strictObject({
  unit: z.string().nullable(),
  sourceId: z.string().nullable(),
  cause: alarmCauseSchema,
  alarmIds: z.array(z.string()),
  /** The group's first-out: its alarm that annunciated first. */
  firstOutAlarmId: z.string(),
  highestPriority: alarmPrioritySchema,
})
export type FloodGroup = z.infer<typeof floodGroupSchema>

export const floodStatusSchema = z.strictObject({
  inFlood: z.boolean(),
  since: z.number().nullable(),
  countInWindow: z.number().int(),
  threshold: z.number().int(),
  windowMinutes: z.number(),
  /** Alarms annunciated in the last 10 minutes (ISA-18.2 measures alarm rates per 10 minutes). */
  ratePer10Minutes: z.number().int(),
  timeInFloodMs: z.number(),
  floods: z.number().int(),
  /** Annunciated alarms by unit and cause, the group whose first alarm came first leading. */
  groups: z.array(floodGroupSchema),
})
export type FloodStatus = z.infer<typeof floodStatusSchema>

/** An engine event as the journal takes it; the journal adds id, seq, ts and the hashes. */
export function alarmJournalInput(event: AlarmEvent): JournalEventInput {
  const { type, actor, ...data } = event
  return { type, actor, incidentId: null, data }
}
