import type { JournalEvent } from '../journal/event'
import {
  checkKey,
  incidentEventData,
  isIncidentEventType,
  type IncidentEventDataOf,
  type IncidentEventType,
  type IncidentState,
} from './model'

// Incident state is a fold over the incident's journal events, in seq order. Nothing else feeds it:
// that is what makes a restart, a second console or a report show the same incident.
//
//   (none) ──declared──▶ open ──resolved──▶ resolved
//                         │ ▲                 │
//                         └─┘ everything else └─ review-saved, notes (the record stays editable)

/** An event the reducer cannot read; the caller decides whether to log it or fail. */
export class IncidentEventError extends Error {
  constructor(
    readonly event: Pick<JournalEvent, 'seq' | 'type' | 'incidentId'>,
    message: string,
  ) {
    super(
      `journal event ${event.seq} (${event.type}, ${event.incidentId ?? 'no incident'}): ${message}`,
    )
  }
}

function dataOf<T extends IncidentEventType>(type: T, event: JournalEvent): IncidentEventDataOf<T> {
  const parsed = incidentEventData[type].safeParse(event.data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new IncidentEventError(event, `${issue?.path.join('.') || 'data'}: ${issue?.message}`)
  }
  return parsed.data as IncidentEventDataOf<T>
}

const timeOf = (event: JournalEvent): number => Date.parse(event.ts)

/**
 * Applies one event to the incident it belongs to. `state` is null before the declaration; events
 * that are not incident events are returned unchanged, so a caller can feed a mixed stream.
 */
export function applyIncidentEvent(
  state: IncidentState | null,
  event: JournalEvent,
): IncidentState | null {
  if (!isIncidentEventType(event.type)) return state
  const at = timeOf(event)
  const by = event.actor
  const type: IncidentEventType = event.type
  if (type === 'incident.declared') {
    if (state) throw new IncidentEventError(event, 'the incident was already declared')
    if (!event.incidentId) throw new IncidentEventError(event, 'a declaration needs an incident id')
    const data = dataOf(type, event)
    return {
      id: event.incidentId,
      severity: data.severity,
      title: data.title,
      plants: data.plants,
      roles: data.roles,
      basis: data.basis,
      drill: data.drill,
      consoleId: data.consoleId,
      declaredAt: at,
      declaredBy: by,
      startedAt: data.startedAt,
      detectedAt: data.detectedAt,
      acknowledgedAt: data.acknowledgedAt,
      severityChanges: [],
      mitigations: [],
      calls: [],
      ticks: {},
      evaluations: {},
      updates: [],
      notes: [],
      consumers: [],
      resolved: null,
      review: null,
      lastSeq: event.seq,
    }
  }
  if (!state) throw new IncidentEventError(event, 'no declaration comes before it')
  if (event.incidentId !== state.id) {
    throw new IncidentEventError(event, `it belongs to ${event.incidentId}, not ${state.id}`)
  }
  const next: IncidentState = { ...state, lastSeq: event.seq }
  switch (type) {
    case 'incident.severity-changed': {
      const data = dataOf(type, event)
      next.severity = data.to
      next.severityChanges = [...state.severityChanges, { at, by, ...data }]
      return next
    }
    case 'incident.roles-assigned':
      next.roles = dataOf(type, event).roles
      return next
    case 'incident.plants-changed':
      next.plants = dataOf(type, event).plants
      return next
    case 'incident.mitigation-started':
      next.mitigations = [...state.mitigations, { at, by, ...dataOf(type, event) }]
      return next
    case 'incident.call-recorded':
      next.calls = [...state.calls, { at, by, ...dataOf(type, event) }]
      return next
    case 'incident.check-ticked': {
      const { checklistId, itemId, done, note } = dataOf(type, event)
      next.ticks = { ...state.ticks, [checkKey(checklistId, itemId)]: { at, by, done, note } }
      return next
    }
    case 'incident.check-evaluated': {
      const { checklistId, itemId, state: checked, evidence } = dataOf(type, event)
      next.evaluations = {
        ...state.evaluations,
        [checkKey(checklistId, itemId)]: { at, state: checked, evidence },
      }
      return next
    }
    case 'incident.update-sent':
      next.updates = [...state.updates, { at, by, ...dataOf(type, event) }]
      return next
    case 'incident.note-added':
      next.notes = [...state.notes, { at, by, ...dataOf(type, event) }]
      return next
    case 'incident.consumer-short': {
      const data = dataOf(type, event)
      // A consumer short again after its heat came back starts a new clock; one still short keeps its.
      const open = state.consumers.some(
        (consumer) =>
          consumer.plantId === data.plantId &&
          consumer.unitId === data.unitId &&
          consumer.restoredAt === null,
      )
      if (!open) next.consumers = [...state.consumers, { ...data, restoredAt: null }]
      return next
    }
    case 'incident.consumer-restored': {
      const { plantId, unitId } = dataOf(type, event)
      next.consumers = state.consumers.map((consumer) =>
        consumer.plantId === plantId && consumer.unitId === unitId && consumer.restoredAt === null
          ? { ...consumer, restoredAt: at }
          : consumer,
      )
      return next
    }
    case 'incident.resolved':
      if (state.resolved) throw new IncidentEventError(event, 'the incident was already resolved')
      next.resolved = { at, by, ...dataOf(type, event) }
      return next
    case 'incident.review-saved':
      next.review = {
        at,
        by,
        review: dataOf(type, event).review,
        version: (state.review?.version ?? 0) + 1,
      }
      return next
    default: {
      const unhandled: never = type
      throw new IncidentEventError(event, `unhandled type ${String(unhandled)}`)
    }
  }
}

/** Every incident in a stream of journal events (any order of incidents, seq order within each). */
export function reduceIncidents(events: Iterable<JournalEvent>): Map<string, IncidentState> {
  const incidents = new Map<string, IncidentState>()
  for (const event of events) {
    if (!event.incidentId || !isIncidentEventType(event.type)) continue
    const state = applyIncidentEvent(incidents.get(event.incidentId) ?? null, event)
    if (state) incidents.set(state.id, state)
  }
  return incidents
}

/** Resolved incidents stay editable (review, notes) but take no more operational changes. */
export const acceptsAfterResolution: ReadonlySet<IncidentEventType> = new Set([
  'incident.review-saved',
  'incident.note-added',
  'incident.update-sent',
])
