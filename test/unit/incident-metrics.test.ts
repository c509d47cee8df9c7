import { describe, expect, it } from 'vitest'
import {
  durationStatsOf,
  incidentMetrics,
  incidentMetricsSchema,
} from '../../src/shared/incidents/metrics'
import type { IncidentEventDataOf, IncidentState } from '../../src/shared/incidents/model'
import type { JournalEvent } from '../../src/shared/journal/event'
import { declaration, incidentEvent, incidentFrom, minute, t0 } from '../support/incident-fixtures'

const idOf = (n: number) => `INC-20261122-00${n}-7F3A9C`

type Story = {
  n: number
  declared: Partial<IncidentEventDataOf<'incident.declared'>>
  mitigatedAt?: number
  resolvedAt?: number
  consumers?: {
    unitId: string
    priorityClass: IncidentEventDataOf<'incident.consumer-short'>['priorityClass']
    since: number
    restoredAt: number | null
  }[]
}

/** One incident detected at t0 and declared at t0 + 1 min, with what happened after. */
function incident(story: Story): IncidentState {
  const id = idOf(story.n)
  const events: JournalEvent[] = [
    declaration({ startedAt: t0, detectedAt: t0, ...story.declared }, t0 + minute, id),
  ]
  for (const consumer of story.consumers ?? []) {
    const { unitId, priorityClass, since } = consumer
    events.push(
      incidentEvent(
        'incident.consumer-short',
        { plantId: 'plant-001', unitId, name: unitId, priorityClass, since },
        // Journalled once the incident exists; its clock still runs from `since`.
        Math.max(since, t0 + minute),
        id,
      ),
    )
  }
  if (story.mitigatedAt !== undefined) {
    events.push(
      incidentEvent('incident.mitigation-started', { summary: 'x' }, story.mitigatedAt, id),
    )
  }
  for (const consumer of story.consumers ?? []) {
    if (consumer.restoredAt === null) continue
    events.push(
      incidentEvent(
        'incident.consumer-restored',
        { plantId: 'plant-001', unitId: consumer.unitId },
        consumer.restoredAt,
        id,
      ),
    )
  }
  if (story.resolvedAt !== undefined) {
    events.push(
      incidentEvent(
        'incident.resolved',
        { summary: 'done', exitCriteria: [], openCriteriaReason: null },
        story.resolvedAt,
        id,
      ),
    )
  }
  return incidentFrom(events.toSorted((a, b) => a.ts.localeCompare(b.ts) || a.seq - b.seq))
}

const at = (minutes: number) => t0 + minutes * minute

const incidents = [
  // P0 on every target exactly at its limit; one consumer a minute late.
  incident({
    n: 1,
    declared: { severity: 'P0', startedAt: at(-3), acknowledgedAt: at(5) },
    mitigatedAt: at(10),
    resolvedAt: at(60),
    consumers: [
      { unitId: 'hospital', priorityClass: 'life-safety', since: at(1), restoredAt: at(11) },
      { unitId: 'school', priorityClass: 'life-safety', since: at(1), restoredAt: at(12) },
    ],
  }),
  // P1 still open, late on both; its consumer is still short, so not counted yet.
  incident({
    n: 2,
    declared: { severity: 'P1', startedAt: at(-1), acknowledgedAt: at(16) },
    mitigatedAt: at(31),
    consumers: [{ unitId: 'line-2', priorityClass: 'production', since: at(0), restoredAt: null }],
  }),
  // P2: no mitigation target; resolved with its consumer never restored.
  incident({
    n: 3,
    declared: { severity: 'P2', acknowledgedAt: at(30) },
    resolvedAt: at(90),
    consumers: [
      { unitId: 'dairy', priorityClass: 'product-safety', since: at(0), restoredAt: null },
    ],
  }),
  // P1 resolved without any mitigation on record: missed.
  incident({ n: 4, declared: { severity: 'P1', acknowledgedAt: at(2) }, resolvedAt: at(45) }),
  // P4: no targets at all, open.
  incident({ n: 5, declared: { severity: 'P4', acknowledgedAt: at(1) } }),
]

