import type { PlantInfo, TagInfo } from '../../../../shared/api/contract'
import type { Clock } from '../../../../shared/incidents/clocks'
import type { SiteConditions } from '../../../../shared/incidents/conditions'
import type { EscalationStep } from '../../../../shared/incidents/escalation'
import {
  compareSeverity,
  severityDefinitions,
  type IncidentSeverity,
} from '../../../../shared/incidents/severity'
import type {
  IncidentsStatus,
  IncidentView,
  PendingSuggestion,
} from '../../../../shared/incidents/view'

// The incident views' rules, apart from React: what counts down, what comes first, what the
// notice says in one line, which tags to trend. Times on incident screens are UTC, as in the record
// and the status updates, so two consoles in different time zones read the same figures.

const minute = 60_000

const pad = (value: number): string => String(value).padStart(2, '0')

/** HH:MM:SS UTC. */
export function utcTime(ms: number): string {
  const time = new Date(ms)
  return `${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())}`
}

/** HH:MM UTC. */
export const utcMinutes = (ms: number): string => utcTime(ms).slice(0, 5)

/** T+mm:ss from the incident's detection (minutes keep counting past 60, as a stopwatch does). */
export function sinceDetection(ms: number, detectedAt: number): string {
  const seconds = Math.round((ms - detectedAt) / 1000)
  const sign = seconds < 0 ? '−' : '+'
  const whole = Math.abs(seconds)
  return `T${sign}${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`
}

/** "4 min 10 s", "2 h 5 min": precise to the second while it matters, under ten minutes. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return minutes === 0 ? `${seconds} s` : `${minutes} min ${seconds % 60} s`
  if (minutes < 60) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

export type Countdown = { overdue: boolean; text: string }

/** Time left to a target, or how far past it: "in 4 min 10 s" or "OVERDUE 2 min". */
export function countdown(targetAt: number, now: number): Countdown {
  return now <= targetAt
    ? { overdue: false, text: `in ${duration(targetAt - now)}` }
    : { overdue: true, text: `OVERDUE ${duration(now - targetAt)}` }
}

/** What a clock shows: its countdown while it runs, or how it ended. */
export function clockText(clock: Clock, now: number): Countdown {
  if (clock.doneAt === null) return countdown(clock.targetAt, now)
  const took = duration(clock.doneAt - clock.startAt)
  return clock.doneAt <= clock.targetAt
    ? { overdue: false, text: `met in ${took}` }
    : {
        overdue: false,
        text: `late: took ${took}, ${duration(clock.doneAt - clock.targetAt)} over`,
      }
}

export type UrgentClock = { label: string; targetAt: number }

/**
 * The clock an operator must look at first: every running target of the incident (acknowledge,
 * action, each consumer, the next update), overdue ones before running ones, the nearest first.
 */
export function mostUrgentClock(view: IncidentView): UrgentClock | null {
  const { clocks } = view
  const running: UrgentClock[] = [clocks.acknowledge, clocks.action, ...clocks.consumers]
    .filter((clock): clock is Clock => clock !== null && clock.doneAt === null)
    .map((clock) => ({ label: clock.label, targetAt: clock.targetAt }))
  if (clocks.update) {
    running.push({
      label: `${clocks.update.kind} status update due`,
      targetAt: clocks.update.dueAt,
    })
  }
  // The earliest target is both the most overdue and, when none is overdue, the nearest.
  return running.sort((a, b) => a.targetAt - b.targetAt)[0] ?? null
}

/** When a suggestion must be acknowledged by: the runbook's time from when it was first seen. */
export function suggestionDueAt(suggestion: PendingSuggestion): number | null {
  const minutes = severityDefinitions[suggestion.severity].acknowledgeMinutes
  return minutes === null ? null : suggestion.since + minutes * minute
}

/** Open incidents first, most severe first (newest first within), then resolved ones newest first. */
export function sortIncidents(views: readonly IncidentView[]): IncidentView[] {
  return [...views].sort((a, b) => {
    const aResolved = a.incident.resolved
    const bResolved = b.incident.resolved
    if (!aResolved && bResolved) return -1
    if (aResolved && !bResolved) return 1
    if (aResolved && bResolved) return bResolved.at - aResolved.at
    return (
      compareSeverity(a.incident.severity, b.incident.severity) ||
      b.incident.detectedAt - a.incident.detectedAt
    )
  })
}

/**
 * An open incident on any of the suggestion's plants that is less severe than suggested: raising it
 * is the answer, not a second incident for the same trouble. The most severe such incident.
 */
export function raisableIncident(
  incidents: readonly IncidentView[],
  suggestion: PendingSuggestion,
): IncidentView | null {
  const plants = new Set(suggestion.plants)
  const candidates = incidents.filter(
    (view) =>
      view.incident.resolved === null &&
      compareSeverity(view.incident.severity, suggestion.severity) > 0 &&
      view.incident.plants.some((plant) => plants.has(plant)),
  )
  return sortIncidents(candidates)[0] ?? null
}

export type NoticeLine =
  | { kind: 'suggestion'; key: string; suggestion: PendingSuggestion; dueAt: number | null }
  | { kind: 'incident'; key: string; view: IncidentView; urgent: UrgentClock | null }

