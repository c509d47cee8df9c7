import { describe, expect, it } from 'vitest'
import type { TagInfo } from '../../src/shared/api/contract'
import { incidentClocks } from '../../src/shared/incidents/clocks'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import type { EscalationStep } from '../../src/shared/incidents/escalation'
import type { IncidentMetrics } from '../../src/shared/incidents/metrics'
import type { IncidentState } from '../../src/shared/incidents/model'
import type { IncidentSeverity } from '../../src/shared/incidents/severity'
import type {
  IncidentsStatus,
  IncidentView,
  PendingSuggestion,
} from '../../src/shared/incidents/view'
import {
  affectedTrendTags,
  clockText,
  countdown,
  duration,
  escalationOrder,
  minutesFigure,
  mostUrgentClock,
  noticeLines,
  parseUtcTime,
  plantNames,
  raisableIncident,
  shareFigure,
  sinceDetection,
  sortIncidents,
  suggestionDueAt,
  timeToCritical,
  utcMinutes,
  utcTime,
} from '../../src/renderer/src/views/incidents/incident-view'

// The incident views' rules: what counts down and how it reads, what the notice puts first, which
// incident a suggestion would raise, which tags "Trend affected" draws.

const t0 = Date.parse('2026-11-22T08:00:00.000Z')
const minute = 60_000

function incident(changes: Partial<IncidentState> = {}): IncidentState {
  return {
    id: 'INC-20261122-001-7F3A9C',
    severity: 'P1',
    title: 'Plant 001 without heat',
    plants: ['plant-001'],
    roles: { commander: 'Ana', technicalLead: null, communicationsLead: null, scribe: null },
    basis: { kind: 'operator' },
    drill: false,
    consoleId: 'console-1',
    declaredAt: t0 + 2 * minute,
    declaredBy: 'operator',
    startedAt: t0,
    detectedAt: t0,
    acknowledgedAt: t0 + 2 * minute,
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
    lastSeq: 1,
    ...changes,
  }
}

const view = (state: IncidentState): IncidentView => ({
  incident: state,
  clocks: incidentClocks(state),
  escalation: [],
  checklists: [],
})

function suggestion(changes: Partial<PendingSuggestion> = {}): PendingSuggestion {
  return {
    id: 'multi-plant-heat-loss:plant-001,plant-002',
    rule: 'multi-plant-heat-loss',
    severity: 'P0',
    title: 'Multi-plant heat loss: Plant 001, 002',
    reason: '2 plants lost heat',
    plants: ['plant-001', 'plant-002'],
    prompt: null,
    since: t0,
    ...changes,
  }
}

const stats = { count: 0, meanMinutes: null, medianMinutes: null }
const metrics: IncidentMetrics = {
  incidents: 0,
  open: 0,
  bySeverity: { P0: 0, P1: 0, P2: 0, P3: 0, P4: 0 },
  timeToDetect: stats,
  timeToAcknowledge: stats,
  timeToMitigate: stats,
  timeToResolve: stats,
  acknowledgedWithinTarget: null,
  mitigatedWithinTarget: null,
  restoredWithinTarget: null,
}

function status(incidents: IncidentView[], suggestions: PendingSuggestion[] = []): IncidentsStatus {
  return {
    incidents,
    suggestions,
    metrics,
    escalationPlan: { levels: [], triggers: [] },
    conditions: {
      at: t0,
      plants: [],
      sources: [],
      boilers: [],
      consumers: [],
      alarms: [],
      distribution: [],
    },
  }
}

describe('times on incident screens', () => {
  it('are UTC, with T+ from detection', () => {
    expect(utcTime(Date.parse('2026-11-22T08:04:05.600Z'))).toBe('08:04:05')
    expect(utcMinutes(Date.parse('2026-11-22T23:59:00.000Z'))).toBe('23:59')
    expect(sinceDetection(t0 + 3 * minute + 7_000, t0)).toBe('T+03:07')
    expect(sinceDetection(t0 + 75 * minute, t0)).toBe('T+75:00')
    expect(sinceDetection(t0 - 30_000, t0)).toBe('T−00:30')
  })

  it('say durations to the second under ten minutes, coarser after', () => {
    expect(duration(42_000)).toBe('42 s')
    expect(duration(4 * minute + 10_000)).toBe('4 min 10 s')
    expect(duration(25 * minute + 40_000)).toBe('25 min')
    expect(duration(125 * minute)).toBe('2 h 5 min')
  })

  it('count down, then say OVERDUE in words', () => {
    expect(countdown(t0 + 5 * minute, t0)).toEqual({ overdue: false, text: 'in 5 min 0 s' })
    expect(countdown(t0, t0 + 2 * minute)).toEqual({ overdue: true, text: 'OVERDUE 2 min 0 s' })
  })

  it('read a typed HH:MM as UTC today, or yesterday when that time is still to come', () => {
    const now = Date.parse('2026-11-22T00:10:00.000Z')
    expect(parseUtcTime('00:05', now)).toBe(Date.parse('2026-11-22T00:05:00.000Z'))
    expect(parseUtcTime('23:50', now)).toBe(Date.parse('2026-11-21T23:50:00.000Z'))
    expect(parseUtcTime('7:5', now)).toBeNull()
    expect(parseUtcTime('24:00', now)).toBeNull()
    expect(parseUtcTime('soon', now)).toBeNull()
  })
})

