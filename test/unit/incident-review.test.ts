import { describe, expect, it } from 'vitest'
import { incidentClocks } from '../../src/shared/incidents/clocks'
import { escalationPlanSchema, escalationSteps } from '../../src/shared/incidents/escalation'
import { incidentReviewSchema, type IncidentEventDataOf } from '../../src/shared/incidents/model'
import { draftReview, reviewTimelineLines } from '../../src/shared/incidents/review'
import { timelineEntry, type TimelineEntry } from '../../src/shared/incidents/timeline'
import type { JournalEvent } from '../../src/shared/journal/event'
import {
  declaration,
  incidentEvent,
  incidentFrom,
  journalEvent,
  minute,
  plantNames,
  t0,
} from '../support/incident-fixtures'

const plan = escalationPlanSchema.parse({
  levels: [
    {
      id: 'safety-officer',
      name: 'Plant Safety Officer',
      contacts: [{ name: 'J. Smith', phone: '555 0100' }],
    },
    {
      id: 'engineering-manager',
      name: 'Engineering Manager',
      contacts: [{ name: 'E. Engineer', phone: '555 0101' }],
    },
  ],
  triggers: [
    { severities: ['P0', 'P1'], afterMinutes: 0, levels: ['safety-officer'], why: 'at once' },
    { severities: ['P0'], afterMinutes: 10, levels: ['engineering-manager'], why: 'P0 at 10 min' },
  ],
})

const short = (
  unitId: string,
  name: string,
  priorityClass: IncidentEventDataOf<'incident.consumer-short'>['priorityClass'],
  since: number,
): JournalEvent =>
  incidentEvent(
    'incident.consumer-short',
    { plantId: 'plant-001', unitId, name, priorityClass, since },
    since,
  )
const restored = (unitId: string, at: number): JournalEvent =>
  incidentEvent('incident.consumer-restored', { plantId: 'plant-001', unitId }, at)

const resolvedAt = t0 + 72 * minute
const resolved = incidentEvent(
  'incident.resolved',
  { summary: 'Boiler 1 relit', exitCriteria: [], openCriteriaReason: null },
  resolvedAt,
)

/**
 * P0 detected at t0, declared and acknowledged at 2 min; the hospital back after 14 min (late), the
 * dairy after 16 min (in time); the safety officer reached 5 min after due, the engineering manager
 * never; mitigation at 6 min; resolved at 72 min.
 */
function recordEvents(): JournalEvent[] {
  return [
    declaration(),
    short('hospital', 'Hospital HVAC', 'life-safety', t0 + 3 * minute),
    short('dairy', 'Dairy pasteuriser', 'product-safety', t0 + 4 * minute),
    incidentEvent(
      'incident.call-recorded',
      {
        levelId: 'safety-officer',
        levelName: 'Plant Safety Officer',
        contact: 'J. Smith',
        phone: '555 0100',
        outcome: 'reached',
        note: '',
      },
      t0 + 5 * minute,
    ),
    incidentEvent('incident.mitigation-started', { summary: 'Standby boiler' }, t0 + 6 * minute),
    restored('hospital', t0 + 17 * minute),
    restored('dairy', t0 + 20 * minute),
    resolved,
  ]
}

const entries = (events: readonly JournalEvent[]): TimelineEntry[] =>
  events.map(timelineEntry).filter((entry) => entry !== null)

function reviewOf(events: JournalEvent[], timeline: TimelineEntry[] = entries(events)) {
  const incident = incidentFrom(events)
  return draftReview({
    incident,
    clocks: incidentClocks(incident),
    escalation: escalationSteps(plan, incident, resolvedAt),
    timeline,
    plantNames,
  })
}

