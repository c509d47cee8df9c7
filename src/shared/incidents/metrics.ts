import { z } from 'zod'
import { incidentClocks } from './clocks'
import type { IncidentState } from './model'
import { incidentSeverities, incidentSeveritySchema, type IncidentSeverity } from './severity'

// Metrics across incidents (agent-orchestration playbook "Metrics to Track"): time to detect,
// acknowledge, mitigate and resolve; counts by severity; the share that met the runbook's targets.

const durationStats = z.object({
  /** How many incidents the figure covers. */
  count: z.number(),
  meanMinutes: z.number().nullable(),
  medianMinutes: z.number().nullable(),
})
export type DurationStats = z.infer<typeof durationStats>

export const incidentMetricsSchema = z.object({
  incidents: z.number(),
  open: z.number(),
  bySeverity: z.record(incidentSeveritySchema, z.number()),
  timeToDetect: durationStats,
  timeToAcknowledge: durationStats,
  timeToMitigate: durationStats,
  timeToResolve: durationStats,
  /** Of incidents with the target: share (0–1) met; null when none had it. */
  acknowledgedWithinTarget: z.number().nullable(),
  mitigatedWithinTarget: z.number().nullable(),
  /** Of consumers that lost heat in incidents: share whose heat came back within their class. */
  restoredWithinTarget: z.number().nullable(),
})
export type IncidentMetrics = z.infer<typeof incidentMetricsSchema>

const minutes = 60_000

/** Mean and median of durations in ms, as minutes; both null when there is nothing to measure. */
export function durationStatsOf(durations: readonly number[]): DurationStats {
  if (durations.length === 0) return { count: 0, meanMinutes: null, medianMinutes: null }
  const sorted = durations.toSorted((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  const mean = sorted.reduce((sum, duration) => sum + duration, 0) / sorted.length
  return { count: sorted.length, meanMinutes: mean / minutes, medianMinutes: median / minutes }
}

type Tally = { met: number; of: number }

function count(tally: Tally, met: boolean): void {
  tally.of += 1
  if (met) tally.met += 1
}

const share = (tally: Tally): number | null => (tally.of === 0 ? null : tally.met / tally.of)

/**
 * The figures over the incidents given. The caller chooses them: the workspace passes real incidents
 * only, so a drill does not flatter or spoil the site's record; a drill report may pass its drills.
 * Durations run from detection, as the runbook's targets do, except time to detect (from the start).
 */
export function incidentMetrics(incidents: readonly IncidentState[]): IncidentMetrics {
  const bySeverity = Object.fromEntries(
    incidentSeverities.map((severity) => [severity, 0]),
  ) as Record<IncidentSeverity, number>
  const acknowledged: Tally = { met: 0, of: 0 }
  const mitigated: Tally = { met: 0, of: 0 }
  const restored: Tally = { met: 0, of: 0 }
  const mitigate: number[] = []
  const resolve: number[] = []
  for (const incident of incidents) {
    bySeverity[incident.severity] += 1
    // Within target means what the incident's clocks say, so the metrics and the workspace agree.
    const clocks = incidentClocks(incident)
    const firstMitigation = incident.mitigations[0]?.at ?? null
    if (firstMitigation !== null) mitigate.push(firstMitigation - incident.detectedAt)
    if (incident.resolved) resolve.push(incident.resolved.at - incident.detectedAt)
    if (clocks.acknowledge)
      count(acknowledged, (clocks.acknowledge.doneAt ?? Infinity) <= clocks.acknowledge.targetAt)
    // An open incident not mitigated yet may still make it, so it is not counted either way; one
    // resolved without a mitigation on record missed.
    if (clocks.action && (clocks.action.doneAt !== null || incident.resolved)) {
      count(
        mitigated,
        clocks.action.doneAt !== null && clocks.action.doneAt <= clocks.action.targetAt,
      )
    }
    for (const consumer of clocks.consumers) {
      // Still short in an open incident: the clock is running, not yet won or lost.
      if (consumer.doneAt === null && !incident.resolved) continue
      count(restored, consumer.doneAt !== null && consumer.doneAt <= consumer.targetAt)
    }
  }
  return {
    incidents: incidents.length,
    open: incidents.filter((incident) => !incident.resolved).length,
    bySeverity,
    timeToDetect: durationStatsOf(
      incidents.map((incident) => incident.detectedAt - incident.startedAt),
    ),
    timeToAcknowledge: durationStatsOf(
      incidents.map((incident) => incident.acknowledgedAt - incident.detectedAt),
    ),
    timeToMitigate: durationStatsOf(mitigate),
    timeToResolve: durationStatsOf(resolve),
    acknowledgedWithinTarget: share(acknowledged),
    mitigatedWithinTarget: share(mitigated),
    restoredWithinTarget: share(restored),
  }
}
