import { z } from 'zod'
import { priorityClassSchema } from '../heat/priority-class'
import { incidentSeveritySchema } from './severity'
import { suggestionRuleSchema } from './suggestions'

// The incident record of the GL-001 runbook, kept as journal events (DESIGN.md §3.4). Every change an
// operator makes is one `incident.*` event carrying the incident's id; the state below is derived
// from those events by reduceIncident (reducer.ts), so a restart, another console or a report
// rebuilds exactly what the operator saw. Times are ms since the epoch.

/** `INC-YYYYMMDD-NNN-CCCCCC`: the runbook's id, then this console's code (see incidentId()). */
export const incidentIdPattern = /^INC-\d{8}-\d{3}-[0-9A-F]{6}$/
export const incidentIdSchema = z
  .string()
  .regex(incidentIdPattern, 'an id like INC-20261122-001-7F3A9C')

const personSchema = z.string().trim().min(1).max(200)

/** The runbook's incident roles; the commander is named at declaration, the rest when known. */
export const incidentRolesSchema = z.strictObject({
  commander: personSchema,
  technicalLead: personSchema.nullable().default(null),
  communicationsLead: personSchema.nullable().default(null),
  scribe: personSchema.nullable().default(null),
})
export type IncidentRoles = z.infer<typeof incidentRolesSchema>
export const incidentRoleNames: Record<keyof IncidentRoles, string> = {
  commander: 'Incident commander',
  technicalLead: 'Technical lead',
  communicationsLead: 'Communications lead',
  scribe: 'Scribe',
}

/** Why the incident was declared at its severity: a suggestion confirmed or overridden, or by hand. */
export const declarationBasisSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('suggestion'),
    suggestionId: z.string(),
    rule: z.string(),
    suggestedSeverity: incidentSeveritySchema,
    reason: z.string(),
    /** True when the operator declared at the suggested severity. */
    confirmed: z.boolean(),
    /** Why the operator chose another severity; null when confirmed. */
    overrideReason: z.string().nullable(),
  }),
  z.strictObject({ kind: z.literal('operator') }),
])
export type DeclarationBasis = z.infer<typeof declarationBasisSchema>

export const callOutcomes = ['reached', 'no-answer', 'message-left'] as const
export const callOutcomeSchema = z.enum(callOutcomes)
export type CallOutcome = z.infer<typeof callOutcomeSchema>
export const callOutcomeNames: Record<CallOutcome, string> = {
  reached: 'reached',
  'no-answer': 'no answer',
  'message-left': 'message left',
}

export const updateKinds = ['initial', 'update', 'resolution'] as const
export const updateKindSchema = z.enum(updateKinds)
export type UpdateKind = z.infer<typeof updateKindSchema>

/** A checklist item judged from live data: met, not met, or not judgeable (a reading missing). */
export const checkStateSchema = z.enum(['met', 'not-met', 'unknown'])
export type CheckState = z.infer<typeof checkStateSchema>

export const exitCriterionSchema = z.strictObject({
  itemId: z.string(),
  label: z.string(),
  state: checkStateSchema,
  evidence: z.string(),
})

/** The post-incident review (runbook "Post-Incident Review"), as the operator edits it. */
export const actionItemSchema = z.strictObject({
  action: z.string().max(2000),
  owner: z.string().max(200),
  /** YYYY-MM-DD, or empty until agreed. */
  due: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, 'a date as YYYY-MM-DD'),
  status: z.enum(['open', 'done']),
})
export const approvalSchema = z.strictObject({
  /** Who must approve, in the runbook's words: engineering manager, plant safety officer… */
  role: z.string().max(200),
  name: z.string().max(200),
  /** YYYY-MM-DD once approved; empty while waiting. */
  approvedOn: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, 'a date as YYYY-MM-DD'),
})
const reviewText = z.string().max(20_000)
export const incidentReviewSchema = z.strictObject({
  summary: reviewText,
  impact: reviewText,
  timeline: reviewText,
  rootCause: reviewText,
  contributingFactors: reviewText,
  whyNotCaught: reviewText,
  wentWell: reviewText,
  wentPoorly: reviewText,
  actionItems: z.array(actionItemSchema).max(100),
  preventiveShortTerm: reviewText,
  preventiveLongTerm: reviewText,
  approvals: z.array(approvalSchema).max(10),
})
export type IncidentReview = z.infer<typeof incidentReviewSchema>