describe('draftReview', () => {
  const review = reviewOf(recordEvents())

  it('is a valid review with the people-only sections left empty', () => {
    expect(incidentReviewSchema.parse(review)).toEqual(review)
    expect(review.rootCause).toBe('')
    expect(review.contributingFactors).toBe('')
    expect(review.whyNotCaught).toBe('')
    expect(review.preventiveShortTerm).toBe('')
    expect(review.preventiveLongTerm).toBe('')
    expect(review.actionItems).toEqual([])
  })

  it('summarises what happened from the record', () => {
    expect(review.summary.split('\n')).toEqual([
      'P0 (Critical) incident INC-20261122-001-7F3A9C, "Multi-plant heat loss", affecting North Works, South Works, Harbour Works.',
      'Started 2026-11-22 08:00 UTC, detected 2026-11-22 08:00 UTC, declared 2026-11-22 08:02 UTC with A. Operator as incident commander.',
      'Resolved 2026-11-22 09:12 UTC after 1 h 12 min: Boiler 1 relit',
    ])
  })

  it('gives the heat loss of each consumer and the safety impact', () => {
    expect(review.impact.split('\n')).toEqual([
      'Plants affected: North Works, South Works, Harbour Works',
      'Heat loss by consumer:',
      '- Hospital HVAC (North Works, life safety): 14 min without heat, 08:03 UTC to 08:17 UTC',
      '- Dairy pasteuriser (North Works, product safety): 16 min without heat, 08:04 UTC to 08:20 UTC',
      'Safety impact: yes (life-safety heat lost: Hospital HVAC)',
    ])
  })

  it('judges the clocks and the escalation into went well and went poorly', () => {
    expect(review.wentWell.split('\n')).toEqual([
      '- Acknowledged after 2 min, within the 5 min target',
      '- Mitigation started after 6 min, within the 10 min target',
      '- Dairy pasteuriser (North Works): heat back after 16 min, within its 30 min',
    ])
    expect(review.wentPoorly.split('\n')).toEqual([
      '- Hospital HVAC (North Works): heat back after 14 min, past its 10 min',
      '- Plant Safety Officer (J. Smith) reached 5 min after due',
      '- Engineering Manager never reached (due 08:10 UTC)',
    ])
  })

  it('asks the engineering manager, the safety officer and the VP to approve a P0', () => {
    expect(review.approvals).toEqual([
      { role: 'Engineering manager', name: '', approvedOn: '' },
      { role: 'Plant safety officer', name: '', approvedOn: '' },
      { role: 'VP operations', name: '', approvedOn: '' },
    ])
  })
})

describe('draftReview: other records', () => {
  it('asks the safety officer of a P1 only when life-safety heat was lost', () => {
    const quiet = reviewOf([declaration({ severity: 'P2' }), resolved])
    expect(quiet.approvals.map((approval) => approval.role)).toEqual(['Engineering manager'])
    expect(quiet.impact).toContain('- no consumer recorded short of heat')
    expect(quiet.impact).toContain('Safety impact: no')
    const lifeSafety = reviewOf([
      declaration({ severity: 'P1' }),
      short('hospital', 'Hospital HVAC', 'life-safety', t0 + 3 * minute),
      resolved,
    ])
    expect(lifeSafety.approvals.map((approval) => approval.role)).toEqual([
      'Engineering manager',
      'Plant safety officer',
    ])
  })

  it('counts a consumer never restored and a mitigation never started as went poorly', () => {
    const review = reviewOf([
      declaration({ severity: 'P1' }),
      short('hospital', 'Hospital HVAC', 'life-safety', t0 + 3 * minute),
      resolved,
    ])
    expect(review.impact).toContain(
      '- Hospital HVAC (North Works, life safety): at least 1 h 9 min without heat, from 08:03 UTC; no return of heat recorded before resolution',
    )
    expect(review.wentPoorly).toContain('- Mitigation started: never recorded')
    expect(review.wentPoorly).toContain('- Hospital HVAC (North Works): no return of heat recorded')
    expect(review.wentPoorly).toContain('- Plant Safety Officer never reached (due 08:00 UTC)')
  })

  it('says an open incident is not resolved and does not judge clocks still running', () => {
    const review = reviewOf([
      declaration(),
      short('hospital', 'Hospital HVAC', 'life-safety', t0 + 3 * minute),
    ])
    expect(review.summary.split('\n').at(-1)).toBe('Not resolved yet.')
    expect(review.impact).toContain('without heat since 08:03 UTC')
    expect(review.wentPoorly).not.toContain('never recorded')
    expect(review.wentPoorly).not.toContain('no return of heat')
  })

  it('marks a drill in the summary', () => {
    expect(reviewOf([declaration({ drill: true }), resolved]).summary).toMatch(/^Drill: P0/)
  })
})

