import { describe, expect, it } from 'vitest'
import {
  clockState,
  incidentClocks,
  minutesToCritical,
  shortfallStart,
  type Clock,
  type TemperatureSample,
} from '../../src/shared/incidents/clocks'
import type { IncidentState } from '../../src/shared/incidents/model'
import { applyIncidentEvent } from '../../src/shared/incidents/reducer'
import {
  compareSeverity,
  incidentSeverities,
  severityDefinitions,
  type IncidentSeverity,
} from '../../src/shared/incidents/severity'
import type { JournalEvent } from '../../src/shared/journal/event'
import { declaration, incidentEvent, incidentFrom, minute, t0 } from '../support/incident-fixtures'

const second = 1000

const severityTo = (from: IncidentSeverity, to: IncidentSeverity, at: number) =>
  incidentEvent('incident.severity-changed', { from, to, reason: 'reassessed' }, at)
const mitigation = (at: number) =>
  incidentEvent('incident.mitigation-started', { summary: 'standby boiler on' }, at)
const update = (kind: 'initial' | 'update' | 'resolution', at: number) =>
  incidentEvent('incident.update-sent', { kind, text: `${kind} message` }, at)
const resolved = (at: number) =>
  incidentEvent(
    'incident.resolved',
    { summary: 'over', exitCriteria: [], openCriteriaReason: null },
    at,
  )

/** Detected at t0, declared at t0 + 2 min (the fixture), acknowledged `ackAfter` after detection. */
const declared = (severity: IncidentSeverity, ackAfter = 2 * minute) =>
  declaration({ severity, acknowledgedAt: t0 + ackAfter })

const clocksOf = (...events: JournalEvent[]) => incidentClocks(incidentFrom(events))

describe('severityDefinitions', () => {
  it('holds the runbook response targets per severity', () => {
    const targets = Object.fromEntries(
      incidentSeverities.map((severity) => {
        const { acknowledgeMinutes, actionMinutes, updateEveryMinutes } =
          severityDefinitions[severity]
        return [severity, [acknowledgeMinutes, actionMinutes, updateEveryMinutes]]
      }),
    )
    expect(targets).toEqual({
      P0: [5, 10, 15],
      P1: [15, 30, 30],
      P2: [60, null, 60],
      P3: [240, null, null],
      P4: [null, null, null],
    })
  })

  it('orders P0 before P4', () => {
    expect(compareSeverity('P0', 'P1')).toBeLessThan(0)
    expect(compareSeverity('P3', 'P2')).toBeGreaterThan(0)
    expect(compareSeverity('P2', 'P2')).toBe(0)
    expect([...incidentSeverities].reverse().sort(compareSeverity)).toEqual([
      'P0',
      'P1',
      'P2',
      'P3',
      'P4',
    ])
  })
})

