import { describe, expect, it } from 'vitest'
import { debriefDrill, formatDuration } from '../../src/shared/drills/debrief'
import type { DrillAction, HeatLoss } from '../../src/shared/drills/drill'

const fault = Date.UTC(2026, 10, 22, 9, 0, 0)
const minutes = (n: number): number => fault + n * 60_000
const action = (kind: DrillAction['kind'], at: number, severity?: DrillAction['severity']) => ({
  kind,
  at,
  summary: kind,
  ...(severity ? { severity } : {}),
})

describe('drill debrief against the runbook targets', () => {
  it('holds a P0 drill to acknowledge in 5 min, mitigate in 10, declare P0 and escalate at once', () => {
    const rows = debriefDrill({
      severity: 'P0',
      firstFaultAt: fault,
      endedAt: minutes(30),
      actions: [
        action('acknowledged', minutes(4)),
        action('mitigation', minutes(12)),
        action('incident-declared', minutes(3), 'P1'),
      ],
      heatLosses: [],
    })
    expect(rows.map(({ target, outcome, tookSeconds }) => [target, outcome, tookSeconds])).toEqual([
      ['Acknowledge within 5 minutes (P0)', 'met', 240],
      ['Start mitigation within 10 minutes (P0)', 'late', 720],
      ['Declare the incident as P0', 'wrong', 180],
      [
        'Call the plant safety officer and operations manager at once (within 5 minutes)',
        'not-done',
        null,
      ],
    ])
    expect(rows[2]?.detail).toBe('declared as P1 after 3 min; the runbook calls this P0')
  })

  it('uses the P1 and P2 windows, the earliest action, and ignores actions before the fault', () => {
    const p1 = debriefDrill({
      severity: 'P1',
      firstFaultAt: fault,
      endedAt: minutes(60),
      actions: [
        action('acknowledged', minutes(-1)), // before the fault: not a response to it
        action('acknowledged', minutes(16)),
        action('acknowledged', minutes(14.5)),
        action('mitigation', minutes(29)),
      ],
      heatLosses: [],
    })
    expect(p1[0]).toMatchObject({ outcome: 'met', tookSeconds: 870, limitSeconds: 900 })
    expect(p1[1]).toMatchObject({ outcome: 'met', limitSeconds: 1800 })
    expect(p1).toHaveLength(3) // no escalation row below P0

    const p2 = debriefDrill({
      severity: 'P2',
      firstFaultAt: fault,
      endedAt: minutes(90),
      actions: [action('acknowledged', minutes(61))],
      heatLosses: [],
    })
    expect(p2.map((row) => row.target)).toEqual([
      'Acknowledge within 60 minutes (P2)',
      'Declare the incident as P2',
    ])
    expect(p2[0]?.outcome).toBe('late')
  })

  it('judges each consumer that lost heat by its priority class window', () => {
    const loss = (
      name: string,
      priorityClass: HeatLoss['priorityClass'],
      lost: number,
      back: number | null,
    ): HeatLoss => ({
      consumerId: name,
      name,
      plantId: 'plant-001',
      priorityClass,
      lostAt: minutes(lost),
      restoredAt: back === null ? null : minutes(back),
    })
    const rows = debriefDrill({
      severity: 'P1',
      firstFaultAt: fault,
      endedAt: minutes(120),
      actions: [],
      heatLosses: [
        loss('Hospital HVAC', 'life-safety', 1, 12),
        loss('Food processing', 'product-safety', 1, 25),
        loss('Line 1', 'production', 1, null),
        loss('Clinic', 'life-safety', 100, null),
      ],
    })
    expect(rows.slice(3).map(({ target, outcome, detail }) => [target, outcome, detail])).toEqual([
      [
        'Restore heat to plant-001 Hospital HVAC (life safety) within 10 minutes',
        'late',
        'heat restored after 11 min',
      ],
      [
        'Restore heat to plant-001 Food processing (product safety) within 30 minutes',
        'met',
        'heat restored after 24 min',
      ],
      [
        'Restore heat to plant-001 Line 1 (production) within 240 minutes',
        'open',
        'still short of heat when the drill ended; the drill ended inside the window',
      ],
      [
        'Restore heat to plant-001 Clinic (life safety) within 10 minutes',
        'not-done',
        'still short of heat when the drill ended',
      ],
    ])
  })

  it('has nothing to judge when the drill ended before its first fault', () => {
    expect(
      debriefDrill({
        severity: 'P0',
        firstFaultAt: null,
        endedAt: fault,
        actions: [],
        heatLosses: [],
      }),
    ).toEqual([])
  })

  it('formats durations for people', () => {
    expect([
      formatDuration(5),
      formatDuration(60),
      formatDuration(75),
      formatDuration(3600),
    ]).toEqual(['5 s', '1 min', '1 min 15 s', '60 min'])
  })
})
