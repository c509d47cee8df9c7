import { heatRestorationMinutes, priorityClassNames } from '../heat/priority-class'
import type { Clock, IncidentClocks } from './clocks'
import { formatMinutes, formatUtcDateTime, plantName, safetyReviewReasons } from './drafts'
import type { EscalationStep } from './escalation'
import type { IncidentReview, IncidentState } from './model'
import { severityDefinitions } from './severity'
import { formatUtcTime, isCriticalAlarmRaised, type TimelineEntry } from './timeline'

// The post-incident review draft (runbook "Post-Incident Review"): what the record already knows is
// filled in, the rest is left for the people in the review meeting.

export type ReviewContext = {
  incident: IncidentState
  clocks: IncidentClocks
  escalation: readonly EscalationStep[]
  timeline: readonly TimelineEntry[]
  plantNames: ReadonlyMap<string, string>
}

/** Longer timelines keep their start and end; the full one stays in the incident's record. */
export const reviewTimelineLines = 40
const keptFromEnd = 10

const minutes = 60_000

const bullets = (lines: readonly string[]): string => lines.map((line) => `- ${line}`).join('\n')

const plantList = (incident: IncidentState, plantNames: ReadonlyMap<string, string>): string =>
  incident.plants.length > 0
    ? incident.plants.map((plantId) => plantName(plantNames, plantId)).join(', ')
    : 'none named'

function summary({ incident, plantNames }: ReviewContext): string {
  const definition = severityDefinitions[incident.severity]
  const lines = [
    `${incident.drill ? 'Drill: ' : ''}${incident.severity} (${definition.name}) incident ${incident.id}, "${incident.title}", affecting ${plantList(incident, plantNames)}.`,
    `Started ${formatUtcDateTime(incident.startedAt)}, detected ${formatUtcDateTime(incident.detectedAt)}, declared ${formatUtcDateTime(incident.declaredAt)} with ${incident.roles.commander} as incident commander.`,
    incident.resolved
      ? `Resolved ${formatUtcDateTime(incident.resolved.at)} after ${formatMinutes(incident.resolved.at - incident.startedAt)}: ${incident.resolved.summary}`
      : 'Not resolved yet.',
  ]
  return lines.join('\n')
}

function impact({ incident, plantNames }: ReviewContext): string {
  const end = incident.resolved?.at ?? null
  const consumers = incident.consumers.map((consumer) => {
    const what = `${consumer.name} (${plantName(plantNames, consumer.plantId)}, ${priorityClassNames[consumer.priorityClass]})`
    if (consumer.restoredAt !== null) {
      return `${what}: ${formatMinutes(consumer.restoredAt - consumer.since)} without heat, ${formatUtcTime(consumer.since)} to ${formatUtcTime(consumer.restoredAt)}`
    }
    return end === null
      ? `${what}: without heat since ${formatUtcTime(consumer.since)}`
      : `${what}: at least ${formatMinutes(end - consumer.since)} without heat, from ${formatUtcTime(consumer.since)}; no return of heat recorded before resolution`
  })
  const safety = safetyReviewReasons(incident, null)
  return [
    `Plants affected: ${plantList(incident, plantNames)}`,
    'Heat loss by consumer:',
    consumers.length > 0 ? bullets(consumers) : '- no consumer recorded short of heat',
    `Safety impact: ${safety.length > 0 ? `yes (${safety.join('; ')})` : 'no'}`,
  ].join('\n')
}

const keyCategories: ReadonlySet<string> = new Set(['incident', 'call', 'update', 'heat'])

/** "T+4m", counted from detection as the runbook's review timeline is. */
function offset(at: number, detectedAt: number): string {
  const elapsed = Math.floor((at - detectedAt) / minutes)
  return elapsed < 0 ? `T${elapsed}m` : `T+${elapsed}m`
}