describe('incidentClocks: acknowledge and action', () => {
  it.each([
    ['P0', 5, 10],
    ['P1', 15, 30],
    ['P2', 60, null],
    ['P3', 240, null],
    ['P4', null, null],
  ] as const)(
    '%s: acknowledge within %s min, act within %s min, from detection',
    (sev, ack, act) => {
      // Detected 3 min before the fixture's t0 so detection and declaration differ.
      const detectedAt = t0 - 3 * minute
      const clocks = clocksOf(declaration({ severity: sev, detectedAt }))
      if (ack === null) expect(clocks.acknowledge).toBeNull()
      else {
        expect(clocks.acknowledge).toEqual({
          id: 'acknowledge',
          label: `Acknowledge within ${ack} min (${sev})`,
          startAt: detectedAt,
          targetAt: detectedAt + ack * minute,
          doneAt: t0 + 2 * minute,
        })
      }
      if (act === null) expect(clocks.action).toBeNull()
      else {
        expect(clocks.action).toEqual({
          id: 'action',
          label: `Start mitigation within ${act} min (${sev})`,
          startAt: detectedAt,
          targetAt: detectedAt + act * minute,
          doneAt: null,
        })
      }
    },
  )

  it('acknowledged exactly at the target is met, a millisecond later is late', () => {
    const onTime = clocksOf(declared('P0', 5 * minute)).acknowledge!
    expect(onTime.targetAt).toBe(t0 + 5 * minute)
    expect(clockState(onTime, t0 + 60 * minute)).toBe('met')
    const late = clocksOf(declared('P0', 5 * minute + 1)).acknowledge!
    expect(clockState(late, t0 + 60 * minute)).toBe('late')
  })

  it('the action clock is done at the first mitigation, not a later one', () => {
    const clocks = clocksOf(
      declared('P0'),
      mitigation(t0 + 9 * minute),
      mitigation(t0 + 12 * minute),
    )
    expect(clocks.action?.doneAt).toBe(t0 + 9 * minute)
    expect(clockState(clocks.action!, t0 + 60 * minute)).toBe('met')
  })

  it('action: running up to the target minute exactly, overdue after, met or late when done', () => {
    const running = clocksOf(declared('P0')).action!
    expect(clockState(running, t0)).toBe('running')
    expect(clockState(running, t0 + 10 * minute)).toBe('running')
    expect(clockState(running, t0 + 10 * minute + 1)).toBe('overdue')
    const exactly = clocksOf(declared('P0'), mitigation(t0 + 10 * minute)).action!
    expect(clockState(exactly, t0 + 10 * minute + 1)).toBe('met')
    const late = clocksOf(declared('P0'), mitigation(t0 + 10 * minute + second)).action!
    expect(late.doneAt).toBe(t0 + 10 * minute + second)
    expect(clockState(late, t0 + 10 * minute + second)).toBe('late')
  })

  it('a raise from P1 to P0 keeps the acknowledgement at P1 and starts the P0 action clock at the raise', () => {
    const p1 = clocksOf(declared('P1'))
    expect([p1.acknowledge?.targetAt, p1.action?.targetAt]).toEqual([
      t0 + 15 * minute,
      t0 + 30 * minute,
    ])
    const p0 = clocksOf(declared('P1'), severityTo('P1', 'P0', t0 + 20 * minute))
    expect([p0.acknowledge?.targetAt, p0.action?.startAt, p0.action?.targetAt]).toEqual([
      t0 + 15 * minute,
      t0 + 20 * minute,
      t0 + 30 * minute,
    ])
    expect(p0.acknowledge?.label).toBe('Acknowledge within 15 min (P1)')
    expect(p0.action?.label).toBe('Start mitigation within 10 min (P0)')
    expect(clockState(p0.action!, t0 + 30 * minute)).toBe('running')
    expect(clockState(p0.action!, t0 + 30 * minute + 1)).toBe('overdue')
  })

  it('a P1 that was P0 for a while keeps its P1 action clock from detection', () => {
    const clocks = clocksOf(
      declared('P1'),
      severityTo('P1', 'P0', t0 + 5 * minute),
      severityTo('P0', 'P1', t0 + 8 * minute),
    )
    expect(clocks.action).toMatchObject({ startAt: t0, targetAt: t0 + 30 * minute })
  })

  it('a P2 raised to P0, dropped to P2 and raised again counts from the second raise', () => {
    const clocks = clocksOf(
      declared('P2'),
      severityTo('P2', 'P0', t0 + 5 * minute),
      severityTo('P0', 'P2', t0 + 8 * minute),
      severityTo('P2', 'P0', t0 + 40 * minute),
    )
    expect(clocks.action).toMatchObject({ startAt: t0 + 40 * minute, targetAt: t0 + 50 * minute })
  })

  it('a change from P0 to P2 drops the action clock, and the acknowledgement stays judged at P0', () => {
    const clocks = clocksOf(declared('P0'), severityTo('P0', 'P2', t0 + 5 * minute))
    expect(clocks.action).toBeNull()
    expect(clocks.acknowledge?.targetAt).toBe(t0 + 5 * minute)
  })
})

describe('clockState', () => {
  const clock = (doneAt: number | null): Clock => ({
    id: 'c',
    label: 'c',
    startAt: 0,
    targetAt: 1000,
    doneAt,
  })

  it('running while now <= target, overdue after', () => {
    expect(clockState(clock(null), 0)).toBe('running')
    expect(clockState(clock(null), 1000)).toBe('running')
    expect(clockState(clock(null), 1001)).toBe('overdue')
  })

  it('met when done at or before the target whatever now is, late after', () => {
    expect(clockState(clock(1000), 5000)).toBe('met')
    expect(clockState(clock(999), 0)).toBe('met')
    expect(clockState(clock(1001), 1001)).toBe('late')
    expect(clockState(clock(1001), 100_000)).toBe('late')
  })
})

