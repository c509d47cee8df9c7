import { z } from 'zod'
import { severitySince } from './clocks'
import type { IncidentState } from './model'
import { incidentSeveritySchema } from './severity'

// The escalation chain of GL-001 ("Escalation Paths"), as the site file states it: who is at each
// level, how to reach them, and after how long an incident of each severity must reach them. Offline
// the console cannot page anyone; it says who must be called now and keeps each call's outcome.

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')

export const escalationContactSchema = z.strictObject({
  name: z.string().trim().min(1),
  phone: z.string().trim().min(3),
  /** A second number, or when to use which ("night: 555 0199"). */
  note: z.string().optional(),
})

export const escalationLevelSchema = z.strictObject({
  id,
  name: z.string().trim().min(1),
  /** In the order to try them. */
  contacts: z.array(escalationContactSchema).min(1, 'a level needs someone to call'),
})

export const escalationTriggerSchema = z.strictObject({
  severities: z.array(incidentSeveritySchema).min(1),
  /** Minutes after the incident was detected; 0 is at once. */
  afterMinutes: z
    .number()
    .min(0)
    .max(7 * 24 * 60),
  levels: z.array(id).min(1),
  /** The runbook's reason, shown beside the call ("P0: safety officer at once"). */
  why: z.string().trim().min(1),
})

export const escalationPlanSchema = z
  .strictObject({
    levels: z.array(escalationLevelSchema).default([]),
    triggers: z.array(escalationTriggerSchema).default([]),
  })
  .superRefine((plan, ctx) => {
    const known = new Set<string>()
    plan.levels.forEach((level, index) => {
      if (known.has(level.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', index, 'id'],
          message: `duplicate level id "${level.id}"`,
        })
      }
      known.add(level.id)
    })
    plan.triggers.forEach((trigger, index) => {
      trigger.levels.forEach((levelId, levelIndex) => {
        if (!known.has(levelId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['triggers', index, 'levels', levelIndex],
            message: `no escalation level with id "${levelId}"`,
          })
        }
      })
    })
  })
export type EscalationPlan = z.infer<typeof escalationPlanSchema>
export type EscalationLevel = z.infer<typeof escalationLevelSchema>

export const escalationStepStates = ['reached', 'due', 'upcoming', 'missed'] as const

export const escalationStepSchema = z.object({
  levelId: z.string(),
  name: z.string(),
  contacts: z.array(escalationContactSchema),
  /** When the level must be reached, ms since the epoch. */
  dueAt: z.number(),
  why: z.string(),
  /**
   * reached: a call got through. due: the time has come and no call got through yet. upcoming: not
   * yet. missed: the incident was resolved after the time came without anyone reaching the level.
   */
  state: z.enum(escalationStepStates),
  /** The latest call to this level, if any. */
  lastCall: z
    .object({ at: z.number(), contact: z.string(), outcome: z.string(), note: z.string() })
    .nullable(),
  attempts: z.number(),
})
export type EscalationStep = z.infer<typeof escalationStepSchema>

/**
 * Who the incident must reach and when, at its current severity, counted from detection (the
 * runbook's minutes run from the start of the incident, not from when someone declared it), or from
 * when the incident was raised to its severity (severitySince). Each
 * level appears once, at its earliest due time; a level is done once a call got through.
 */
export function escalationSteps(
  plan: EscalationPlan,
  incident: IncidentState,
  now: number,
): EscalationStep[] {
  const earliest = new Map<string, { dueAt: number; why: string }>()
  const from = severitySince(incident)
  for (const trigger of plan.triggers) {
    if (!trigger.severities.includes(incident.severity)) continue
    const dueAt = from + trigger.afterMinutes * 60_000
    for (const levelId of trigger.levels) {
      const known = earliest.get(levelId)
      if (!known || dueAt < known.dueAt) earliest.set(levelId, { dueAt, why: trigger.why })
    }
  }
  const resolvedAt = incident.resolved?.at ?? null
  const steps: EscalationStep[] = []
  for (const level of plan.levels) {
    const due = earliest.get(level.id)
    const calls = incident.calls.filter((call) => call.levelId === level.id)
    if (!due) {
      // A level the operator called though no trigger asked for it still belongs in the record.
      if (calls.length === 0) continue
    }
    const dueAt = due?.dueAt ?? calls[0]!.at
    const reached = calls.some((call) => call.outcome === 'reached')
    const last = calls.at(-1) ?? null
    let state: EscalationStep['state']
    if (reached) state = 'reached'
    else if (resolvedAt !== null) {
      // Only a level the plan asked for can be missed; an extra call nobody answered is in the calls.
      if (!due || dueAt > resolvedAt) continue
      state = 'missed'
    } else state = dueAt <= now ? 'due' : 'upcoming'
    steps.push({
      levelId: level.id,
      name: level.name,
      contacts: level.contacts,
      dueAt,
      why: due?.why ?? 'called by the operator',
      state,
      lastCall: last
        ? { at: last.at, contact: last.contact, outcome: last.outcome, note: last.note }
        : null,
      attempts: calls.length,
    })
  }
  return steps.sort((a, b) => a.dueAt - b.dueAt)
}
