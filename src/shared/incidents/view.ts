import { z } from 'zod'
import { evaluatedChecklistSchema } from './checklists'
import { incidentClocksSchema } from './clocks'
import { siteConditionsSchema } from './conditions'
import { escalationPlanSchema, escalationStepSchema } from './escalation'
import { incidentMetricsSchema } from './metrics'
import { incidentStateSchema } from './model'
import { severitySuggestionSchema } from './suggestions'

// What the incident workspace shows: each incident's derived state with its clocks, escalation and
// live checklists; the suggestions waiting for an operator; and the metrics across incidents.

export const incidentViewSchema = z.object({
  incident: incidentStateSchema,
  clocks: incidentClocksSchema,
  escalation: z.array(escalationStepSchema),
  checklists: z.array(evaluatedChecklistSchema),
})
export type IncidentView = z.infer<typeof incidentViewSchema>

export const pendingSuggestionSchema = severitySuggestionSchema.extend({
  /** When the condition was first seen, ms since the epoch: the acknowledge clock runs from it. */
  since: z.number(),
})
export type PendingSuggestion = z.infer<typeof pendingSuggestionSchema>

export const incidentsStatusSchema = z.object({
  /** Open incidents first (most severe first), then the 50 latest resolved ones, newest first. */
  incidents: z.array(incidentViewSchema),
  /** Conditions that call for an incident no open incident covers yet. */
  suggestions: z.array(pendingSuggestionSchema),
  metrics: incidentMetricsSchema,
  escalationPlan: escalationPlanSchema,
  /** The live conditions the checklists and suggestions were judged on. */
  conditions: siteConditionsSchema,
})
export type IncidentsStatus = z.infer<typeof incidentsStatusSchema>
