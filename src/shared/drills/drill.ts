import { z } from 'zod'
import { priorityClassSchema } from '../heat/priority-class'
import { fileProblemSchema } from '../file-problem'
import { incidentSeveritySchema } from '../incidents/severity'

// Drills (DESIGN.md §4): an operator rehearses the runbook against the simulator while the console
// says DRILL everywhere. These are the shapes the backend reports and the renderer shows.

export const severitySchema = z.enum(['P0', 'P1', 'P2', 'P3'])
export type Severity = z.infer<typeof severitySchema>

export const scenarioSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  runbook: z.string(),
  /** The severity the runbook gives the situation, which the debrief holds the drill to. */
  severity: severitySchema,
  durationSeconds: z.number(),
})
export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>

/** What an operator did during a drill that the runbook sets a target for. */
export const drillActionKindSchema = z.enum([
  /** An alarm or the incident acknowledged. */
  'acknowledged',
  /** An incident declared; `severity` says at which. */
  'incident-declared',
  /** A first step to restore heat: a control write, manual mode, a last-known-good apply. */
  'mitigation',
  /** A call to someone on the escalation list. */
  'escalation',
])
export type DrillActionKind = z.infer<typeof drillActionKindSchema>

export const drillActionSchema = z.object({
  kind: drillActionKindSchema,
  /** Wall-clock time, ms since the epoch. */
  at: z.number(),
  summary: z.string(),
  /** The severity an incident was declared at (any of P0–P4, whatever the scenario's). */
  severity: incidentSeveritySchema.optional(),
})
export type DrillAction = z.infer<typeof drillActionSchema>

/** One consumer that lost heat during the drill, as the simulator saw it. */
export const heatLossSchema = z.object({
  consumerId: z.string(),
  name: z.string(),
  plantId: z.string(),
  priorityClass: priorityClassSchema,
  lostAt: z.number(),
  /** null while the consumer is still short of heat. */
  restoredAt: z.number().nullable(),
})
export type HeatLoss = z.infer<typeof heatLossSchema>

export const debriefRowSchema = z.object({
  /** What the runbook asks, in words: "Acknowledge within 5 minutes (P0)". */
  target: z.string(),
  /** The limit, s after the first fault (or after the loss, for heat restoration). */
  limitSeconds: z.number(),
  /** How long it took, s; null when it was not done during the drill. */
  tookSeconds: z.number().nullable(),
  /** open: not done yet, but the drill ended before the runbook's window did. */
  outcome: z.enum(['met', 'late', 'not-done', 'open', 'wrong']),
  detail: z.string(),
})
export type DebriefRow = z.infer<typeof debriefRowSchema>

export const drillLogEntrySchema = z.object({
  /** Scenario time of the step, s. */
  atSeconds: z.number(),
  action: z.enum(['fault', 'clear']),
  faultId: z.string(),
  /** Why the simulator refused the step, when it did. */
  error: z.string().nullable(),
})

export const drillStateSchema = z.object({
  id: z.string(),
  scenario: scenarioSummarySchema,
  /** Wall-clock ms since the epoch. */
  startedAt: z.number(),
  /** null while the drill runs. */
  endedAt: z.number().nullable(),
  /** finished: the scenario ran its whole duration; stopped: the operator ended it early. */
  status: z.enum(['running', 'finished', 'stopped']),
  startedBy: z.string(),
  /** The plants the simulator serves: what the drill changes. Other plants stay live and real. */
  simulatedPlants: z.array(z.string()),
  log: z.array(drillLogEntrySchema),
  actions: z.array(drillActionSchema),
  heatLosses: z.array(heatLossSchema),
  /** The comparison with the runbook's targets; present once the drill has ended. */
  debrief: z.array(debriefRowSchema).nullable(),
})
export type DrillState = z.infer<typeof drillStateSchema>

export const drillCatalogSchema = z.object({
  /** False when the site has no simulated source, so there is nothing a drill could run against. */
  available: z.boolean(),
  /** Why drills are unavailable, in the operator's words; null when they are available. */
  reason: z.string().nullable(),
  scenarios: z.array(scenarioSummarySchema),
  /** Scenario files that did not load, each with where and why. */
  problems: z.array(fileProblemSchema),
})
export type DrillCatalog = z.infer<typeof drillCatalogSchema>
