import { z } from 'zod'
import { alarmPrioritySchema } from '../alarms/definitions'
import { formatDuration } from '../drills/debrief'
import type { JournalEvent } from '../journal/event'
import { priorityClassNames, heatRestorationMinutes } from '../heat/priority-class'
import {
  callOutcomeNames,
  incidentEventData,
  incidentRoleNames,
  suggestionEventData,
  type CheckState,
  type IncidentRoles,
} from './model'
import { compareSeverity } from './severity'

/** A live item's judgement as the operator reads it. */
const judgementWords: Record<CheckState, string> = {
  met: 'now met',
  'not-met': 'now not met',
  unknown: 'cannot be judged now',
}

// One ordered story of an incident: alarms, heat status, connection changes, control writes,
// checklist ticks, calls, status updates and notes, from the journal events of the incident's window.

export const timelineCategories = [
  'incident',
  'alarm',
  'heat',
  'connection',
  'write',
  'checklist',
  'call',
  'update',
  'note',
  'drill',
] as const
export const timelineCategorySchema = z.enum(timelineCategories)
export type TimelineCategory = z.infer<typeof timelineCategorySchema>

export type TimelineEntry = {
  seq: number
  /** ms since the epoch. */
  at: number
  category: TimelineCategory
  /** What happened, in one line of the operator's words. */
  text: string
  actor: string
  type: string
  incidentId: string | null
}

/** "08:04 UTC": times in the record read the same on every console, whatever its locale. */
export function formatUtcTime(at: number): string {
  const date = new Date(at)
  // toISOString throws on a time out of range; a bad figure in old data must not break a view.
  return Number.isNaN(date.getTime())
    ? 'an unknown time'
    : `${date.toISOString().slice(11, 16)} UTC`
}

const list = (items: readonly string[]): string => (items.length > 0 ? items.join(', ') : 'none')

