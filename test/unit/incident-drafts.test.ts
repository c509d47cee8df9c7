import { describe, expect, it } from 'vitest'
import { incidentClocks } from '../../src/shared/incidents/clocks'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import {
  draftStatusUpdate,
  formatMinutes,
  type DraftContext,
} from '../../src/shared/incidents/drafts'
import { escalationPlanSchema, escalationSteps } from '../../src/shared/incidents/escalation'
import type { IncidentEventDataOf } from '../../src/shared/incidents/model'
import type { JournalEvent } from '../../src/shared/journal/event'
import {
  declaration,
  evaluatedChecklist,
  incidentEvent,
  incidentFrom,
  minute,
  plantNames,
  siteConditions,
  t0,
  withHeat,
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
    { severities: ['P0'], afterMinutes: 0, levels: ['safety-officer'], why: 'P0 at once' },
    { severities: ['P0'], afterMinutes: 10, levels: ['engineering-manager'], why: 'P0 at 10 min' },
  ],
})

const hospitalShort = incidentEvent(
  'incident.consumer-short',
  {
    plantId: 'plant-001',
    unitId: 'consumer-hospital-hvac',
    name: 'Hospital HVAC',
    priorityClass: 'life-safety',
    since: t0 + 3 * minute,
  },
  t0 + 3 * minute,
)
const safetyOfficerReached = incidentEvent(
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
)
const engineerNoAnswer = incidentEvent(
  'incident.call-recorded',
  {
    levelId: 'engineering-manager',
    levelName: 'Engineering Manager',
    contact: 'E. Engineer',
    phone: '555 0101',
    outcome: 'no-answer',
    note: '',
  },
  t0 + 11 * minute,
)
const mitigation = incidentEvent(
  'incident.mitigation-started',
  { summary: 'Standby boiler started' },
  t0 + 6 * minute,
)

const resolvedAt = t0 + 72 * minute
const resolution = (
  changes: Partial<IncidentEventDataOf<'incident.resolved'>> = {},
): JournalEvent =>
  incidentEvent(
    'incident.resolved',
    {
      summary: 'Boiler 1 relit, heat back at all plants',
      exitCriteria: [
        {
          itemId: 'all-plants-normal',
          label: 'All plants normal',
          state: 'met',
          evidence: '3 of 3',
        },
        { itemId: 'alarms-clear', label: 'No safety alarms', state: 'not-met', evidence: '1' },
      ],
      openCriteriaReason: 'pressure alarm latched, reset by the boiler crew',
      ...changes,
    },
    resolvedAt,
  )

/** Plant 001 lost, its hospital below critical temperature, a drum pressure alarm at Plant 002. */
function conditions(): SiteConditions {
  const base = withHeat(siteConditions(), { 'plant-001': 'lost' })
  return {
    ...base,
    consumers: base.consumers.map((consumer) =>
      consumer.plantId === 'plant-001'
        ? { ...consumer, value: 48, minutesToCritical: 0 }
        : consumer,
    ),
    alarms: [
      {
        id: 'plant-002.boiler-1.pressure:high-high',
        plantId: 'plant-002',
        message: 'Boiler 1 drum pressure high',
        priority: 'critical',
        kind: 'overpressure',
        acknowledged: false,
        raisedAt: t0 + minute,
      },
      {
        id: 'plant-003.pump-2.vibration:high',
        plantId: 'plant-003',
        message: 'Pump 2 vibration high',
        priority: 'medium',
        kind: 'other',
        acknowledged: true,
        raisedAt: t0,
      },
    ],
  }
}

const heatRestoration = evaluatedChecklist('heat-restoration', 'Heat restoration', [
  true,
  true,
  true,
  false,
  false,
  false,
])

function contextOf(
  events: JournalEvent[],
  now: number,
  changes: Partial<DraftContext> = {},
): DraftContext {
  const incident = incidentFrom(events)
  return {
    incident,
    conditions: conditions(),
    clocks: incidentClocks(incident),
    checklists: [heatRestoration],
    escalation: escalationSteps(plan, incident, now),
    plantNames,
    now,
    ...changes,
  }
}

