import { z } from 'zod'
import { heatStateSchema } from '../heat/status'
import { priorityClassSchema } from '../heat/priority-class'
import { alarmPrioritySchema } from '../alarms/definitions'

// What the console knows about the site right now, gathered by the backend from heat status, sources,
// readings and alarms. Severity suggestions, live checklist items and status-update drafts are pure
// functions of it, so the tests can state a situation and check what the console would say.

export const siteConditionsSchema = z.object({
  /** When the conditions were gathered, ms since the epoch. */
  at: z.number(),
  plants: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      /** null when the site file gives the plant no heat rules. */
      heat: heatStateSchema.nullable(),
      heatSince: z.number().nullable(),
      /** Why the heat status is what it is, in the operator's words. */
      heatReasons: z.array(z.string()),
      /** The ids of the sources the plant's tags are read from. */
      sourceIds: z.array(z.string()),
    }),
  ),
  sources: z.array(
    z.object({
      id: z.string(),
      /** True while the source answers (connected); false when lost or never reached. */
      answering: z.boolean(),
      /**
       * Still making its first connection since the console started: not answering, but not lost
       * either, so no outage is suggested from it.
       */
      connecting: z.boolean(),
      since: z.number(),
    }),
  ),
  /** Boilers with a safety-valve setpoint and a readable drum pressure tag. */
  boilers: z.array(
    z.object({
      plantId: z.string(),
      unitId: z.string(),
      name: z.string(),
      tagId: z.string(),
      /** bar(g); null when unreadable. */
      pressure: z.number().nullable(),
      safetyValveSetpoint: z.number(),
    }),
  ),
  /** Consumers with a priority class and supply thresholds. */
  consumers: z.array(
    z.object({
      plantId: z.string(),
      unitId: z.string(),
      name: z.string(),
      priorityClass: priorityClassSchema,
      tagId: z.string(),
      state: heatStateSchema,
      /** Supply temperature, °C; null when unreadable. */
      value: z.number().nullable(),
      degradedBelow: z.number(),
      /** Its critical temperature: below it the consumer has lost heat. */
      lostBelow: z.number(),
      /** Estimated from its trend; 0 when already below, null when it cannot be told. */
      minutesToCritical: z.number().nullable(),
    }),
  ),
  /** Alarms in alarm (active, not shelved or out of service), newest first. */
  alarms: z.array(
    z.object({
      id: z.string(),
      plantId: z.string().nullable(),
      message: z.string(),
      priority: alarmPrioritySchema,
      /** overpressure and combustion-instability are the runbook's built-in safety alarms. */
      kind: z.enum(['overpressure', 'combustion-instability', 'communication-loss', 'other']),
      acknowledged: z.boolean(),
      raisedAt: z.number().nullable(),
    }),
  ),
  /** Per plant with distribution targets: the worst valve's deviation from its reference. */
  distribution: z.array(
    z.object({
      plantId: z.string(),
      /** snapshot: the plant's active last-known-good snapshot; target: the site file's openings. */
      reference: z.enum(['snapshot', 'target']),
      /** Largest |live − reference| / reference, %; null when a valve cannot be read. */
      deviationPercent: z.number().nullable(),
      /** The valve with the largest deviation. */
      worstTagId: z.string().nullable(),
    }),
  ),
})
export type SiteConditions = z.infer<typeof siteConditionsSchema>