/** "heat-restoration" → "Heat restoration": checklist ids as the operator reads them. */
const readable = (id: string): string => {
  const words = id.replaceAll('-', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

const withDetail = (text: string, detail: string | null | undefined): string =>
  detail ? `${text} — ${detail}` : text

// Other features write these events; the timeline reads only the fields it words, loosely, so a field
// added later does not hide the event, and a missing one falls back to the generic label.
const alarmTransitionData = z.object({
  message: z.string(),
  priority: alarmPrioritySchema,
  reason: z.string().nullable().optional(),
  until: z.number().nullable().optional(),
  comment: z.string().nullable().optional(),
})
const floodData = z.object({
  countInWindow: z.number(),
  threshold: z.number(),
  windowMinutes: z.number(),
  durationMs: z.number().nullable(),
})
const heatData = z.object({
  plantId: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  reasons: z.array(z.string()).optional(),
})
const connectionData = z.object({
  sourceId: z.string(),
  reason: z.string().nullable().optional(),
  outageMs: z.number().nullable().optional(),
})
const writeData = z.object({
  tagId: z.string(),
  value: z.unknown(),
  ok: z.boolean(),
  message: z.string().nullable().optional(),
})
const drillStartedData = z.object({
  scenarioId: z.string(),
  severity: z.string(),
  startedBy: z.string().optional(),
})
const drillStepData = z.object({
  atSeconds: z.number(),
  action: z.enum(['fault', 'clear']),
  faultId: z.string(),
  error: z.string().nullable(),
})
const drillEndedData = z.object({
  status: z.enum(['finished', 'stopped']),
  debrief: z.array(z.object({ outcome: z.string() })),
})

type Wording = {
  category: TimelineCategory
  /** The text when the data cannot be read. */
  label: string
  /** The full text, or null when the data is not what the wording expects. */
  describe: (data: unknown) => string | null
}

const wording = <S extends z.ZodType>(
  category: TimelineCategory,
  label: string,
  schema: S,
  text: (data: z.infer<S>) => string,
): Wording => ({
  category,
  label,
  describe: (data) => {
    const parsed = schema.safeParse(data)
    return parsed.success ? text(parsed.data) : null
  },
})

const alarm = (label: string, describe: (data: z.infer<typeof alarmTransitionData>) => string) =>
  wording('alarm', label, alarmTransitionData, describe)

const alarmLine =
  (verb: string, detail?: (data: z.infer<typeof alarmTransitionData>) => string | null) =>
  (data: z.infer<typeof alarmTransitionData>): string =>
    withDetail(`${verb} (${data.priority}): ${data.message}`, detail?.(data))

const rolesText = (roles: IncidentRoles): string =>
  (Object.keys(incidentRoleNames) as (keyof IncidentRoles)[])
    .flatMap((role) => {
      const person = roles[role]
      return person ? [`${incidentRoleNames[role].toLowerCase()} ${person}`] : []
    })
    .join(', ')

const wordings: Record<string, Wording> = {
  'alarm.raised': alarm('Alarm raised', alarmLine('Alarm raised')),
  'alarm.acknowledged': alarm('Alarm acknowledged', alarmLine('Alarm acknowledged')),
  'alarm.returned': alarm(
    'Alarm returned to normal unacknowledged',
    alarmLine('Alarm returned to normal, not yet acknowledged'),
  ),
  'alarm.cleared': alarm('Alarm cleared', alarmLine('Alarm cleared')),
  'alarm.shelved': alarm(
    'Alarm shelved',
    alarmLine('Alarm shelved', (data) =>
      [data.until ? `until ${formatUtcTime(data.until)}` : null, data.reason]
        .filter(Boolean)
        .join(': '),
    ),
  ),
  'alarm.unshelved': alarm(
    'Alarm unshelved',
    alarmLine('Alarm unshelved', (data) => data.reason ?? null),
  ),
  'alarm.suppressed': alarm('Alarm suppressed', alarmLine('Alarm suppressed')),
  'alarm.unsuppressed': alarm(
    'Alarm no longer suppressed',
    alarmLine('Alarm no longer suppressed'),
  ),
  'alarm.out-of-service': alarm(
    'Alarm taken out of service',
    alarmLine('Alarm taken out of service', (data) => data.reason ?? null),
  ),
  'alarm.in-service': alarm('Alarm back in service', alarmLine('Alarm back in service')),
  'alarm.commented': alarm(
    'Alarm comment',
    alarmLine('Alarm comment', (data) => data.comment ?? null),
  ),
  'alarm.flood-started': wording(
    'alarm',
    'Alarm flood began',
    floodData,
    (data) =>
      `Alarm flood began: ${data.countInWindow} alarms in ${data.windowMinutes} min (more than ${data.threshold} is a flood)`,
  ),
  'alarm.flood-ended': wording('alarm', 'Alarm flood ended', floodData, (data) =>
    data.durationMs === null
      ? 'Alarm flood ended'
      : `Alarm flood ended after ${formatDuration(Math.round(data.durationMs / 1000))}`,
  ),
  'heat.status-changed': wording('heat', 'Heat status changed', heatData, (data) =>
    withDetail(
      `Heat at ${data.plantId}: ${data.from ?? 'not known'} to ${data.to}`,
      data.reasons?.join('; '),
    ),
  ),
  'source.lost': wording('connection', 'Source lost', connectionData, (data) =>
    withDetail(`Source ${data.sourceId} lost`, data.reason),
  ),
  'source.restored': wording('connection', 'Source restored', connectionData, (data) =>
    typeof data.outageMs === 'number'
      ? `Source ${data.sourceId} answering again after ${formatDuration(Math.round(data.outageMs / 1000))}`
      : `Source ${data.sourceId} answering again`,
  ),
  'control.written': wording('write', 'Control write', writeData, (data) =>
    data.ok
      ? withDetail(`Wrote ${JSON.stringify(data.value)} to ${data.tagId}`, data.message)
      : withDetail(`Write of ${JSON.stringify(data.value)} to ${data.tagId} failed`, data.message),
  ),
  'drill.started': wording('drill', 'Drill started', drillStartedData, (data) =>
    [`Drill started: scenario ${data.scenarioId} (${data.severity})`, data.startedBy]
      .filter(Boolean)
      .join(' by '),
  ),
  'drill.step': wording('drill', 'Drill step', drillStepData, (data) =>
    withDetail(
      `Drill ${data.action === 'fault' ? 'fault injected' : 'fault cleared'}: ${data.faultId} at ${formatDuration(Math.round(data.atSeconds))}`,
      data.error ? `refused: ${data.error}` : null,
    ),
  ),
  'drill.ended': wording('drill', 'Drill ended', drillEndedData, (data) => {
    const met = data.debrief.filter((row) => row.outcome === 'met').length
    const targets = data.debrief.length
    return `Drill ${data.status}: ${met} of ${targets} runbook targets met`
  }),
  'incident.declared': wording(
    'incident',
    'Incident declared',
    incidentEventData['incident.declared'],
    (data) =>
      `${data.severity}${data.drill ? ' drill' : ''} declared: ${data.title} (plants ${list(data.plants)}) by ${data.roles.commander}`,
  ),
  'incident.severity-changed': wording(
    'incident',
    'Severity changed',
    incidentEventData['incident.severity-changed'],
    (data) =>
      withDetail(
        `Severity ${compareSeverity(data.to, data.from) < 0 ? 'raised' : 'lowered'} from ${data.from} to ${data.to}`,
        data.reason,
      ),
  ),
  'incident.roles-assigned': wording(
    'incident',
    'Roles assigned',
    incidentEventData['incident.roles-assigned'],
    (data) => `Roles: ${rolesText(data.roles)}`,
  ),
  'incident.plants-changed': wording(
    'incident',
    'Affected plants changed',
    incidentEventData['incident.plants-changed'],
    (data) => `Affected plants now ${list(data.plants)}`,
  ),
  'incident.mitigation-started': wording(
    'incident',
    'Mitigation started',
    incidentEventData['incident.mitigation-started'],
    (data) => `Mitigation started: ${data.summary}`,
  ),
  'incident.call-recorded': wording(
    'call',
    'Call recorded',
    incidentEventData['incident.call-recorded'],
    (data) =>
      withDetail(
        `Call to ${data.levelName} (${data.contact}): ${callOutcomeNames[data.outcome]}`,
        data.note,
      ),
  ),
  'incident.check-ticked': wording(
    'checklist',
    'Checklist item ticked',
    incidentEventData['incident.check-ticked'],
    (data) =>
      withDetail(
        `${readable(data.checklistId)}: ${data.label} ${data.done ? 'done' : 'no longer done'}`,
        data.note,
      ),
  ),
  'incident.check-evaluated': wording(
    'checklist',
    'Checklist item judged',
    incidentEventData['incident.check-evaluated'],
    (data) =>
      withDetail(
        `${readable(data.checklistId)}: ${data.label}: ${judgementWords[data.state]}`,
        data.evidence,
      ),
  ),
  'incident.update-sent': wording(
    'update',
    'Status update sent',
    incidentEventData['incident.update-sent'],
    (data) => `Status update sent (${data.kind})`,
  ),
  'incident.note-added': wording(
    'note',
    'Note',
    incidentEventData['incident.note-added'],
    (data) => `Note: ${data.text}`,
  ),
  'incident.consumer-short': wording(
    'incident',
    'Consumer short of heat',
    incidentEventData['incident.consumer-short'],
    (data) =>
      `${data.name} at ${data.plantId} short of heat (${priorityClassNames[data.priorityClass]}: heat back within ${heatRestorationMinutes[data.priorityClass]} min)`,
  ),
  'incident.consumer-restored': wording(
    'incident',
    'Consumer has heat again',
    incidentEventData['incident.consumer-restored'],
    (data) => `Heat back for ${data.unitId} at ${data.plantId}`,
  ),
  'incident.resolved': wording(
    'incident',
    'Incident resolved',
    incidentEventData['incident.resolved'],
    (data) => {
      const open = data.exitCriteria.filter((criterion) => criterion.state !== 'met').length
      const text = `Resolved: ${data.summary}`
      return open === 0
        ? text
        : withDetail(`${text} (${open} exit criteria not met)`, data.openCriteriaReason)
    },
  ),
  'incident.review-saved': wording(
    'incident',
    'Post-incident review saved',
    incidentEventData['incident.review-saved'],
    () => 'Post-incident review saved',
  ),
  'incident.suggestion-raised': wording(
    'incident',
    'Incident suggested',
    suggestionEventData['incident.suggestion-raised'],
    (data) => withDetail(`${data.severity} suggested: ${data.title}`, data.reason),
  ),
  'incident.suggestion-cleared': wording(
    'incident',
    'Suggestion no longer applies',
    suggestionEventData['incident.suggestion-cleared'],
    (data) => `Suggestion no longer applies: ${data.suggestionId}`,
  ),
  'incident.suggestion-dismissed': wording(
    'incident',
    'Suggestion dismissed',
    suggestionEventData['incident.suggestion-dismissed'],
    (data) => withDetail(`Suggestion dismissed: ${data.suggestionId}`, data.reason),
  ),
}

/** The entry an event makes, or null for events the timeline leaves out (sync, housekeeping). */
export function timelineEntry(event: JournalEvent): TimelineEntry | null {
  if (!Object.hasOwn(wordings, event.type)) return null
  const { category, label, describe } = wordings[event.type]!
  return {
    seq: event.seq,
    at: Date.parse(event.ts),
    category,
    text: describe(event.data) ?? label,
    actor: event.actor,
    type: event.type,
    incidentId: event.incidentId,
  }
}

/** A critical alarm raised: the only alarm entries a review's key timeline keeps. */
export const isCriticalAlarmRaised = (entry: TimelineEntry): boolean =>
  entry.type === 'alarm.raised' && entry.text.startsWith('Alarm raised (critical)')