const openEvents = (): JournalEvent[] => [
  declaration(),
  hospitalShort,
  safetyOfficerReached,
  mitigation,
  engineerNoAnswer,
]

describe('draftStatusUpdate: initial and periodic updates', () => {
  const text = draftStatusUpdate('update', contextOf(openEvents(), t0 + 12 * minute))
  const lines = text.split('\n')

  it('heads with the severity, its name, the id and the title, and gives the status and start', () => {
    expect(lines[0]).toBe(
      'UPDATE P0 Critical incident INC-20261122-001-7F3A9C: Multi-plant heat loss',
    )
    expect(lines).toContain('Status: Mitigating')
    expect(lines).toContain('Started: 2026-11-22 08:00 UTC, 12 min ago')
  })

  it('names every role, saying which are not assigned', () => {
    expect(lines).toContain('Incident commander: A. Operator')
    expect(lines).toContain('Technical lead: not assigned')
    expect(lines).toContain('Scribe: not assigned')
  })

  it('gives each affected plant its heat status under the site file name', () => {
    expect(lines).toContain('- North Works: lost since 07:00 UTC (header low)')
    expect(lines).toContain('- South Works: normal since 07:00 UTC')
    expect(lines).toContain('- Harbour Works: normal since 07:00 UTC')
    expect(text).not.toContain('Plant 001')
  })

  it('lists consumers short of heat with the time left on their restoration clock', () => {
    expect(lines).toContain(
      '- Hospital HVAC (North Works, life safety): short since 08:03 UTC, 1 min left to restore, below its critical temperature',
    )
  })

  it('lists only safety alarms, and the actions taken in time order', () => {
    expect(lines).toContain(
      '- Boiler 1 drum pressure high (critical, South Works), not acknowledged',
    )
    expect(text).not.toContain('Pump 2 vibration high')
    const reached = lines.indexOf('- 08:05 UTC reached Plant Safety Officer (J. Smith)')
    const started = lines.indexOf('- 08:06 UTC mitigation started: Standby boiler started')
    expect(reached).toBeGreaterThan(0)
    expect(started).toBe(reached + 1)
    expect(text).not.toContain('reached Engineering Manager')
  })

  it('names who is due and not reached, the checklist progress and the next update time', () => {
    expect(lines).toContain('- Engineering Manager: due since 08:10 UTC (P0 at 10 min)')
    expect(lines).toContain('- Heat restoration: 3 of 6 done')
    expect(lines.at(-1)).toBe('Next update: by 08:27 UTC (every 15 min until resolved)')
  })

  it('has no DRILL marker for a real incident', () => {
    expect(text).not.toContain('DRILL')
  })
})

