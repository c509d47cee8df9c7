import { z } from 'zod'
import { heatRestorationMinutes, priorityClassNames } from '../heat/priority-class'
import type { IncidentState } from './model'
import { compareSeverity, severityDefinitions, type IncidentSeverity } from './severity'

// The incident's clocks: acknowledge and act within the runbook's response times, restore each
// consumer within its critical-heat class, and send status updates at the severity's cadence. Clocks
// are data (start, target, done), derived from the journal; the views count them down against their
// own clock, and a restart derives the same numbers.

export const clockSchema = z.object({
  id: z.string(),
  label: z.string(),
  startAt: z.number(),
  targetAt: z.number(),
  /** When the target was met (acknowledged, mitigation started, heat back); null while it runs. */
  doneAt: z.number().nullable(),
})
export type Clock = z.infer<typeof clockSchema>

/** running: time left. overdue: past its target, not done. met / late: done in time or not. */
export type ClockState = 'running' | 'overdue' | 'met' | 'late'

export function clockState(clock: Clock, now: number): ClockState {
  if (clock.doneAt !== null) return clock.doneAt <= clock.targetAt ? 'met' : 'late'
  return now <= clock.targetAt ? 'running' : 'overdue'
}

export const updateClockSchema = z.object({
  /** When the next update (or the first, or the resolution message) is due. */
  dueAt: z.number(),
  kind: z.enum(['initial', 'update', 'resolution']),
  everyMinutes: z.number().nullable(),
  lastSentAt: z.number().nullable(),
})
export type UpdateClock = z.infer<typeof updateClockSchema>

export const incidentClocksSchema = z.object({
  acknowledge: clockSchema.nullable(),
  action: clockSchema.nullable(),
  update: updateClockSchema.nullable(),
  consumers: z.array(
    clockSchema.extend({ plantId: z.string(), unitId: z.string(), priorityClass: z.string() }),
  ),
})
export type IncidentClocks = z.infer<typeof incidentClocksSchema>

const minutes = 60_000

/** The severity the incident was declared at, before any change. */
export const declaredSeverity = (incident: IncidentState): IncidentSeverity =>
  incident.severityChanges[0]?.from ?? incident.severity

/**
 * Since when the incident has been at least as severe as it is now: detection, unless it was raised
 * to this level later. Targets that follow the current severity (mitigation, escalation) count from
 * here, so raising P2 to P0 an hour in makes the P0 calls due now, not an hour ago, and a P1 that
 * was briefly P0 keeps its P1 clock from detection.
 */
export function severitySince(incident: IncidentState): number {
  let since = incident.detectedAt
  let level = declaredSeverity(incident)
  for (const change of incident.severityChanges) {
    const entering =
      compareSeverity(change.to, incident.severity) <= 0 &&
      compareSeverity(level, incident.severity) > 0
    if (entering) since = change.at
    level = change.to
  }
  return since
}

export function incidentClocks(incident: IncidentState): IncidentClocks {
  // Acknowledging is judged at the severity it was declared at: a later raise cannot make a timely
  // acknowledgement late after the fact.
  const declared = declaredSeverity(incident)
  const acknowledgeMinutes = severityDefinitions[declared].acknowledgeMinutes
  const acknowledge =
    acknowledgeMinutes === null
      ? null
      : {
          id: 'acknowledge',
          label: `Acknowledge within ${acknowledgeMinutes} min (${declared})`,
          startAt: incident.detectedAt,
          targetAt: incident.detectedAt + acknowledgeMinutes * minutes,
          doneAt: incident.acknowledgedAt,
        }
  const actionMinutes = severityDefinitions[incident.severity].actionMinutes
  const actionFrom = severitySince(incident)
  const action =
    actionMinutes === null
      ? null
      : {
          id: 'action',
          label: `Start mitigation within ${actionMinutes} min (${incident.severity})`,
          startAt: actionFrom,
          targetAt: actionFrom + actionMinutes * minutes,
          doneAt: incident.mitigations[0]?.at ?? null,
        }
  // A consumer of a plant taken off the incident is no longer its to restore.
  const consumers = incident.consumers.filter((consumer) =>
    incident.plants.includes(consumer.plantId),
  )
  return {
    acknowledge,
    action,
    update: updateClock(incident),
    consumers: consumers.map((consumer) => ({
      id: `restore/${consumer.plantId}/${consumer.unitId}/${consumer.since}`,
      label: `${consumer.name}: heat back within ${heatRestorationMinutes[consumer.priorityClass]} min (${priorityClassNames[consumer.priorityClass]})`,
      startAt: consumer.since,
      targetAt: consumer.since + heatRestorationMinutes[consumer.priorityClass] * minutes,
      doneAt: consumer.restoredAt,
      plantId: consumer.plantId,
      unitId: consumer.unitId,
      priorityClass: consumer.priorityClass,
    })),
  }
}

