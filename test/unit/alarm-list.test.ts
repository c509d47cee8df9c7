import { describe, expect, it } from 'vitest'
import {
  alarmSettingsSchema,
  tagAlarmDefinitions,
  tagAlarmsSchema,
  type AlarmPriority,
} from '../../src/shared/alarms/definitions'
import { createAlarmEngine } from '../../src/shared/alarms/engine'
import {
  alarmList,
  alarmSummary,
  alarmSummarySchema,
  compareAlarms,
} from '../../src/shared/alarms/list'
import type { AlarmSnapshot, AlarmState } from '../../src/shared/alarms/model'
import { alarmSnapshot } from '../support/alarm-snapshot'

// The alarm list's order (ISA-101: highest priority first, then newest) and the banner's counts.

const t0 = Date.UTC(2026, 0, 1)

function snapshot(
  id: string,
  priority: AlarmPriority,
  state: AlarmState,
  raisedAt: number | null,
): AlarmSnapshot {
  return alarmSnapshot(id, state, { priority, raisedAt, changedAt: raisedAt })
}

describe('alarm list order', () => {
  it('puts higher priority first, then the newest, then the id, whatever the input order', () => {
    const alarms = [
      snapshot('low-new', 'low', 'unacknowledged', t0 + 9000),
      snapshot('medium-old', 'medium', 'unacknowledged', t0 + 1000),
      snapshot('critical-old', 'critical', 'acknowledged', t0),
      snapshot('medium-new', 'medium', 'acknowledged', t0 + 5000),
      snapshot('high-b', 'high', 'unacknowledged', t0 + 2000),
      snapshot('high-a', 'high', 'returned-unacknowledged', t0 + 2000),
    ]
    const expected = ['critical-old', 'high-a', 'high-b', 'medium-new', 'medium-old', 'low-new']
    expect(alarmList(alarms).map((alarm) => alarm.id)).toEqual(expected)
    expect(
      alarmList([...alarms].reverse()).map((alarm) => alarm.id),
      'independent of input order',
    ).toEqual(expected)
  })

  it('does not float unacknowledged alarms above acknowledged ones of the same priority', () => {
    const older = snapshot('older-unacknowledged', 'high', 'unacknowledged', t0)
    const newer = snapshot('newer-acknowledged', 'high', 'acknowledged', t0 + 1)
    expect(compareAlarms(newer, older)).toBeLessThan(0)
  })

  it('sorts an alarm that never annunciated after every one that did', () => {
    const never = snapshot('never', 'high', 'normal', null)
    const once = snapshot('once', 'high', 'normal', t0)
    expect([never, once].sort(compareAlarms).map((alarm) => alarm.id)).toEqual(['once', 'never'])
  })

  it('lists only alarms that are active or wait for acknowledgement', () => {
    const states: AlarmState[] = [
      'normal',
      'unacknowledged',
      'acknowledged',
      'returned-unacknowledged',
      'shelved',
      'suppressed',
      'out-of-service',
    ]
    const listed = alarmList(
      states.map((state, index) => snapshot(state, 'low', state, t0 + index)),
    )
    expect(listed.map((alarm) => alarm.state)).toEqual([
      'returned-unacknowledged',
      'acknowledged',
      'unacknowledged',
    ])
  })

  it('orders what the engine produces', () => {
    const definitions = [
      ...tagAlarmDefinitions({
        id: 'p1.b1.pressure',
        alarms: tagAlarmsSchema.parse({ h: { limit: 14 }, hh: { limit: 15 } }),
      }),
      ...tagAlarmDefinitions({
        id: 'p1.b1.level',
        alarms: tagAlarmsSchema.parse({ l: { limit: 30 } }),
      }),
    ]
    const engine = createAlarmEngine(definitions, alarmSettingsSchema.parse({}))
    const reading = (tagId: string, value: number) =>
      ({
        tagId,
        value,
        quality: 'good',
        sourceTs: null,
        receivedTs: t0,
        sourceId: 'plc-a',
      }) as const
    engine.onValue(reading('p1.b1.pressure', 14.5), t0)
    engine.onValue(reading('p1.b1.level', 20), t0 + 1000)
    engine.onValue(reading('p1.b1.pressure', 15.5), t0 + 2000)
    expect(alarmList(engine.alarms()).map((alarm) => alarm.id)).toEqual([
      'p1.b1.pressure:hh',
      'p1.b1.level:l',
      'p1.b1.pressure:h',
    ])
  })
})

describe('alarm summary', () => {
  it('counts by priority and state, unacknowledged including returned ones, for the banner', () => {
    const summary = alarmSummary([
      snapshot('a', 'critical', 'acknowledged', t0),
      snapshot('b', 'high', 'unacknowledged', t0),
      snapshot('c', 'high', 'returned-unacknowledged', t0),
      snapshot('d', 'medium', 'normal', t0),
      snapshot('e', 'low', 'shelved', t0),
      snapshot('f', 'low', 'unacknowledged', t0),
      snapshot('g', 'medium', 'suppressed', t0),
      snapshot('h', 'critical', 'out-of-service', t0),
    ])
    expect(alarmSummarySchema.safeParse(summary).success).toBe(true)
    expect(summary).toEqual({
      annunciated: 4,
      unacknowledged: 3,
      byPriority: {
        critical: { annunciated: 1, unacknowledged: 0 },
        high: { annunciated: 2, unacknowledged: 2 },
        medium: { annunciated: 0, unacknowledged: 0 },
        low: { annunciated: 1, unacknowledged: 1 },
      },
      byState: {
        normal: 1,
        unacknowledged: 2,
        acknowledged: 1,
        'returned-unacknowledged': 1,
        shelved: 1,
        suppressed: 1,
        'out-of-service': 1,
      },
      highestUnacknowledgedPriority: 'high',
      highestAnnunciatedPriority: 'critical',
    })
  })

  it('is all zeros and no priority for a quiet plant', () => {
    const summary = alarmSummary([snapshot('a', 'critical', 'normal', null)])
    expect(summary.annunciated).toBe(0)
    expect(summary.unacknowledged).toBe(0)
    expect(summary.highestUnacknowledgedPriority).toBeNull()
    expect(summary.highestAnnunciatedPriority).toBeNull()
  })
})