describe('incidentMetrics', () => {
  const metrics = incidentMetrics(incidents)

  it('counts incidents, open ones and every severity', () => {
    expect(incidentMetricsSchema.parse(metrics)).toEqual(metrics)
    expect(metrics.incidents).toBe(5)
    expect(metrics.open).toBe(2)
    expect(metrics.bySeverity).toEqual({ P0: 1, P1: 2, P2: 1, P3: 0, P4: 1 })
  })

  it('measures detection from the start and the rest from detection', () => {
    expect(metrics.timeToDetect).toEqual({ count: 5, meanMinutes: 0.8, medianMinutes: 0 })
    expect(metrics.timeToAcknowledge).toEqual({ count: 5, meanMinutes: 10.8, medianMinutes: 5 })
    expect(metrics.timeToMitigate).toEqual({ count: 2, meanMinutes: 20.5, medianMinutes: 20.5 })
    expect(metrics.timeToResolve).toEqual({ count: 3, meanMinutes: 65, medianMinutes: 60 })
  })

  it('counts a target met exactly at its limit and leaves out incidents without one', () => {
    // Acknowledged: P0 at 5 of 5 met, P1 at 16 of 15 missed, P2 met, P1 met; the P4 has no target.
    expect(metrics.acknowledgedWithinTarget).toBe(0.75)
    // Mitigated: P0 at 10 of 10 met, P1 at 31 of 30 missed, P1 resolved unmitigated missed.
    expect(metrics.mitigatedWithinTarget).toBeCloseTo(1 / 3, 10)
    // Restored: hospital 10 of 10 met, school 11 of 10 missed, dairy never; line 2 still running.
    expect(metrics.restoredWithinTarget).toBeCloseTo(1 / 3, 10)
  })

  it('misses a target by a millisecond', () => {
    const late = incidentMetrics([
      incident({
        n: 1,
        declared: { severity: 'P0', acknowledgedAt: at(5) + 1 },
        mitigatedAt: at(10) + 1,
        resolvedAt: at(20),
      }),
    ])
    expect(late.acknowledgedWithinTarget).toBe(0)
    expect(late.mitigatedWithinTarget).toBe(0)
  })

  it('does not count an open incident not mitigated yet either way', () => {
    const open = incidentMetrics([incident({ n: 1, declared: { severity: 'P0' } })])
    expect(open.mitigatedWithinTarget).toBeNull()
    expect(open.timeToMitigate).toEqual({ count: 0, meanMinutes: null, medianMinutes: null })
    expect(open.timeToResolve.count).toBe(0)
  })

  it('has nothing to say about no incidents', () => {
    expect(incidentMetrics([])).toEqual({
      incidents: 0,
      open: 0,
      bySeverity: { P0: 0, P1: 0, P2: 0, P3: 0, P4: 0 },
      timeToDetect: { count: 0, meanMinutes: null, medianMinutes: null },
      timeToAcknowledge: { count: 0, meanMinutes: null, medianMinutes: null },
      timeToMitigate: { count: 0, meanMinutes: null, medianMinutes: null },
      timeToResolve: { count: 0, meanMinutes: null, medianMinutes: null },
      acknowledgedWithinTarget: null,
      mitigatedWithinTarget: null,
      restoredWithinTarget: null,
    })
  })
})

describe('durationStatsOf', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one', () => {
    expect(durationStatsOf([9 * minute, minute, 2 * minute])).toEqual({
      count: 3,
      meanMinutes: 4,
      medianMinutes: 2,
    })
    expect(durationStatsOf([8 * minute, minute, 2 * minute, 5 * minute])).toEqual({
      count: 4,
      meanMinutes: 4,
      medianMinutes: 3.5,
    })
    expect(durationStatsOf([90_000])).toEqual({ count: 1, meanMinutes: 1.5, medianMinutes: 1.5 })
  })
})

describe('incidentMetrics after a change of severity', () => {
  it('judges the acknowledgement at the severity declared and mitigation from the raise', () => {
    const id = idOf(7)
    const raised = incidentFrom([
      declaration(
        { severity: 'P3', startedAt: t0, detectedAt: t0, acknowledgedAt: t0 + 20 * minute },
        t0 + 20 * minute,
        id,
      ),
      incidentEvent(
        'incident.severity-changed',
        { from: 'P3', to: 'P0', reason: 'spreading' },
        t0 + 60 * minute,
        id,
      ),
      incidentEvent('incident.mitigation-started', { summary: 'x' }, t0 + 65 * minute, id),
    ])
    const metrics = incidentMetrics([raised])
    // 20 min is within P3's 240; 5 min after the raise is within P0's 10 — from detection it was not.
    expect(metrics.acknowledgedWithinTarget).toBe(1)
    expect(metrics.mitigatedWithinTarget).toBe(1)
    expect(metrics.bySeverity.P0).toBe(1)
  })
})