/** Journal event types and their data. Each carries the incident's id as the event's incidentId. */
export const incidentEventData = {
  'incident.declared': z.strictObject({
    severity: incidentSeveritySchema,
    title: z.string(),
    plants: z.array(z.string()),
    roles: incidentRolesSchema,
    basis: declarationBasisSchema,
    /** When the trouble began, as far as anyone knows (a drill's first fault; else detectedAt). */
    startedAt: z.number(),
    /** The first sign the console raised: the suggestion or the earliest alarm on those plants. */
    detectedAt: z.number(),
    /** The first acknowledgement: of an alarm on those plants since detection, or the declaration. */
    acknowledgedAt: z.number(),
    drill: z.boolean(),
    consoleId: z.string(),
  }),
  'incident.severity-changed': z.strictObject({
    from: incidentSeveritySchema,
    to: incidentSeveritySchema,
    reason: z.string(),
  }),
  'incident.roles-assigned': z.strictObject({ roles: incidentRolesSchema }),
  'incident.plants-changed': z.strictObject({ plants: z.array(z.string()) }),
  'incident.mitigation-started': z.strictObject({ summary: z.string() }),
  'incident.call-recorded': z.strictObject({
    levelId: z.string(),
    levelName: z.string(),
    contact: z.string(),
    phone: z.string(),
    outcome: callOutcomeSchema,
    note: z.string(),
  }),
  'incident.check-ticked': z.strictObject({
    checklistId: z.string(),
    itemId: z.string(),
    /** The item's words as the operator saw them, so the record reads without the checklist. */
    label: z.string(),
    done: z.boolean(),
    note: z.string(),
  }),
  /** A live-judged checklist item changed state; the evidence is what the console saw then. */
  'incident.check-evaluated': z.strictObject({
    checklistId: z.string(),
    itemId: z.string(),
    label: z.string(),
    state: checkStateSchema,
    evidence: z.string(),
  }),
  'incident.update-sent': z.strictObject({ kind: updateKindSchema, text: z.string() }),
  'incident.note-added': z.strictObject({ text: z.string() }),
  /** A consumer of an affected plant fell short of heat: its restoration clock runs from `since`. */
  'incident.consumer-short': z.strictObject({
    plantId: z.string(),
    unitId: z.string(),
    name: z.string(),
    priorityClass: priorityClassSchema,
    since: z.number(),
  }),
  'incident.consumer-restored': z.strictObject({ plantId: z.string(), unitId: z.string() }),
  'incident.resolved': z.strictObject({
    summary: z.string(),
    exitCriteria: z.array(exitCriterionSchema),
    /** Why the incident was resolved with exit criteria not met; null when all were met. */
    openCriteriaReason: z.string().nullable(),
  }),
  'incident.review-saved': z.strictObject({ review: incidentReviewSchema }),
} as const
export type IncidentEventType = keyof typeof incidentEventData
export type IncidentEventDataOf<T extends IncidentEventType> = z.infer<
  (typeof incidentEventData)[T]
>
export const isIncidentEventType = (type: string): type is IncidentEventType =>
  Object.hasOwn(incidentEventData, type)

/** Suggestions are console-wide (incidentId null) until someone declares from one. */
export const suggestionEventData = {
  'incident.suggestion-raised': z.strictObject({
    suggestionId: z.string(),
    rule: suggestionRuleSchema,
    severity: incidentSeveritySchema,
    title: z.string(),
    reason: z.string(),
    plants: z.array(z.string()),
    prompt: z.string().nullable(),
    since: z.number(),
  }),
  'incident.suggestion-cleared': z.strictObject({ suggestionId: z.string() }),
  'incident.suggestion-dismissed': z.strictObject({ suggestionId: z.string(), reason: z.string() }),
} as const

const stamp = { at: z.number(), by: z.string() }

export const incidentStateSchema = z.object({
  id: z.string(),
  severity: incidentSeveritySchema,
  title: z.string(),
  plants: z.array(z.string()),
  roles: incidentRolesSchema,
  basis: declarationBasisSchema,
  drill: z.boolean(),
  consoleId: z.string(),
  declaredAt: z.number(),
  declaredBy: z.string(),
  startedAt: z.number(),
  detectedAt: z.number(),
  acknowledgedAt: z.number(),
  severityChanges: z.array(
    z.object({
      ...stamp,
      from: incidentSeveritySchema,
      to: incidentSeveritySchema,
      reason: z.string(),
    }),
  ),
  mitigations: z.array(z.object({ ...stamp, summary: z.string() })),
  calls: z.array(
    z.object({
      ...stamp,
      levelId: z.string(),
      levelName: z.string(),
      contact: z.string(),
      phone: z.string(),
      outcome: callOutcomeSchema,
      note: z.string(),
    }),
  ),
  /** Operator ticks by `checklistId/itemId`: the latest tick or untick wins. */
  ticks: z.record(z.string(), z.object({ ...stamp, done: z.boolean(), note: z.string() })),
  /** Live judgements as last journalled, by `checklistId/itemId`. */
  evaluations: z.record(
    z.string(),
    z.object({ at: z.number(), state: checkStateSchema, evidence: z.string() }),
  ),
  updates: z.array(z.object({ ...stamp, kind: updateKindSchema, text: z.string() })),
  notes: z.array(z.object({ ...stamp, text: z.string() })),
  consumers: z.array(
    z.object({
      plantId: z.string(),
      unitId: z.string(),
      name: z.string(),
      priorityClass: priorityClassSchema,
      since: z.number(),
      restoredAt: z.number().nullable(),
    }),
  ),
  resolved: z
    .object({
      ...stamp,
      summary: z.string(),
      exitCriteria: z.array(exitCriterionSchema),
      openCriteriaReason: z.string().nullable(),
    })
    .nullable(),
  review: z.object({ ...stamp, review: incidentReviewSchema, version: z.number() }).nullable(),
  /** seq of the incident's newest event: what the state was derived up to. */
  lastSeq: z.number(),
})
export type IncidentState = z.infer<typeof incidentStateSchema>

/** The key of a checklist item in ticks and evaluations. */
export const checkKey = (checklistId: string, itemId: string): string => `${checklistId}/${itemId}`