describe('clocks', () => {
  it('say how a finished clock ended', () => {
    const clock = { id: 'a', label: 'a', startAt: t0, targetAt: t0 + 5 * minute, doneAt: null }
    expect(clockText({ ...clock, doneAt: t0 + 2 * minute }, t0).text).toBe('met in 2 min 0 s')
    expect(clockText({ ...clock, doneAt: t0 + 7 * minute }, t0).text).toBe(
      'late: took 7 min 0 s, 2 min 0 s over',
    )
    expect(clockText(clock, t0 + 6 * minute)).toEqual({ overdue: true, text: 'OVERDUE 1 min 0 s' })
  })

  it('pick the earliest running target as the most urgent, done ones left out', () => {
    // P1: acknowledged at declaration; mitigation due at 30 min; first update due at 15 min.
    const urgent = mostUrgentClock(view(incident()))
    expect(urgent?.targetAt).toBe(t0 + 15 * minute)
    expect(urgent?.label).toContain('initial')
    const updated = incident({
      updates: [{ at: t0 + 3 * minute, by: 'operator', kind: 'initial', text: 'x' }],
    })
    expect(mostUrgentClock(view(updated))?.targetAt).toBe(t0 + 30 * minute)
  })

  it('have nothing urgent for an informational incident', () => {
    expect(mostUrgentClock(view(incident({ severity: 'P4' })))).toBeNull()
  })

  it('give a suggestion its acknowledge time from when it was first seen', () => {
    expect(suggestionDueAt(suggestion())).toBe(t0 + 5 * minute)
    expect(suggestionDueAt(suggestion({ severity: 'P4' }))).toBeNull()
  })
})

describe('incident order', () => {
  it('puts open incidents first by severity, then resolved ones newest first', () => {
    const resolvedAt = (id: string, at: number): IncidentState =>
      incident({
        id,
        severity: 'P0',
        resolved: { at, by: 'x', summary: '', exitCriteria: [], openCriteriaReason: null },
      })
    const ordered = sortIncidents([
      view(resolvedAt('old', t0 + minute)),
      view(incident({ id: 'p2', severity: 'P2' })),
      view(resolvedAt('new', t0 + 9 * minute)),
      view(incident({ id: 'p0', severity: 'P0' })),
    ])
    expect(ordered.map((known) => known.incident.id)).toEqual(['p0', 'p2', 'new', 'old'])
  })
})

describe('raising an incident from a suggestion', () => {
  it('offers the open, less severe incident on an overlapping plant', () => {
    const p2 = view(incident({ id: 'p2', severity: 'P2', plants: ['plant-002'] }))
    expect(raisableIncident([p2], suggestion())?.incident.id).toBe('p2')
  })

  it('offers nothing for another plant, an equal severity or a resolved incident', () => {
    const elsewhere = view(incident({ severity: 'P2', plants: ['plant-009'] }))
    const already = view(incident({ severity: 'P0' }))
    const resolved = view(
      incident({
        severity: 'P2',
        resolved: { at: t0, by: 'x', summary: '', exitCriteria: [], openCriteriaReason: null },
      }),
    )
    expect(raisableIncident([elsewhere, already, resolved], suggestion())).toBeNull()
  })
})