describe('incidentClocks: status updates', () => {
  it('wants the initial update at once when the incident is declared after its acknowledge target', () => {
    const late = declaration({ severity: 'P0' }, t0 + 7 * minute)
    expect(clocksOf(late).update).toMatchObject({ kind: 'initial', dueAt: t0 + 7 * minute })
  })

  it.each([
    ['P0', 15, 5],
    ['P1', 30, 15],
    ['P2', 60, 60],
  ] as const)(
    '%s: initial due by the acknowledge target, then every %s min after the last sent',
    (sev, every, acknowledgeMinutes) => {
      expect(clocksOf(declared(sev)).update).toEqual({
        dueAt: t0 + acknowledgeMinutes * minute,
        kind: 'initial',
        everyMinutes: every,
        lastSentAt: null,
      })
      const sentAt = t0 + 4 * minute
      expect(clocksOf(declared(sev), update('initial', sentAt)).update).toEqual({
        dueAt: sentAt + every * minute,
        kind: 'update',
        everyMinutes: every,
        lastSentAt: sentAt,
      })
      const lateAt = sentAt + every * minute + 7 * minute
      expect(
        clocksOf(declared(sev), update('initial', sentAt), update('update', lateAt)).update,
      ).toEqual({
        dueAt: lateAt + every * minute,
        kind: 'update',
        everyMinutes: every,
        lastSentAt: lateAt,
      })
    },
  )

  it.each(['P3', 'P4'] as const)('%s has no update clock, open or resolved', (sev) => {
    expect(clocksOf(declared(sev)).update).toBeNull()
    expect(clocksOf(declared(sev), resolved(t0 + 30 * minute)).update).toBeNull()
  })

  it('follows a severity change: P0 every 15 becomes P1 every 30 from the last sent', () => {
    const clocks = clocksOf(
      declared('P0'),
      update('initial', t0 + 3 * minute),
      severityTo('P0', 'P1', t0 + 10 * minute),
    )
    expect(clocks.update).toMatchObject({ dueAt: t0 + 33 * minute, everyMinutes: 30 })
  })

  it('after resolution one resolution message is due at once, then none', () => {
    const resolvedAt = t0 + 50 * minute
    const open = [
      declared('P1'),
      update('initial', t0 + 3 * minute),
      update('update', t0 + 33 * minute),
    ]
    expect(clocksOf(...open, resolved(resolvedAt)).update).toEqual({
      dueAt: resolvedAt,
      kind: 'resolution',
      everyMinutes: 30,
      lastSentAt: t0 + 33 * minute,
    })
    expect(
      clocksOf(...open, resolved(resolvedAt), update('resolution', resolvedAt + minute)).update,
    ).toBeNull()
  })

  it('a resolution due even when no update was ever sent', () => {
    expect(clocksOf(declared('P2'), resolved(t0 + 5 * minute)).update).toEqual({
      dueAt: t0 + 5 * minute,
      kind: 'resolution',
      everyMinutes: 60,
      lastSentAt: null,
    })
  })
})

describe('incidentClocks: consumer restoration', () => {
  const short = (
    unitId: string,
    priorityClass: 'life-safety' | 'product-safety' | 'equipment-protection' | 'production',
    since: number,
  ) =>
    incidentEvent(
      'incident.consumer-short',
      { plantId: 'plant-002', unitId, name: `Unit ${unitId}`, priorityClass, since },
      since + 30 * second,
    )
  const restored = (unitId: string, at: number) =>
    incidentEvent('incident.consumer-restored', { plantId: 'plant-002', unitId }, at)

  it.each([
    ['life-safety', 'life safety', 10],
    ['product-safety', 'product safety', 30],
    ['equipment-protection', 'equipment protection', 60],
    ['production', 'production', 240],
  ] as const)('%s (%s): heat back within %s min of since', (priorityClass, name, limit) => {
    const since = t0 + 4 * minute
    const [clock] = clocksOf(declared('P0'), short('u1', priorityClass, since)).consumers
    expect(clock).toEqual({
      id: `restore/plant-002/u1/${since}`,
      label: `Unit u1: heat back within ${limit} min (${name})`,
      startAt: since,
      targetAt: since + limit * minute,
      doneAt: null,
      plantId: 'plant-002',
      unitId: 'u1',
      priorityClass,
    })
    expect(clockState(clock!, since + limit * minute)).toBe('running')
    expect(clockState(clock!, since + limit * minute + 1)).toBe('overdue')
  })

  it('done at restoredAt: met inside the limit, late outside', () => {
    const since = t0 + 4 * minute
    const clocks = clocksOf(
      declared('P0'),
      short('hospital', 'life-safety', since),
      short('dairy', 'product-safety', since),
      restored('hospital', since + 10 * minute),
      restored('dairy', since + 31 * minute),
    ).consumers
    expect(clocks.map((clock) => [clock.unitId, clock.doneAt, clockState(clock, since)])).toEqual([
      ['hospital', since + 10 * minute, 'met'],
      ['dairy', since + 31 * minute, 'late'],
    ])
  })

  it('short again after restoration gets its own clock with its own id', () => {
    const clocks = clocksOf(
      declared('P0'),
      short('hospital', 'life-safety', t0),
      restored('hospital', t0 + 6 * minute),
      short('hospital', 'life-safety', t0 + 20 * minute),
    ).consumers
    expect(clocks.map((clock) => [clock.id, clock.targetAt, clock.doneAt])).toEqual([
      [`restore/plant-002/hospital/${t0}`, t0 + 10 * minute, t0 + 6 * minute],
      [`restore/plant-002/hospital/${t0 + 20 * minute}`, t0 + 30 * minute, null],
    ])
  })

  it('does not move with the incident severity', () => {
    const since = t0 + minute
    const before = clocksOf(declared('P0'), short('u', 'production', since)).consumers
    const after = clocksOf(
      declared('P0'),
      short('u', 'production', since),
      severityTo('P0', 'P3', t0 + 5 * minute),
    ).consumers
    expect(after).toEqual(before)
  })
})

