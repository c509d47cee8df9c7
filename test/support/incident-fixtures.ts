import type { JournalEvent } from '../../src/shared/journal/event'
import type { EvaluatedChecklist } from '../../src/shared/incidents/checklists'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import type {
  IncidentEventDataOf,
  IncidentEventType,
  IncidentReview,
  IncidentState,
} from '../../src/shared/incidents/model'
import { reduceIncidents } from '../../src/shared/incidents/reducer'

// Builders for incident tests: a site in good order to change one thing at a time, and journal
// events as the backend writes them (hashes are not checked by the reducer, so they are dummies).

export const t0 = Date.parse('2026-11-22T08:00:00.000Z')
export const minute = 60_000

const plantIds = ['plant-001', 'plant-002', 'plant-003'] as const

/** Three plants, all normal, every source answering, no alarms, distribution on target. */
export function siteConditions(changes: Partial<SiteConditions> = {}): SiteConditions {
  return {
    at: t0,
    plants: plantIds.map((id, index) => ({
      id,
      name: `Plant 00${index + 1}`,
      heat: 'normal',
      heatSince: t0 - 3_600_000,
      heatReasons: [],
      sourceIds: [`source-${index + 1}`],
    })),
    sources: plantIds.map((_, index) => ({
      id: `source-${index + 1}`,
      answering: true,
      connecting: false,
      since: t0 - 3_600_000,
    })),
    boilers: plantIds.map((plantId) => ({
      plantId,
      unitId: 'boiler-1',
      name: 'Boiler 1',
      tagId: `${plantId}.boiler-1.pressure`,
      pressure: 10.2,
      safetyValveSetpoint: 16,
    })),
    consumers: plantIds.map((plantId) => ({
      plantId,
      unitId: 'consumer-hospital-hvac',
      name: 'Hospital HVAC',
      priorityClass: 'life-safety',
      tagId: `${plantId}.consumer-hospital-hvac.supply-temperature`,
      state: 'normal',
      value: 82,
      degradedBelow: 75,
      lostBelow: 60,
      minutesToCritical: null,
    })),
    alarms: [],
    distribution: plantIds.map((plantId) => ({
      plantId,
      reference: 'target',
      deviationPercent: 2,
      worstTagId: `${plantId}.consumer-hospital-hvac.valve`,
    })),
    ...changes,
  }
}

/** The same conditions with some plants' heat status set. */
export function withHeat(
  conditions: SiteConditions,
  heat: Record<string, SiteConditions['plants'][number]['heat']>,
): SiteConditions {
  return {
    ...conditions,
    plants: conditions.plants.map((plant) =>
      plant.id in heat
        ? { ...plant, heat: heat[plant.id] ?? null, heatReasons: [`header low`] }
        : plant,
    ),
  }
}

let nextSeq = 1

/** One journal event as the backend would append it. */
export function journalEvent(
  type: string,
  data: Record<string, unknown>,
  options: { at: number; incidentId?: string | null; actor?: string; seq?: number },
): JournalEvent {
  const seq = options.seq ?? nextSeq++
  return {
    id: `01890000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    ts: new Date(options.at).toISOString(),
    type,
    incidentId: options.incidentId ?? null,
    actor: options.actor ?? 'operator',
    data,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  }
}

export const incidentIdOf = 'INC-20261122-001-7F3A9C'

/** An incident event of the given type for `incidentIdOf` (or another id). */
export function incidentEvent<T extends IncidentEventType>(
  type: T,
  data: IncidentEventDataOf<T>,
  at: number,
  incidentId = incidentIdOf,
  actor = 'operator',
): JournalEvent {
  return journalEvent(type, data as Record<string, unknown>, { at, incidentId, actor })
}

/** A P0 declaration of plants 001–003 at t0 + 2 min, detected at t0, declared from a suggestion. */
export function declaration(
  changes: Partial<IncidentEventDataOf<'incident.declared'>> = {},
  at = t0 + 2 * minute,
  incidentId = incidentIdOf,
): JournalEvent {
  return incidentEvent(
    'incident.declared',
    {
      severity: 'P0',
      title: 'Multi-plant heat loss',
      plants: ['plant-001', 'plant-002', 'plant-003'],
      roles: {
        commander: 'A. Operator',
        technicalLead: null,
        communicationsLead: null,
        scribe: null,
      },
      basis: {
        kind: 'suggestion',
        suggestionId: 'multi-plant-heat-loss:site',
        rule: 'multi-plant-heat-loss',
        suggestedSeverity: 'P0',
        reason: '3 plants have lost heat',
        confirmed: true,
        overrideReason: null,
      },
      startedAt: t0,
      detectedAt: t0,
      acknowledgedAt: at,
      drill: false,
      consoleId: 'console-a-7f3a9c21',
      ...changes,
    },
    at,
    incidentId,
  )
}

/** The state the reducer derives from these events, for the one incident they describe. */
export function incidentFrom(events: readonly JournalEvent[]): IncidentState {
  const incidents = [...reduceIncidents(events).values()]
  if (incidents.length !== 1) throw new Error(`expected one incident, got ${incidents.length}`)
  return incidents[0]!
}

/** Plant names by id as the site file would give them, different from the conditions' names. */
export const plantNames: ReadonlyMap<string, string> = new Map([
  ['plant-001', 'North Works'],
  ['plant-002', 'South Works'],
  ['plant-003', 'Harbour Works'],
])

/** A checklist as evaluateChecklists would return it: ticked items, `done` says which are ticked. */
export function evaluatedChecklist(
  id: EvaluatedChecklist['id'],
  title: string,
  done: readonly boolean[],
): EvaluatedChecklist {
  return {
    id,
    title,
    when: 'first 10 minutes',
    items: done.map((isDone, index) => ({
      id: `item-${index + 1}`,
      label: `Item ${index + 1}`,
      judged: false,
      state: null,
      evidence: null,
      tick: isDone ? { done: true, at: t0, by: 'operator', note: '' } : null,
      done: isDone,
    })),
  }
}

/** A review with every section empty, to fill in one field at a time. */
export const emptyReview: IncidentReview = {
  summary: '',
  impact: '',
  timeline: '',
  rootCause: '',
  contributingFactors: '',
  whyNotCaught: '',
  wentWell: '',
  wentPoorly: '',
  actionItems: [],
  preventiveShortTerm: '',
  preventiveLongTerm: '',
  approvals: [],
}