describe('draftReview: timeline', () => {
  it('keeps incident, call, update, heat and critical alarm entries, timed from detection', () => {
    const alarm = (priority: string, message: string, at: number) =>
      journalEvent('alarm.raised', { priority, message }, { at, incidentId: null, actor: 'system' })
    const events = recordEvents()
    const timeline = entries([
      ...events,
      alarm('critical', 'Boiler 1 flame failure', t0 + 30_000),
      alarm('high', 'Header temperature low', t0 + minute),
      journalEvent(
        'heat.status-changed',
        { plantId: 'plant-001', from: 'normal', to: 'lost', reasons: [] },
        { at: t0 + minute + 30_000, actor: 'system' },
      ),
      incidentEvent('incident.note-added', { text: 'smell of gas' }, t0 + 7 * minute),
      journalEvent(
        'source.lost',
        { sourceId: 'source-1', reason: 'timeout' },
        { at: t0 + 8 * minute, actor: 'system' },
      ),
    ])
    const lines = reviewOf(events, timeline).timeline.split('\n')
    expect(lines.slice(0, 4)).toEqual([
      'T+0m  Alarm raised (critical): Boiler 1 flame failure',
      'T+1m  Heat at plant-001: normal to lost',
      'T+2m  P0 declared: Multi-plant heat loss (plants plant-001, plant-002, plant-003) by A. Operator',
      'T+3m  Hospital HVAC at plant-001 short of heat (life safety: heat back within 10 min)',
    ])
    expect(lines).toContain('T+5m  Call to Plant Safety Officer (J. Smith): reached')
    expect(lines.at(-1)).toBe('T+72m  Resolved: Boiler 1 relit')
    expect(lines).toHaveLength(events.length + 2)
    expect(lines.join('\n')).not.toMatch(/Header temperature|smell of gas|source-1/)
  })

  it('writes entries before detection as T-', () => {
    const events = [declaration({ detectedAt: t0 + 5 * minute }), resolved]
    const early = incidentEvent('incident.note-added', { text: 'x' }, t0)
    const timeline = entries([
      journalEvent(
        'heat.status-changed',
        { plantId: 'plant-001', from: 'normal', to: 'degraded' },
        { at: t0 + minute },
      ),
      early,
      ...events,
    ])
    const lines = reviewOf(events, timeline).timeline.split('\n')
    expect(lines[1]).toMatch(/^T-3m {2}P0 declared/)
    expect(lines[0]).toBe('T-4m  Heat at plant-001: normal to degraded')
  })

  it(`keeps a long timeline to ${reviewTimelineLines} lines, its start and its end`, () => {
    const updates = Array.from({ length: 60 }, (_, index) =>
      incidentEvent(
        'incident.update-sent',
        { kind: 'update', text: '' },
        t0 + (3 + index) * minute,
      ),
    )
    const events = [declaration(), ...updates, resolved]
    const lines = reviewOf(events).timeline.split('\n')
    expect(lines).toHaveLength(reviewTimelineLines)
    expect(lines[0]).toMatch(/^T\+2m {2}P0 declared/)
    expect(lines[29]).toBe("… 23 more entries in the incident's full timeline")
    expect(lines[28]).toBe('T+30m  Status update sent (update)')
    expect(lines[30]).toBe('T+54m  Status update sent (update)')
    expect(lines.at(-1)).toBe('T+72m  Resolved: Boiler 1 relit')
  })

  it('keeps a timeline of exactly the limit whole', () => {
    const updates = Array.from({ length: reviewTimelineLines - 2 }, (_, index) =>
      incidentEvent(
        'incident.update-sent',
        { kind: 'update', text: '' },
        t0 + (3 + index) * minute,
      ),
    )
    const lines = reviewOf([declaration(), ...updates, resolved]).timeline.split('\n')
    expect(lines).toHaveLength(reviewTimelineLines)
    expect(lines.some((line) => line.startsWith('…'))).toBe(false)
  })
})