/**
 * The runbook announces an incident as part of acknowledging it: the first update is due by the
 * acknowledge target, or at once when the incident is declared later than that.
 */
function initialUpdateDue(incident: IncidentState): number {
  const acknowledgeMinutes = severityDefinitions[declaredSeverity(incident)].acknowledgeMinutes ?? 0
  return Math.max(incident.declaredAt, incident.detectedAt + acknowledgeMinutes * minutes)
}

/**
 * The first update is due by the acknowledge target, then one every `updateEveryMinutes` after the last one sent
 * until the incident is resolved; then the resolution message is due at once, once.
 */
function updateClock(incident: IncidentState): UpdateClock | null {
  const everyMinutes = severityDefinitions[incident.severity].updateEveryMinutes
  const sent = incident.updates
  if (incident.resolved) {
    if (everyMinutes === null || sent.some((update) => update.kind === 'resolution')) return null
    return {
      dueAt: incident.resolved.at,
      kind: 'resolution',
      everyMinutes,
      lastSentAt: sent.at(-1)?.at ?? null,
    }
  }
  if (everyMinutes === null) return null
  const last = sent.at(-1) ?? null
  return last
    ? { dueAt: last.at + everyMinutes * minutes, kind: 'update', everyMinutes, lastSentAt: last.at }
    : { dueAt: initialUpdateDue(incident), kind: 'initial', everyMinutes, lastSentAt: null }
}

/**
 * When a consumer's supply fell short, read back from its trend (points in time order, each the
 * summary of a stretch): the start of the unbroken run of stretches at the end that stayed below
 * `degradedBelow`. Null when the trend's last stretch is not short, or when the run reaches the
 * trend's first point (it began before the trend does, so the trend cannot say when).
 */
export function shortfallStart(
  points: readonly { ts: number; max: number | null }[],
  degradedBelow: number,
): number | null {
  let start: number | null = null
  for (let index = points.length - 1; index >= 0; index -= 1) {
    const max = points[index]!.max
    if (max === null || max >= degradedBelow) return start
    start = points[index]!.ts
  }
  return null
}

export type TemperatureSample = { at: number; value: number }

/**
 * Minutes until a cooling supply reaches its critical temperature, from a least-squares line through
 * recent samples (runbook "time to critical temperature"). 0 when it is already there; null when it
 * cannot be told: too few samples, under 30 s of data, or not falling.
 */
export function minutesToCritical(
  samples: readonly TemperatureSample[],
  criticalBelow: number,
): number | null {
  const last = samples.at(-1)
  if (!last) return null
  if (last.value < criticalBelow) return 0
  if (samples.length < 3 || last.at - samples[0]!.at < 30_000) return null
  const n = samples.length
  const meanT = samples.reduce((sum, sample) => sum + sample.at, 0) / n
  const meanV = samples.reduce((sum, sample) => sum + sample.value, 0) / n
  let covariance = 0
  let variance = 0
  for (const sample of samples) {
    covariance += (sample.at - meanT) * (sample.value - meanV)
    variance += (sample.at - meanT) ** 2
  }
  const slopePerMs = covariance / variance
  if (!(slopePerMs < 0)) return null
  // From the fitted line at the newest sample, not the newest reading, so noise does not jump it.
  const fitted = meanV + slopePerMs * (last.at - meanT)
  return Math.max(0, (fitted - criticalBelow) / -slopePerMs / minutes)
}