/** Lines the notice under the heat strip shows before "+N more". */
export const noticeLinesShown = 3

/**
 * The notice on every page: suggestions first (nobody has taken them up yet), most severe first,
 * then open incidents, those with an overdue clock first, then by severity.
 */
export function noticeLines(
  status: IncidentsStatus,
  now: number,
): { shown: NoticeLine[]; more: number } {
  const suggestions: NoticeLine[] = [...status.suggestions]
    .sort((a, b) => compareSeverity(a.severity, b.severity) || a.since - b.since)
    .map((suggestion) => ({
      kind: 'suggestion',
      key: `suggestion/${suggestion.id}`,
      suggestion,
      dueAt: suggestionDueAt(suggestion),
    }))
  const open = status.incidents
    .filter((view) => view.incident.resolved === null)
    .map((view) => ({ view, urgent: mostUrgentClock(view) }))
  const overdue = (urgent: UrgentClock | null): boolean => urgent !== null && urgent.targetAt < now
  open.sort(
    (a, b) =>
      Number(overdue(b.urgent)) - Number(overdue(a.urgent)) ||
      compareSeverity(a.view.incident.severity, b.view.incident.severity) ||
      (a.urgent?.targetAt ?? Infinity) - (b.urgent?.targetAt ?? Infinity),
  )
  const incidents: NoticeLine[] = open.map(({ view, urgent }) => ({
    kind: 'incident',
    key: `incident/${view.incident.id}`,
    view,
    urgent,
  }))
  const lines = [...suggestions, ...incidents]
  // "+1 more" would take the line the last item needs: show it instead.
  if (lines.length <= noticeLinesShown + 1) return { shown: lines, more: 0 }
  return { shown: lines.slice(0, noticeLinesShown), more: lines.length - noticeLinesShown }
}

/** Plant names for ids, in the site file's order; an unknown id stays as it is. */
export function plantNames(ids: readonly string[], plants: readonly PlantInfo[]): string {
  const names = new Map(plants.map((plant) => [plant.id, plant.name]))
  return ids.map((id) => names.get(id) ?? id).join(', ')
}

/**
 * What "Trend affected" draws: each affected plant's header pressure, then the supply temperature
 * of every consumer still short of heat. Only tags the site has.
 */
export function affectedTrendTags(view: IncidentView, tags: readonly TagInfo[]): string[] {
  const known = new Set(tags.map((tag) => tag.id))
  const wanted = [
    ...view.incident.plants.map((plantId) => `${plantId}.header.pressure`),
    ...view.incident.consumers
      .filter((consumer) => consumer.restoredAt === null)
      .map((consumer) => `${consumer.plantId}.${consumer.unitId}.supply-temperature`),
  ]
  return [...new Set(wanted.filter((tagId) => known.has(tagId)))]
}

/** How long a consumer has until its supply reaches critical temperature, in words. */
export function timeToCritical(
  conditions: SiteConditions | null,
  plantId: string,
  unitId: string,
): string {
  const consumer = conditions?.consumers.find(
    (known) => known.plantId === plantId && known.unitId === unitId,
  )
  if (!consumer) return 'no estimate: not watched'
  const minutes = consumer.minutesToCritical
  // null is "not falling" or "too little trend yet": the estimate does not say which.
  if (minutes === null) return 'no estimate: not falling, or too little trend yet'
  if (minutes <= 0) return 'critical now'
  if (minutes < 1) return 'critical in under 1 min'
  return `critical in ~${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min`
}

const stepOrder: Record<EscalationStep['state'], number> = {
  due: 0,
  upcoming: 1,
  missed: 2,
  reached: 3,
}

/** Who to call now first, then who comes next; levels already reached last. */
export const escalationOrder = (steps: readonly EscalationStep[]): EscalationStep[] =>
  [...steps].sort((a, b) => stepOrder[a.state] - stepOrder[b.state] || a.dueAt - b.dueAt)

/**
 * "HH:MM" (UTC) as ms: today, or yesterday when that time has not come yet today (the trouble
 * began before midnight). null when it is not a time.
 */
export function parseUtcTime(text: string, now: number): number | null {
  const match = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text)
  if (!match) return null
  const hours = Number(match[1])
  const minutes = Number(match[2])
  if (hours > 23 || minutes > 59) return null
  const day = new Date(now)
  const at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hours, minutes)
  return at > now ? at - 24 * 60 * minute : at
}

/** A figure in minutes for the metrics, or a dash when there is none. */
export const minutesFigure = (minutes: number | null): string =>
  minutes === null ? '—' : `${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min`

/** A share (0–1) as a percentage, or a dash when no incident had the target. */
export const shareFigure = (share: number | null): string =>
  share === null ? '—' : `${Math.round(share * 100)} %`

export const firstLine = (text: string): string => text.split('\n', 1)[0] ?? ''

/** The severity in words beside its badge: "P0 Critical". */
export const severityLabel = (severity: IncidentSeverity): string =>
  `${severity} ${severityDefinitions[severity].name}`