function timeline({ incident, timeline }: ReviewContext): string {
  const lines = timeline
    .filter((entry) => keyCategories.has(entry.category) || isCriticalAlarmRaised(entry))
    .toSorted((a, b) => a.at - b.at || a.seq - b.seq)
    .map((entry) => `${offset(entry.at, incident.detectedAt)}  ${entry.text}`)
  if (lines.length <= reviewTimelineLines) return lines.join('\n')
  const head = lines.slice(0, reviewTimelineLines - keptFromEnd - 1)
  const tail = lines.slice(-keptFromEnd)
  const left = lines.length - head.length - tail.length
  return [...head, `… ${left} more entries in the incident's full timeline`, ...tail].join('\n')
}

type Judged = { well: string[]; poorly: string[] }

function judgeResponseClock(
  clock: Clock | null,
  what: string,
  end: number | null,
  judged: Judged,
): void {
  if (!clock) return
  const target = formatMinutes(clock.targetAt - clock.startAt)
  if (clock.doneAt === null) {
    if (end !== null && end > clock.targetAt) judged.poorly.push(`${what}: never recorded`)
    return
  }
  const took = `${what} after ${formatMinutes(clock.doneAt - clock.startAt)}`
  if (clock.doneAt <= clock.targetAt) judged.well.push(`${took}, within the ${target} target`)
  else judged.poorly.push(`${took}, past the ${target} target`)
}

function wentWellAndPoorly({ incident, clocks, escalation, plantNames }: ReviewContext): Judged {
  const judged: Judged = { well: [], poorly: [] }
  const end = incident.resolved?.at ?? null
  judgeResponseClock(clocks.acknowledge, 'Acknowledged', end, judged)
  judgeResponseClock(clocks.action, 'Mitigation started', end, judged)
  for (const consumer of incident.consumers) {
    const what = `${consumer.name} (${plantName(plantNames, consumer.plantId)})`
    const target = heatRestorationMinutes[consumer.priorityClass]
    if (consumer.restoredAt === null) {
      if (end !== null) judged.poorly.push(`${what}: no return of heat recorded`)
      continue
    }
    const took = consumer.restoredAt - consumer.since
    const text = `${what}: heat back after ${formatMinutes(took)}`
    if (took <= target * minutes) judged.well.push(`${text}, within its ${target} min`)
    else judged.poorly.push(`${text}, past its ${target} min`)
  }
  for (const step of escalation) {
    const who = step.lastCall ? `${step.name} (${step.lastCall.contact})` : step.name
    if (step.state === 'reached') {
      const reachedAt = incident.calls.find(
        (call) => call.levelId === step.levelId && call.outcome === 'reached',
      )?.at
      if (reachedAt !== undefined && reachedAt > step.dueAt) {
        judged.poorly.push(`${who} reached ${formatMinutes(reachedAt - step.dueAt)} after due`)
      } else judged.well.push(`${who} reached in time`)
    } else if (step.state === 'missed') {
      judged.poorly.push(`${step.name} never reached (due ${formatUtcTime(step.dueAt)})`)
    } else if (step.state === 'due') {
      judged.poorly.push(`${step.name} not reached yet (due ${formatUtcTime(step.dueAt)})`)
    }
  }
  return judged
}

function approvals(incident: IncidentState): IncidentReview['approvals'] {
  const roles = ['Engineering manager']
  const safety = safetyReviewReasons(incident, null).length > 0
  if (safety || incident.severity === 'P0') roles.push('Plant safety officer')
  if (incident.severity === 'P0') roles.push('VP operations')
  return roles.map((role) => ({ role, name: '', approvedOn: '' }))
}

export function draftReview(context: ReviewContext): IncidentReview {
  const judged = wentWellAndPoorly(context)
  return {
    summary: summary(context),
    impact: impact(context),
    timeline: timeline(context),
    rootCause: '',
    contributingFactors: '',
    whyNotCaught: '',
    wentWell: bullets(judged.well),
    wentPoorly: bullets(judged.poorly),
    actionItems: [],
    preventiveShortTerm: '',
    preventiveLongTerm: '',
    approvals: approvals(context.incident),
  }
}