describe('the notice on every page', () => {
  const open = (id: string, severity: IncidentSeverity): IncidentView =>
    view(incident({ id, severity }))

  it('puts suggestions first, then open incidents with an overdue clock', () => {
    // At t0 + 3 min the P1's first update (due at declaration) is overdue; the P3's is not due.
    const lines = noticeLines(
      status([open('p3', 'P3'), open('p1', 'P1')], [suggestion()]),
      t0 + 3 * minute,
    )
    expect(lines.shown.map((line) => line.key)).toEqual([
      `suggestion/${suggestion().id}`,
      'incident/p1',
      'incident/p3',
    ])
    expect(lines.more).toBe(0)
  })

  it('leaves resolved incidents out and shows at most three lines then "+N more"', () => {
    const resolved = view(
      incident({
        id: 'done',
        resolved: { at: t0, by: 'x', summary: '', exitCriteria: [], openCriteriaReason: null },
      }),
    )
    const many = ['a', 'b', 'c', 'd', 'e'].map((id) => open(id, 'P2'))
    const lines = noticeLines(status([resolved, ...many]), t0)
    expect(lines.shown).toHaveLength(3)
    expect(lines.more).toBe(2)
    expect(noticeLines(status(many.slice(0, 4)), t0).shown).toHaveLength(4)
    expect(noticeLines(status([resolved]), t0).shown).toHaveLength(0)
  })
})

describe('what the workspace shows', () => {
  it('names plants, keeping unknown ids', () => {
    const plants = [{ id: 'plant-001', name: 'Plant 001', units: [] }]
    expect(plantNames(['plant-001', 'plant-x'], plants)).toBe('Plant 001, plant-x')
  })

  it('trends the header pressures and the short consumers the site has', () => {
    const tag = (id: string): TagInfo => ({
      id,
      name: id,
      unit: '',
      sourceId: 's',
      plantId: null,
      unitId: null,
      limits: null,
    })
    const tags = [
      tag('plant-001.header.pressure'),
      tag('plant-001.hvac.supply-temperature'),
      tag('plant-001.dryer.supply-temperature'),
    ]
    const consumer = {
      plantId: 'plant-001',
      name: 'HVAC',
      priorityClass: 'life-safety' as const,
      since: t0,
    }
    const state = incident({
      plants: ['plant-001', 'plant-002'],
      consumers: [
        { ...consumer, unitId: 'hvac', restoredAt: null },
        { ...consumer, unitId: 'dryer', restoredAt: t0 + minute },
      ],
    })
    expect(affectedTrendTags(view(state), tags)).toEqual([
      'plant-001.header.pressure',
      'plant-001.hvac.supply-temperature',
    ])
  })

  it('says the time to critical temperature in words', () => {
    const consumer = (minutesToCritical: number | null): SiteConditions['consumers'][number] => ({
      plantId: 'plant-001',
      unitId: 'hvac',
      name: 'HVAC',
      priorityClass: 'life-safety',
      tagId: 't',
      state: 'degraded',
      value: 70,
      degradedBelow: 75,
      lostBelow: 60,
      minutesToCritical,
    })
    const conditions = (minutes: number | null): SiteConditions => ({
      ...status([]).conditions,
      consumers: [consumer(minutes)],
    })
    expect(timeToCritical(conditions(0), 'plant-001', 'hvac')).toBe('critical now')
    expect(timeToCritical(conditions(null), 'plant-001', 'hvac')).toBe(
      'no estimate: not falling, or too little trend yet',
    )
    expect(timeToCritical(conditions(0.04), 'plant-001', 'hvac')).toBe('critical in under 1 min')
    expect(timeToCritical(conditions(4.26), 'plant-001', 'hvac')).toBe('critical in ~4.3 min')
    expect(timeToCritical(conditions(23.6), 'plant-001', 'hvac')).toBe('critical in ~24 min')
    expect(timeToCritical(conditions(5), 'plant-001', 'other')).toBe('no estimate: not watched')
  })

  it('lists who to call now first', () => {
    const step = (levelId: string, state: EscalationStep['state'], dueAt: number) => ({
      levelId,
      name: levelId,
      contacts: [],
      dueAt,
      why: '',
      state,
      lastCall: null,
      attempts: 0,
    })
    const ordered = escalationOrder([
      step('reached', 'reached', t0),
      step('later', 'upcoming', t0 + 30 * minute),
      step('now', 'due', t0 + 5 * minute),
      step('first', 'due', t0),
    ])
    expect(ordered.map((known) => known.levelId)).toEqual(['first', 'now', 'later', 'reached'])
  })

  it('shows a dash for metrics nobody has yet', () => {
    expect(minutesFigure(null)).toBe('—')
    expect(minutesFigure(3.25)).toBe('3.3 min')
    expect(minutesFigure(42.4)).toBe('42 min')
    expect(shareFigure(null)).toBe('—')
    expect(shareFigure(0.834)).toBe('83 %')
  })
})