describe('incidentClocks: derived, not stored', () => {
  it('gives equal clocks for a state built one event at a time', () => {
    const events = [
      declared('P1'),
      mitigation(t0 + 8 * minute),
      update('initial', t0 + 9 * minute),
      severityTo('P1', 'P0', t0 + 12 * minute),
    ]
    const stepwise = events.reduce<IncidentState | null>(applyIncidentEvent, null)!
    expect(incidentClocks(stepwise)).toEqual(incidentClocks(incidentFrom(events)))
  })
})

describe('minutesToCritical', () => {
  /** One sample every `step` ms from t0, values from f(minutes since t0). */
  const series = (count: number, step: number, f: (minutes: number) => number) =>
    Array.from({ length: count }, (_, index): TemperatureSample => {
      const at = t0 + index * step
      return { at, value: f((at - t0) / minute) }
    })

  it('80 °C falling 2 °C/min with critical at 60 gives 10 minutes', () => {
    // The newest sample reads 80 °C; samples run back 2 minutes.
    const samples = series(5, 30 * second, (m) => 84 - 2 * m)
    expect(samples.at(-1)?.value).toBe(80)
    expect(minutesToCritical(samples, 60)).toBeCloseTo(10, 9)
  })

  it('reads the fitted line at the newest sample, not the newest (noisy) reading', () => {
    // The line 84 - 2m with noise symmetric in time: the fit is the line, the last reading 80.5.
    const noise = [0.5, -0.5, 0, -0.5, 0.5]
    const samples = series(5, 30 * second, (m) => 84 - 2 * m).map((sample, index) => ({
      ...sample,
      value: sample.value + noise[index]!,
    }))
    expect(samples.at(-1)?.value).toBe(80.5)
    expect(minutesToCritical(samples, 60)).toBeCloseTo(10, 9)
  })

  it('slower fall, longer time: 70 °C falling 0.5 °C/min to 60 is 20 minutes', () => {
    const samples = series(7, 10 * second, (m) => 70.5 - 0.5 * m)
    expect(samples.at(-1)?.value).toBeCloseTo(70, 9)
    expect(minutesToCritical(samples, 60)).toBeCloseTo(20, 9)
  })

  it('null when rising or flat', () => {
    expect(
      minutesToCritical(
        series(5, 30 * second, (m) => 70 + m),
        60,
      ),
    ).toBeNull()
    expect(
      minutesToCritical(
        series(5, 30 * second, () => 70),
        60,
      ),
    ).toBeNull()
  })

  it('null with fewer than 3 samples or under 30 s of data', () => {
    expect(
      minutesToCritical(
        series(2, 60 * second, (m) => 80 - 2 * m),
        60,
      ),
    ).toBeNull()
    // 3 samples spanning 29.998 s.
    expect(
      minutesToCritical(
        series(3, 14_999, (m) => 80 - 2 * m),
        60,
      ),
    ).toBeNull()
    // Exactly 30 s is enough.
    expect(
      minutesToCritical(
        series(3, 15 * second, (m) => 80 - 2 * m),
        60,
      ),
    ).not.toBeNull()
  })

  it('null with no samples', () => {
    expect(minutesToCritical([], 60)).toBeNull()
  })

  it('0 when the newest reading is already below critical, even with too few samples', () => {
    expect(minutesToCritical([{ at: t0, value: 59.9 }], 60)).toBe(0)
    expect(
      minutesToCritical(
        series(5, 30 * second, (m) => 56 + m),
        60,
      ),
    ).toBe(0)
  })
})

describe('shortfallStart', () => {
  const point = (minutes: number, max: number | null) => ({ ts: t0 + minutes * minute, max })

  it('finds the start of the short run at the end of the trend', () => {
    const points = [point(0, 80), point(1, 78), point(2, 74), point(3, 70), point(4, 66)]
    expect(shortfallStart(points, 75)).toBe(t0 + 2 * minute)
  })

  it('says nothing when the supply is not short at the end, or the run fills the whole trend', () => {
    expect(shortfallStart([point(0, 70), point(1, 80)], 75)).toBeNull()
    expect(shortfallStart([point(0, 70), point(1, 68)], 75)).toBeNull()
    expect(shortfallStart([], 75)).toBeNull()
  })

  it('stops at a stretch with no readings: the run cannot be told across a gap', () => {
    expect(shortfallStart([point(0, 60), point(1, null), point(2, 70), point(3, 69)], 75)).toBe(
      t0 + 2 * minute,
    )
  })
})