describe('draftStatusUpdate: live figures', () => {
  it('says a restoration is overdue once its target has passed', () => {
    const text = draftStatusUpdate('update', contextOf(openEvents(), t0 + 20 * minute))
    expect(text).toContain(
      '- Hospital HVAC (North Works, life safety): short since 08:03 UTC, restoration overdue by 7 min, below its critical temperature',
    )
  })

  it('gives the minutes to critical temperature while the supply is still above it', () => {
    const base = contextOf(openEvents(), t0 + 4 * minute)
    const cooling = {
      ...base.conditions,
      consumers: base.conditions.consumers.map((consumer) =>
        consumer.plantId === 'plant-001' ? { ...consumer, minutesToCritical: 4.4 } : consumer,
      ),
    }
    const text = draftStatusUpdate('update', { ...base, conditions: cooling })
    expect(text).toContain('9 min left to restore, critical temperature in about 4 min')
  })

  it('says Investigating with no mitigation, and none for empty sections', () => {
    const incident = incidentFrom([declaration({ severity: 'P1' })])
    const text = draftStatusUpdate('initial', {
      incident,
      conditions: siteConditions(),
      clocks: incidentClocks(incident),
      checklists: [],
      escalation: [],
      plantNames,
      now: t0 + 2 * minute,
    })
    expect(text.split('\n')[0]).toBe(
      'NEW P1 High incident INC-20261122-001-7F3A9C: Multi-plant heat loss',
    )
    expect(text).toContain('Status: Investigating')
    expect(text).toContain('Consumers short of heat:\n- none')
    expect(text).toContain('Safety alarms active:\n- none')
    expect(text).toContain('Actions so far:\n- none yet')
    expect(text).toContain('Next update: by 08:32 UTC (every 30 min until resolved)')
  })

  it('schedules no next update at a severity without a cadence', () => {
    const text = draftStatusUpdate(
      'update',
      contextOf([declaration({ severity: 'P3' })], t0 + 5 * minute),
    )
    expect(text).toContain('Next update: none scheduled at P3')
  })

  it('marks a drill at the very top', () => {
    const events = openEvents()
    events[0] = declaration({ drill: true })
    for (const kind of ['initial', 'update', 'resolution'] as const) {
      const text = draftStatusUpdate(kind, contextOf(events, t0 + 12 * minute))
      expect(text.split('\n')[0], kind).toBe('DRILL - EXERCISE ONLY, NOT A REAL INCIDENT')
    }
  })
})

describe('draftStatusUpdate: resolution', () => {
  it('gives the duration, summary, exit criteria and the follow-ups', () => {
    const text = draftStatusUpdate(
      'resolution',
      contextOf([...openEvents(), resolution()], resolvedAt + minute),
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe(
      'RESOLVED P0 Critical incident INC-20261122-001-7F3A9C: Multi-plant heat loss',
    )
    expect(lines).toContain(
      'Duration: 1 h 12 min (started 2026-11-22 08:00 UTC, resolved 2026-11-22 09:12 UTC)',
    )
    expect(lines).toContain('Summary: Boiler 1 relit, heat back at all plants')
    expect(lines).toContain('- All plants normal: met')
    expect(lines).toContain('- No safety alarms: not-met')
    expect(lines).toContain(
      'Resolved with criteria open because: pressure alarm latched, reset by the boiler crew',
    )
    expect(lines).toContain(
      '- Post-incident review to be held by 2026-11-24 09:12 UTC (within 48 hours)',
    )
    const safety = lines.find((line) => line.startsWith('- Safety review'))
    expect(safety).toMatch(/^- Safety review required: /)
    expect(safety).toContain('Boiler 1 drum pressure high')
    expect(safety).toContain('life-safety heat lost: Hospital HVAC')
  })

  it('needs no safety review without safety alarms or life-safety heat loss', () => {
    const text = draftStatusUpdate(
      'resolution',
      contextOf(
        [declaration({ severity: 'P1' }), resolution({ openCriteriaReason: null })],
        resolvedAt,
        { conditions: siteConditions() },
      ),
    )
    expect(text).toContain('- Safety review not required')
    expect(text).not.toContain('criteria open')
  })

  it('drafted before the resolution is recorded, it takes the live exit criteria', () => {
    const exitCriteria = evaluatedChecklist('exit-criteria', 'Exit criteria', [true, false])
    const text = draftStatusUpdate(
      'resolution',
      contextOf(openEvents(), t0 + 30 * minute, { checklists: [exitCriteria] }),
    )
    expect(text).toContain('Duration: 30 min')
    expect(text).toContain('Summary: to be written')
    expect(text).toContain('- Item 1: met\n- Item 2: open')
  })
})

describe('formatMinutes', () => {
  it('rounds down to whole minutes and switches to hours at 60', () => {
    expect(formatMinutes(59_999)).toBe('0 min')
    expect(formatMinutes(59 * minute + 59_999)).toBe('59 min')
    expect(formatMinutes(60 * minute)).toBe('1 h')
    expect(formatMinutes(125 * minute)).toBe('2 h 5 min')
    expect(formatMinutes(-minute)).toBe('0 min')
  })
})
