import { priorityClassNames } from '../heat/priority-class'
import type { SiteConditions } from './conditions'
import type { EvaluatedChecklist } from './checklists'
import type { IncidentClocks } from './clocks'
import type { EscalationStep } from './escalation'
import { incidentRoleNames, type IncidentRoles, type IncidentState, type UpdateKind } from './model'
import { severityDefinitions } from './severity'
import { formatUtcTime } from './timeline'

// Status-update drafts (runbook "Communication Templates", in the console's own wording): filled from
// the incident and live data, then edited by the communications lead before they go out.

export type DraftContext = {
  incident: IncidentState
  conditions: SiteConditions
  clocks: IncidentClocks
  checklists: readonly EvaluatedChecklist[]
  escalation: readonly EscalationStep[]
  /** Plant names by id, for the text. */
  plantNames: ReadonlyMap<string, string>
  now: number
}

const minutes = 60_000

/** The runbook asks for the review within 48 hours of resolution. */
export const reviewWithinHours = 48

/** "2026-11-22 08:04 UTC". */
export function formatUtcDateTime(at: number): string {
  const date = new Date(at)
  return Number.isNaN(date.getTime())
    ? 'an unknown time'
    : `${date.toISOString().slice(0, 10)} ${formatUtcTime(at)}`
}

/** 45 min; 72 min → "1 h 12 min". Whole minutes, rounded down: a clock never claims time not passed. */
export function formatMinutes(ms: number): string {
  const total = Math.max(0, Math.floor(ms / minutes))
  if (total < 60) return `${total} min`
  const rest = total % 60
  return rest === 0 ? `${total / 60} h` : `${Math.floor(total / 60)} h ${rest} min`
}

export const plantName = (plantNames: ReadonlyMap<string, string>, plantId: string): string =>
  plantNames.get(plantId) ?? plantId

/** The built-in safety alarms of the runbook: boiler overpressure and combustion instability. */
const safetyAlarmKinds: ReadonlySet<string> = new Set(['overpressure', 'combustion-instability'])
const safetyRules: ReadonlySet<string> = new Set(['safety-pressure', 'combustion-instability'])

/**
 * Why the incident needs a safety review, empty when it does not: a safety alarm active now (when
 * conditions are given) or behind the declaration, or a life-safety consumer that lost heat.
 */
export function safetyReviewReasons(
  incident: IncidentState,
  conditions: SiteConditions | null,
): string[] {
  const reasons: string[] = []
  const alarms = (conditions?.alarms ?? []).filter((alarm) => safetyAlarmKinds.has(alarm.kind))
  if (alarms.length > 0)
    reasons.push(`safety alarm active: ${alarms.map((a) => a.message).join(', ')}`)
  if (incident.basis.kind === 'suggestion' && safetyRules.has(incident.basis.rule)) {
    reasons.push(`declared on a safety alarm: ${incident.basis.reason}`)
  }
  const lifeSafety = incident.consumers.filter(
    (consumer) => consumer.priorityClass === 'life-safety',
  )
  if (lifeSafety.length > 0) {
    reasons.push(`life-safety heat lost: ${[...new Set(lifeSafety.map((c) => c.name))].join(', ')}`)
  }
  return reasons
}

function status(incident: IncidentState): string {
  if (incident.resolved) return 'Resolved'
  return incident.mitigations.length > 0 ? 'Mitigating' : 'Investigating'
}

function heading(kind: UpdateKind, incident: IncidentState): string[] {
  const definition = severityDefinitions[incident.severity]
  const lines = incident.drill ? ['DRILL - EXERCISE ONLY, NOT A REAL INCIDENT', ''] : []
  const what = `${incident.severity} ${definition.name} incident ${incident.id}: ${incident.title}`
  const titles: Record<UpdateKind, string> = {
    initial: `NEW ${what}`,
    update: `UPDATE ${what}`,
    resolution: `RESOLVED ${what}`,
  }
  return [...lines, titles[kind]]
}

function rolesLines(roles: IncidentRoles): string[] {
  return (Object.keys(incidentRoleNames) as (keyof IncidentRoles)[]).map(
    (role) => `${incidentRoleNames[role]}: ${roles[role] ?? 'not assigned'}`,
  )
}

function heatLines(context: DraftContext): string[] {
  const { incident, conditions, plantNames } = context
  return incident.plants.map((plantId) => {
    const plant = conditions.plants.find((candidate) => candidate.id === plantId)
    const name = plantNames.get(plantId) ?? plant?.name ?? plantId
    if (!plant) return `- ${name}: not known to this console`
    if (plant.heat === null) return `- ${name}: no heat rules in the site file`
    const since = plant.heatSince === null ? '' : ` since ${formatUtcTime(plant.heatSince)}`
    const reasons = plant.heatReasons.length > 0 ? ` (${plant.heatReasons.join('; ')})` : ''
    return `- ${name}: ${plant.heat}${since}${reasons}`
  })
}

function shortConsumerLines(context: DraftContext): string[] {
  const { incident, conditions, clocks, plantNames, now } = context
  return incident.consumers
    .filter((consumer) => consumer.restoredAt === null)
    .map((consumer) => {
      const clock = clocks.consumers.find(
        (candidate) =>
          candidate.plantId === consumer.plantId &&
          candidate.unitId === consumer.unitId &&
          candidate.startAt === consumer.since,
      )
      const live = conditions.consumers.find(
        (candidate) =>
          candidate.plantId === consumer.plantId && candidate.unitId === consumer.unitId,
      )
      const parts = [
        `short since ${formatUtcTime(consumer.since)}`,
        clock
          ? clock.targetAt >= now
            ? `${formatMinutes(clock.targetAt - now)} left to restore`
            : `restoration overdue by ${formatMinutes(now - clock.targetAt)}`
          : null,
        live?.minutesToCritical === 0
          ? 'below its critical temperature'
          : typeof live?.minutesToCritical === 'number'
            ? `critical temperature in about ${Math.round(live.minutesToCritical)} min`
            : null,
      ].filter((part) => part !== null)
      const where = plantName(plantNames, consumer.plantId)
      return `- ${consumer.name} (${where}, ${priorityClassNames[consumer.priorityClass]}): ${parts.join(', ')}`
    })
}

function safetyAlarmLines(context: DraftContext): string[] {
  return context.conditions.alarms
    .filter((alarm) => safetyAlarmKinds.has(alarm.kind))
    .map((alarm) => {
      const where =
        alarm.plantId === null ? '' : `, ${plantName(context.plantNames, alarm.plantId)}`
      const acknowledged = alarm.acknowledged ? 'acknowledged' : 'not acknowledged'
      return `- ${alarm.message} (${alarm.priority}${where}), ${acknowledged}`
    })
}

function actionLines(incident: IncidentState): string[] {
  const actions = [
    ...incident.mitigations.map((mitigation) => ({
      at: mitigation.at,
      text: `mitigation started: ${mitigation.summary}`,
    })),
    ...incident.calls
      .filter((call) => call.outcome === 'reached')
      .map((call) => ({ at: call.at, text: `reached ${call.levelName} (${call.contact})` })),
  ].sort((a, b) => a.at - b.at)
  return actions.map((action) => `- ${formatUtcTime(action.at)} ${action.text}`)
}

function escalationLines(context: DraftContext): string[] {
  return context.escalation
    .filter((step) => step.state === 'due')
    .map((step) => `- ${step.name}: due since ${formatUtcTime(step.dueAt)} (${step.why})`)
}

function checklistLines(checklists: readonly EvaluatedChecklist[]): string[] {
  return checklists.map((checklist) => {
    const done = checklist.items.filter((item) => item.done).length
    return `- ${checklist.title}: ${done} of ${checklist.items.length} done`
  })
}

function exitCriteriaLines(context: DraftContext): string[] {
  const recorded = context.incident.resolved?.exitCriteria
  if (recorded) {
    return recorded.map((criterion) => `- ${criterion.label}: ${criterion.state}`)
  }
  // Drafted before the resolution is recorded: the live judgement stands in.
  const live = context.checklists.find((checklist) => checklist.id === 'exit-criteria')
  return (live?.items ?? []).map(
    (item) => `- ${item.label}: ${item.done ? 'met' : (item.state ?? 'open')}`,
  )
}

function section(title: string, lines: string[], empty: string): string[] {
  return ['', `${title}:`, ...(lines.length > 0 ? lines : [`- ${empty}`])]
}

function nextUpdateLine(incident: IncidentState, now: number): string {
  const every = severityDefinitions[incident.severity].updateEveryMinutes
  if (every === null) return `Next update: none scheduled at ${incident.severity}`
  return `Next update: by ${formatUtcTime(now + every * minutes)} (every ${every} min until resolved)`
}

export function draftStatusUpdate(kind: UpdateKind, context: DraftContext): string {
  const { incident, now } = context
  const lines = heading(kind, context.incident)
  if (kind === 'resolution') {
    const endedAt = incident.resolved?.at ?? now
    lines.push(
      `Duration: ${formatMinutes(endedAt - incident.startedAt)} (started ${formatUtcDateTime(incident.startedAt)}, resolved ${formatUtcDateTime(endedAt)})`,
      `Summary: ${incident.resolved?.summary || 'to be written'}`,
      ...section('Exit criteria', exitCriteriaLines(context), 'none recorded'),
    )
    if (incident.resolved?.openCriteriaReason) {
      lines.push(`Resolved with criteria open because: ${incident.resolved.openCriteriaReason}`)
    }
    lines.push(...section('Heat status now', heatLines(context), 'no plants named'))
    lines.push(...section('Actions taken', actionLines(incident), 'none recorded'))
    const safety = safetyReviewReasons(incident, context.conditions)
    const reviewBy = formatUtcDateTime(endedAt + reviewWithinHours * 60 * minutes)
    lines.push(
      '',
      'Follow-up:',
      `- Post-incident review to be held by ${reviewBy} (within ${reviewWithinHours} hours)`,
      safety.length > 0
        ? `- Safety review required: ${safety.join('; ')}`
        : '- Safety review not required',
    )
    return lines.join('\n')
  }
  lines.push(
    `Status: ${status(incident)}`,
    `Started: ${formatUtcDateTime(incident.startedAt)}, ${formatMinutes(now - incident.startedAt)} ago`,
    ...rolesLines(incident.roles),
    ...section('Heat status', heatLines(context), 'no plants named'),
    ...section('Consumers short of heat', shortConsumerLines(context), 'none'),
    ...section('Safety alarms active', safetyAlarmLines(context), 'none'),
    ...section('Actions so far', actionLines(incident), 'none yet'),
    ...section('Still to reach', escalationLines(context), 'nobody'),
    ...section('Checklists', checklistLines(context.checklists), 'none'),
    '',
    nextUpdateLine(incident, now),
  )
  return lines.join('\n')
}
