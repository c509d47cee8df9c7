import { describe, expect, it } from 'vitest'
import {
  alarmSettingsSchema,
  overpressurePrompt,
  safetyAlarmDefinitions,
  tagAlarmDefinitions,
  tagAlarmsSchema,
  type AlarmDefinition,
} from '../../src/shared/alarms/definitions'
import { createAlarmEngine, type AlarmEngine } from '../../src/shared/alarms/engine'
import {
  alarmEventSchema,
  alarmJournalInput,
  type AlarmEvent,
  type AlarmTransition,
} from '../../src/shared/alarms/model'
import type { Quality, TagValue } from '../../src/shared/field/values'
import { canonicalJson } from '../../src/shared/journal/canonical-json'
import { journalEventInputSchema } from '../../src/shared/journal/event'

// The ISA-18.2 alarm life cycle on fake time: every time is a plain number handed to the engine.

const t0 = Date.UTC(2026, 0, 1)
const seconds = (n: number) => t0 + n * 1000

function reading(
  tagId: string,
  value: number | boolean | string | null,
  quality: Quality = 'good',
): TagValue {
  return { tagId, value, quality, sourceTs: null, receivedTs: t0, sourceId: 'plc-a' }
}

type TagConfig = { id: string; name?: string; alarms: unknown }

function definitionsOf(tags: readonly TagConfig[]): AlarmDefinition[] {
  return tags.flatMap((tag) =>
    tagAlarmDefinitions({ id: tag.id, name: tag.name, alarms: tagAlarmsSchema.parse(tag.alarms) }),
  )
}

function engineFor(tags: readonly TagConfig[], settings: unknown = {}): AlarmEngine {
  return createAlarmEngine(definitionsOf(tags), alarmSettingsSchema.parse(settings))
}

const transitions = (events: readonly AlarmEvent[]): AlarmTransition[] =>
  events.filter((event): event is AlarmTransition => 'alarmId' in event)

/** type, alarm, from → to: enough to read a test's expectations at a glance. */
const summary = (events: readonly AlarmEvent[]) =>
  transitions(events).map((event) => `${event.type} ${event.alarmId} ${event.from}→${event.to}`)

function succeeded(result: ReturnType<AlarmEngine['acknowledge']>): AlarmEvent[] {
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.message}`)
  return result.value
}

function refusal(result: ReturnType<AlarmEngine['acknowledge']>): string {
  if (result.ok) throw new Error('expected a refusal')
  return result.error.code
}

const pressure = 'p1.b1.pressure'
const high = `${pressure}:h`

describe('limit alarm life cycle', () => {
  const engine = () => engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])

  it('raises at the limit and not below it, unacknowledged, with the value and limit', () => {
    const alarms = engine()
    expect(alarms.onValue(reading(pressure, 14.49), seconds(0))).toEqual([])
    const events = transitions(alarms.onValue(reading(pressure, 14.5), seconds(1)))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'alarm.raised',
      at: seconds(1),
      actor: 'system',
      alarmId: high,
      tagId: pressure,
      unit: 'p1.b1',
      condition: 'h',
      cause: 'high-limit',
      priority: 'medium',
      from: 'normal',
      to: 'unacknowledged',
      value: 14.5,
      threshold: 14.5,
    })
    expect(alarms.alarm(high)).toMatchObject({ state: 'unacknowledged', raisedAt: seconds(1) })
  })

  it('goes unacknowledged → acknowledged → normal when acknowledged before it returns', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    const acknowledged = succeeded(alarms.acknowledge(high, 'operator-7', seconds(5)))
    expect(summary(acknowledged)).toEqual([
      `alarm.acknowledged ${high} unacknowledged→acknowledged`,
    ])
    expect(acknowledged[0]).toMatchObject({ actor: 'operator-7', at: seconds(5) })
    expect(alarms.alarm(high)?.acknowledged).toEqual({ by: 'operator-7', at: seconds(5) })
    expect(summary(alarms.onValue(reading(pressure, 14), seconds(9)))).toEqual([
      `alarm.cleared ${high} acknowledged→normal`,
    ])
  })

  it('goes unacknowledged → returned-unacknowledged → normal when it returns first', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    expect(summary(alarms.onValue(reading(pressure, 14), seconds(3)))).toEqual([
      `alarm.returned ${high} unacknowledged→returned-unacknowledged`,
    ])
    expect(summary(succeeded(alarms.acknowledge(high, 'operator-7', seconds(4))))).toEqual([
      `alarm.acknowledged ${high} returned-unacknowledged→normal`,
    ])
    expect(alarms.alarm(high)?.state).toBe('normal')
  })

  it('raises again from returned-unacknowledged when the condition comes back', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    alarms.onValue(reading(pressure, 14), seconds(1))
    expect(summary(alarms.onValue(reading(pressure, 15), seconds(2)))).toEqual([
      `alarm.raised ${high} returned-unacknowledged→unacknowledged`,
    ])
    expect(alarms.alarm(high)?.raisedAt).toBe(seconds(2))
  })

  it('emits nothing while the value stays on the same side of the limit', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    expect(alarms.onValue(reading(pressure, 15.3), seconds(1))).toEqual([])
    expect(alarms.onValue(reading(pressure, 14.9), seconds(2))).toEqual([])
  })

  it('refuses acknowledgements with nothing to acknowledge, for unknown alarms and without actor', () => {
    const alarms = engine()
    expect(refusal(alarms.acknowledge(high, 'operator-7', seconds(0)))).toBe(
      'nothing-to-acknowledge',
    )
    alarms.onValue(reading(pressure, 15), seconds(1))
    expect(refusal(alarms.acknowledge('p1.b1.pressure:hh', 'operator-7', seconds(2)))).toBe(
      'unknown-alarm',
    )
    expect(refusal(alarms.acknowledge(high, '  ', seconds(2)))).toBe('actor-required')
    succeeded(alarms.acknowledge(high, 'operator-7', seconds(2)))
    expect(refusal(alarms.acknowledge(high, 'operator-7', seconds(3)))).toBe(
      'nothing-to-acknowledge',
    )
  })

  it('keeps HH and H as separate alarms with their own default priorities', () => {
    const alarms = engineFor([
      { id: pressure, alarms: { hh: { limit: 15.2 }, h: { limit: 14.5 } } },
    ])
    const events = transitions(alarms.onValue(reading(pressure, 15.3), seconds(0)))
    expect(events.map((event) => [event.alarmId, event.priority])).toEqual([
      [`${pressure}:hh`, 'high'],
      [high, 'medium'],
    ])
    expect(summary(alarms.onValue(reading(pressure, 15), seconds(1)))).toEqual([
      `alarm.returned ${pressure}:hh unacknowledged→returned-unacknowledged`,
    ])
  })
})

describe('deadband', () => {
  it('returns a high alarm only below limit − deadband', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, deadband: 0.5 } } }])
    alarms.onValue(reading(pressure, 14.6), seconds(0))
    expect(alarms.onValue(reading(pressure, 14.2), seconds(1))).toEqual([])
    expect(alarms.onValue(reading(pressure, 14.0), seconds(2))).toEqual([])
    expect(alarms.alarm(high)?.state).toBe('unacknowledged')
    expect(summary(alarms.onValue(reading(pressure, 13.99), seconds(3)))).toEqual([
      `alarm.returned ${high} unacknowledged→returned-unacknowledged`,
    ])
    // Raising again needs the full limit, not limit − deadband.
    expect(alarms.onValue(reading(pressure, 14.4), seconds(4))).toEqual([])
  })

  it('returns a low alarm only above limit + deadband', () => {
    const low = `${pressure}:l`
    const alarms = engineFor([{ id: pressure, alarms: { l: { limit: 8, deadband: 0.5 } } }])
    expect(summary(alarms.onValue(reading(pressure, 7.9), seconds(0)))).toEqual([
      `alarm.raised ${low} normal→unacknowledged`,
    ])
    expect(alarms.onValue(reading(pressure, 8.5), seconds(1))).toEqual([])
    expect(summary(alarms.onValue(reading(pressure, 8.51), seconds(2)))).toEqual([
      `alarm.returned ${low} unacknowledged→returned-unacknowledged`,
    ])
  })
})

describe('on- and off-delays', () => {
  it('raises only after the condition has held for the whole on-delay', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, onDelayMs: 5000 } } }])
    expect(alarms.onValue(reading(pressure, 15), seconds(0))).toEqual([])
    expect(alarms.tick(seconds(4.999))).toEqual([])
    expect(alarms.alarm(high)?.state).toBe('normal')
    const events = transitions(alarms.tick(seconds(5)))
    expect(summary(events)).toEqual([`alarm.raised ${high} normal→unacknowledged`])
    expect(events[0]?.at).toBe(seconds(5))
  })

  it('restarts the on-delay when the value dips back inside the limit', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, onDelayMs: 5000 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    alarms.onValue(reading(pressure, 14), seconds(3))
    alarms.onValue(reading(pressure, 15), seconds(4))
    expect(alarms.tick(seconds(8.999))).toEqual([])
    expect(summary(alarms.tick(seconds(9)))).toEqual([`alarm.raised ${high} normal→unacknowledged`])
  })

  it('raises on a new reading once the on-delay has run out, without waiting for a tick', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, onDelayMs: 5000 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    expect(summary(alarms.onValue(reading(pressure, 15.1), seconds(6)))).toEqual([
      `alarm.raised ${high} normal→unacknowledged`,
    ])
  })

  it('returns only after the condition has stayed clear for the whole off-delay', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, offDelayMs: 10_000 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    expect(alarms.onValue(reading(pressure, 14), seconds(1))).toEqual([])
    expect(alarms.tick(seconds(10.999))).toEqual([])
    // A rebound restarts the off-delay.
    alarms.onValue(reading(pressure, 14.6), seconds(10.5))
    alarms.onValue(reading(pressure, 14), seconds(12))
    expect(alarms.tick(seconds(21.999))).toEqual([])
    expect(summary(alarms.tick(seconds(22)))).toEqual([
      `alarm.returned ${high} unacknowledged→returned-unacknowledged`,
    ])
  })
})

describe('quality', () => {
  const alarms = () => engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])

  it.each<Quality>(['bad', 'stale'])(
    'a %s value neither returns nor raises an alarm',
    (quality) => {
      const active = alarms()
      active.onValue(reading(pressure, 15), seconds(0))
      expect(active.onValue(reading(pressure, 10, quality), seconds(1))).toEqual([])
      expect(active.tick(seconds(60))).toEqual([])
      expect(active.alarm(high)?.state).toBe('unacknowledged')

      const quiet = alarms()
      expect(quiet.onValue(reading(pressure, 20, quality), seconds(0))).toEqual([])
      expect(quiet.alarm(high)?.state).toBe('normal')
    },
  )

  it('evaluates an uncertain value (the device still has a reading)', () => {
    expect(summary(alarms().onValue(reading(pressure, 15, 'uncertain'), seconds(0)))).toEqual([
      `alarm.raised ${high} normal→unacknowledged`,
    ])
  })

  it('resumes from the next good value after bad quality', () => {
    const engine = alarms()
    engine.onValue(reading(pressure, 15), seconds(0))
    engine.onValue(reading(pressure, null, 'bad'), seconds(1))
    expect(summary(engine.onValue(reading(pressure, 14), seconds(2)))).toEqual([
      `alarm.returned ${high} unacknowledged→returned-unacknowledged`,
    ])
  })

  it('cancels a running on-delay on a bad value: nobody knows the condition held', () => {
    const engine = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, onDelayMs: 5000 } } }])
    engine.onValue(reading(pressure, 15), seconds(0))
    engine.onValue(reading(pressure, 15, 'bad'), seconds(2))
    engine.onValue(reading(pressure, 15), seconds(3))
    expect(engine.tick(seconds(5))).toEqual([])
    expect(engine.tick(seconds(7.999))).toEqual([])
    expect(summary(engine.tick(seconds(8)))).toEqual([`alarm.raised ${high} normal→unacknowledged`])
  })

  it('ignores a string where a number belongs rather than guessing', () => {
    expect(alarms().onValue(reading(pressure, '15'), seconds(0))).toEqual([])
  })
})

describe('rate of change', () => {
  const temperature = 'p1.b1.flue-temperature'
  const rate = `${temperature}:rate-of-change`
  const engine = (direction: 'rising' | 'falling' | 'either' = 'either') =>
    engineFor([
      {
        id: temperature,
        alarms: { rateOfChange: { perMinute: 10, priority: 'high', windowMs: 60_000, direction } },
      },
    ])

  it('raises when the change over the window reaches the rate, once a full window is known', () => {
    const alarms = engine()
    alarms.onValue(reading(temperature, 200), seconds(0))
    // 8 degrees in 30 s would be 16 per minute, but half a window proves nothing yet.
    expect(alarms.onValue(reading(temperature, 208), seconds(30))).toEqual([])
    const events = transitions(alarms.onValue(reading(temperature, 212), seconds(60)))
    expect(summary(events)).toEqual([`alarm.raised ${rate} normal→unacknowledged`])
    expect(events[0]).toMatchObject({ value: 12, threshold: 10, cause: 'rate-of-change' })
  })

  it('does not raise below the rate', () => {
    const alarms = engine()
    alarms.onValue(reading(temperature, 200), seconds(0))
    expect(alarms.onValue(reading(temperature, 209.9), seconds(60))).toEqual([])
  })

  it('holds the last reading between changes, so the rate falls as the window moves on', () => {
    const alarms = engine()
    alarms.onValue(reading(temperature, 200), seconds(0))
    alarms.onValue(reading(temperature, 215), seconds(60))
    // No new reading (OPC UA reports changes only): 60 s later the window holds no change.
    expect(alarms.tick(seconds(90))).toEqual([])
    expect(alarms.alarm(rate)?.value).toBeCloseTo(15)
    expect(summary(alarms.tick(seconds(120)))).toEqual([
      `alarm.returned ${rate} unacknowledged→returned-unacknowledged`,
    ])
  })

  it('watches one direction when told to', () => {
    const rising = engine('rising')
    rising.onValue(reading(temperature, 200), seconds(0))
    expect(rising.onValue(reading(temperature, 185), seconds(60))).toEqual([])

    const falling = engine('falling')
    falling.onValue(reading(temperature, 200), seconds(0))
    expect(summary(falling.onValue(reading(temperature, 185), seconds(60)))).toEqual([
      `alarm.raised ${rate} normal→unacknowledged`,
    ])
    expect(falling.alarm(rate)?.value).toBe(-15)
  })

  it('holds an active rate alarm across a gap until a full window of good readings', () => {
    const alarms = engine()
    alarms.onValue(reading(temperature, 200), seconds(0))
    alarms.onValue(reading(temperature, 215), seconds(60))
    alarms.onValue(reading(temperature, null, 'stale'), seconds(70))
    expect(alarms.onValue(reading(temperature, 215), seconds(80))).toEqual([])
    expect(alarms.tick(seconds(139))).toEqual([])
    expect(alarms.alarm(rate)?.state).toBe('unacknowledged')
    expect(summary(alarms.tick(seconds(140)))).toEqual([
      `alarm.returned ${rate} unacknowledged→returned-unacknowledged`,
    ])
  })

  it('measures no rate across a bad gap until a full window of good readings', () => {
    const alarms = engine()
    alarms.onValue(reading(temperature, 200), seconds(0))
    alarms.onValue(reading(temperature, null, 'bad'), seconds(30))
    alarms.onValue(reading(temperature, 230), seconds(40))
    expect(alarms.tick(seconds(60))).toEqual([])
    expect(alarms.onValue(reading(temperature, 245), seconds(90))).toEqual([])
    expect(summary(alarms.tick(seconds(100)))).toEqual([
      `alarm.raised ${rate} normal→unacknowledged`,
    ])
  })
})

describe('deviation from setpoint', () => {
  const setpoint = 'p1.header.pressure-setpoint'
  const header = 'p1.header.pressure'
  const deviation = `${header}:deviation`
  const engine = () =>
    engineFor([
      {
        id: header,
        alarms: { deviation: { setpointTag: setpoint, band: 2, deadband: 0.5, priority: 'low' } },
      },
    ])

  it('raises when the value is band or more away from the setpoint tag, either way', () => {
    const alarms = engine()
    alarms.onValues([reading(setpoint, 10), reading(header, 11.9)], seconds(0))
    expect(alarms.alarm(deviation)?.state).toBe('normal')
    const events = transitions(alarms.onValue(reading(header, 7.5), seconds(1)))
    expect(summary(events)).toEqual([`alarm.raised ${deviation} normal→unacknowledged`])
    expect(events[0]).toMatchObject({ value: -2.5, threshold: 2, priority: 'low' })
  })

  it('follows setpoint changes and returns only inside band − deadband', () => {
    const alarms = engine()
    alarms.onValues([reading(setpoint, 10), reading(header, 12.5)], seconds(0))
    expect(alarms.onValue(reading(setpoint, 10.9), seconds(1))).toEqual([])
    expect(summary(alarms.onValue(reading(setpoint, 11.1), seconds(2)))).toEqual([
      `alarm.returned ${deviation} unacknowledged→returned-unacknowledged`,
    ])
    expect(summary(alarms.onValue(reading(setpoint, 15), seconds(3)))).toEqual([
      `alarm.raised ${deviation} returned-unacknowledged→unacknowledged`,
    ])
  })

  it('holds while the setpoint is unknown or bad', () => {
    const alarms = engine()
    expect(alarms.onValue(reading(header, 50), seconds(0))).toEqual([])
    alarms.onValue(reading(setpoint, 10), seconds(1))
    expect(alarms.alarm(deviation)?.state).toBe('unacknowledged')
    alarms.onValue(reading(setpoint, 50, 'stale'), seconds(2))
    expect(alarms.alarm(deviation)?.state).toBe('unacknowledged')
  })
})

describe('digital alarms', () => {
  it('raises a trip when the trip flag is true and returns when it resets', () => {
    const tripped = 'p1.b1.tripped'
    const alarms = engineFor([
      { id: tripped, alarms: { digital: { alarmWhen: true, kind: 'trip', priority: 'high' } } },
    ])
    expect(alarms.onValue(reading(tripped, false), seconds(0))).toEqual([])
    const events = transitions(alarms.onValue(reading(tripped, true), seconds(1)))
    expect(events[0]).toMatchObject({
      type: 'alarm.raised',
      cause: 'trip',
      condition: 'digital',
      value: true,
      threshold: null,
      priority: 'high',
    })
    expect(summary(alarms.onValue(reading(tripped, false), seconds(2)))).toEqual([
      `alarm.returned ${tripped}:digital unacknowledged→returned-unacknowledged`,
    ])
  })

  it('raises flame failure when the flame flag goes false, registers as 0/1 included', () => {
    const flame = 'p1.b1.running'
    const alarms = engineFor([
      {
        id: flame,
        alarms: { digital: { alarmWhen: false, kind: 'flame-failure', priority: 'critical' } },
      },
    ])
    expect(alarms.onValue(reading(flame, 1), seconds(0))).toEqual([])
    const events = transitions(alarms.onValue(reading(flame, 0), seconds(1)))
    expect(events[0]).toMatchObject({ cause: 'flame-failure', value: false, priority: 'critical' })
  })
})

describe('suppressed by design', () => {
  const running = 'p1.b1.running'
  const lowLow = `${pressure}:ll`
  const engine = (releaseDelayMs = 0) =>
    engineFor([
      {
        id: pressure,
        alarms: {
          ll: { limit: 6 },
          suppressWhen: { tag: running, equals: false, releaseDelayMs },
        },
      },
    ])

  it('suppresses while the boiler is off, tracks the condition silently, and re-annunciates when it runs', () => {
    const alarms = engine()
    expect(summary(alarms.onValue(reading(running, false), seconds(0)))).toEqual([
      `alarm.suppressed ${lowLow} normal→suppressed`,
    ])
    expect(alarms.onValue(reading(pressure, 2), seconds(1))).toEqual([])
    expect(alarms.alarm(lowLow)).toMatchObject({ state: 'suppressed', active: true })
    expect(refusal(alarms.acknowledge(lowLow, 'operator-7', seconds(2)))).toBe(
      'nothing-to-acknowledge',
    )
    // Running again with the pressure still low: the alarm is real now.
    expect(summary(alarms.onValue(reading(running, true), seconds(3)))).toEqual([
      `alarm.unsuppressed ${lowLow} suppressed→unacknowledged`,
    ])
    expect(summary(alarms.onValue(reading(pressure, 10), seconds(4)))).toEqual([
      `alarm.returned ${lowLow} unacknowledged→returned-unacknowledged`,
    ])
  })

  it('hides an alarm that was active when the boiler stopped, and goes normal if it has cleared by the restart', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 5), seconds(0))
    expect(summary(alarms.onValue(reading(running, false), seconds(1)))).toEqual([
      `alarm.suppressed ${lowLow} unacknowledged→suppressed`,
    ])
    alarms.onValue(reading(pressure, 9), seconds(2))
    expect(summary(alarms.onValue(reading(running, true), seconds(3)))).toEqual([
      `alarm.unsuppressed ${lowLow} suppressed→normal`,
    ])
  })

  it('applies a stop before a low pressure that arrives in the same batch', () => {
    const alarms = engine()
    alarms.onValue(reading(running, true), seconds(0))
    expect(
      summary(alarms.onValues([reading(pressure, 2), reading(running, false)], seconds(1))),
    ).toEqual([`alarm.suppressed ${lowLow} normal→suppressed`])
  })

  it('stays suppressed for the release delay after start-up', () => {
    const alarms = engine(60_000)
    alarms.onValues([reading(running, false), reading(pressure, 0)], seconds(0))
    expect(alarms.onValue(reading(running, true), seconds(10))).toEqual([])
    expect(alarms.tick(seconds(69.999))).toEqual([])
    expect(alarms.alarm(lowLow)?.state).toBe('suppressed')
    expect(summary(alarms.tick(seconds(70)))).toEqual([
      `alarm.unsuppressed ${lowLow} suppressed→unacknowledged`,
    ])
  })

  it('a start-up that builds pressure inside the release delay raises nothing', () => {
    const alarms = engine(60_000)
    alarms.onValues([reading(running, false), reading(pressure, 0)], seconds(0))
    alarms.onValue(reading(running, true), seconds(10))
    alarms.onValue(reading(pressure, 9), seconds(50))
    expect(summary(alarms.tick(seconds(70)))).toEqual([
      `alarm.unsuppressed ${lowLow} suppressed→normal`,
    ])
  })

  it('a boiler that stops again during the release delay stays suppressed', () => {
    const alarms = engine(60_000)
    alarms.onValues([reading(running, false), reading(pressure, 0)], seconds(0))
    alarms.onValue(reading(running, true), seconds(10))
    alarms.onValue(reading(running, false), seconds(20))
    expect(alarms.tick(seconds(200))).toEqual([])
    expect(alarms.alarm(lowLow)?.state).toBe('suppressed')
  })

  it('holds the suppression when the running flag goes bad', () => {
    const alarms = engine()
    alarms.onValue(reading(running, false), seconds(0))
    expect(alarms.onValue(reading(running, true, 'bad'), seconds(1))).toEqual([])
    expect(alarms.alarm(lowLow)?.state).toBe('suppressed')
  })
})

describe('out of service', () => {
  it('takes an alarm out of service with a reason and brings it back in its current condition', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    expect(refusal(alarms.setOutOfService(high, 'engineer-2', ' ', seconds(1)))).toBe(
      'reason-required',
    )
    const out = transitions(
      succeeded(alarms.setOutOfService(high, 'engineer-2', 'transmitter replaced', seconds(1))),
    )
    expect(summary(out)).toEqual([`alarm.out-of-service ${high} unacknowledged→out-of-service`])
    expect(out[0]).toMatchObject({ actor: 'engineer-2', reason: 'transmitter replaced' })
    expect(alarms.alarm(high)?.outOfService).toEqual({
      by: 'engineer-2',
      reason: 'transmitter replaced',
      at: seconds(1),
    })
    expect(refusal(alarms.setOutOfService(high, 'engineer-2', 'again', seconds(2)))).toBe(
      'already-out-of-service',
    )
    // Silent while out of service, whatever the value does.
    expect(alarms.onValue(reading(pressure, 10), seconds(3))).toEqual([])
    expect(alarms.onValue(reading(pressure, 16), seconds(4))).toEqual([])
    expect(summary(succeeded(alarms.returnToService(high, 'engineer-2', seconds(5))))).toEqual([
      `alarm.in-service ${high} out-of-service→unacknowledged`,
    ])
    expect(refusal(alarms.returnToService(high, 'engineer-2', seconds(6)))).toBe(
      'not-out-of-service',
    )
  })

  it('returns to normal when the condition cleared meanwhile', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    succeeded(alarms.setOutOfService(high, 'engineer-2', 'calibration', seconds(1)))
    alarms.onValue(reading(pressure, 12), seconds(2))
    expect(summary(succeeded(alarms.returnToService(high, 'engineer-2', seconds(3))))).toEqual([
      `alarm.in-service ${high} out-of-service→normal`,
    ])
  })

  it('outranks and ends a shelve', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])
    succeeded(alarms.shelve(high, 'operator-7', 'chattering', 30, seconds(0)))
    expect(
      summary(succeeded(alarms.setOutOfService(high, 'engineer-2', 'repair', seconds(1)))),
    ).toEqual([`alarm.out-of-service ${high} shelved→out-of-service`])
    expect(alarms.alarm(high)?.shelved).toBeNull()
    expect(alarms.tick(seconds(31 * 60))).toEqual([])
    expect(refusal(alarms.shelve(high, 'operator-7', 'chattering', 30, seconds(40 * 60)))).toBe(
      'not-annunciating',
    )
  })
})

describe('shelving', () => {
  const engine = (maxShelveMinutes = 60) =>
    engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }], { maxShelveMinutes })

  it('shelves with a reason until a time, then the system unshelves it and it re-annunciates', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    const shelved = transitions(
      succeeded(alarms.shelve(high, 'operator-7', 'known fault, work order 118', 30, seconds(10))),
    )
    const until = seconds(10) + 30 * 60_000
    expect(summary(shelved)).toEqual([`alarm.shelved ${high} unacknowledged→shelved`])
    expect(shelved[0]).toMatchObject({ reason: 'known fault, work order 118', until })
    expect(alarms.alarm(high)?.shelved).toEqual({
      by: 'operator-7',
      reason: 'known fault, work order 118',
      at: seconds(10),
      until,
    })
    // The condition goes on silently.
    expect(alarms.onValue(reading(pressure, 14), seconds(20))).toEqual([])
    expect(alarms.onValue(reading(pressure, 15), seconds(30))).toEqual([])
    expect(alarms.tick(until - 1)).toEqual([])
    const expired = transitions(alarms.tick(until))
    expect(summary(expired)).toEqual([`alarm.unshelved ${high} shelved→unacknowledged`])
    expect(expired[0]).toMatchObject({ actor: 'system', reason: 'shelve time ended' })
  })

  it('comes back normal if the condition cleared while shelved', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    succeeded(alarms.shelve(high, 'operator-7', 'nuisance', 1, seconds(0)))
    alarms.onValue(reading(pressure, 13), seconds(10))
    expect(summary(alarms.tick(seconds(60)))).toEqual([`alarm.unshelved ${high} shelved→normal`])
  })

  it('lets an operator unshelve early', () => {
    const alarms = engine()
    alarms.onValue(reading(pressure, 15), seconds(0))
    succeeded(alarms.shelve(high, 'operator-7', 'nuisance', 30, seconds(0)))
    const events = transitions(succeeded(alarms.unshelve(high, 'operator-9', seconds(5))))
    expect(summary(events)).toEqual([`alarm.unshelved ${high} shelved→unacknowledged`])
    expect(events[0]).toMatchObject({ actor: 'operator-9', reason: null })
    expect(refusal(alarms.unshelve(high, 'operator-9', seconds(6)))).toBe('not-shelved')
    expect(alarms.tick(seconds(31 * 60))).toEqual([])
  })

  it('refuses beyond the site maximum, without a reason, twice, or for no time', () => {
    const alarms = engine(60)
    expect(refusal(alarms.shelve(high, 'operator-7', 'nuisance', 61, seconds(0)))).toBe(
      'shelve-too-long',
    )
    expect(refusal(alarms.shelve(high, 'operator-7', '', 10, seconds(0)))).toBe('reason-required')
    expect(refusal(alarms.shelve(high, 'operator-7', 'nuisance', 0, seconds(0)))).toBe(
      'invalid-duration',
    )
    expect(refusal(alarms.shelve(high, 'operator-7', 'nuisance', Number.NaN, seconds(0)))).toBe(
      'invalid-duration',
    )
    // A normal alarm may be shelved (a known nuisance before it chatters again).
    expect(
      summary(succeeded(alarms.shelve(high, 'operator-7', 'nuisance', 60, seconds(0)))),
    ).toEqual([`alarm.shelved ${high} normal→shelved`])
    expect(refusal(alarms.shelve(high, 'operator-7', 'nuisance', 10, seconds(1)))).toBe(
      'already-shelved',
    )
  })

  it('refuses to shelve a critical alarm', () => {
    const alarms = engineFor([
      { id: pressure, alarms: { hh: { limit: 15.2, priority: 'critical' } } },
    ])
    alarms.onValue(reading(pressure, 16), seconds(0))
    expect(refusal(alarms.shelve(`${pressure}:hh`, 'operator-7', 'nuisance', 5, seconds(1)))).toBe(
      'shelve-not-allowed',
    )
    expect(alarms.alarm(`${pressure}:hh`)?.state).toBe('unacknowledged')
  })

  it('refuses to shelve an alarm that is suppressed by design', () => {
    const alarms = engineFor([
      {
        id: pressure,
        alarms: { h: { limit: 14.5 }, suppressWhen: { tag: 'p1.b1.running', equals: false } },
      },
    ])
    alarms.onValue(reading('p1.b1.running', false), seconds(0))
    expect(refusal(alarms.shelve(high, 'operator-7', 'nuisance', 5, seconds(1)))).toBe(
      'not-annunciating',
    )
  })
})

describe('comments', () => {
  it('records a comment in any state without changing it', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5 } } }])
    alarms.onValue(reading(pressure, 15), seconds(0))
    const events = transitions(
      succeeded(alarms.comment(high, 'operator-7', '  called the boiler house  ', seconds(1))),
    )
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      type: 'alarm.commented',
      from: 'unacknowledged',
      to: 'unacknowledged',
      comment: 'called the boiler house',
      actor: 'operator-7',
    })
    expect(refusal(alarms.comment(high, 'operator-7', '   ', seconds(2)))).toBe('comment-required')
    expect(refusal(alarms.comment(high, 'operator-7', 'x'.repeat(2001), seconds(2)))).toBe(
      'comment-too-long',
    )
  })
})

describe('communication loss', () => {
  it('raises once per outage however often the loss is reported, and again on the next outage', () => {
    const alarms = createAlarmEngine([], alarmSettingsSchema.parse({}))
    const lost = transitions(alarms.onSourceState('plc-a', false, seconds(0)))
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({
      type: 'alarm.raised',
      alarmId: 'plc-a:communication-loss',
      tagId: null,
      sourceId: 'plc-a',
      cause: 'communication-loss',
      priority: 'high',
      to: 'unacknowledged',
    })
    expect(alarms.onSourceState('plc-a', false, seconds(5))).toEqual([])
    expect(alarms.onSourceState('plc-a', false, seconds(10))).toEqual([])
    expect(summary(alarms.onSourceState('plc-a', true, seconds(20)))).toEqual([
      'alarm.returned plc-a:communication-loss unacknowledged→returned-unacknowledged',
    ])
    expect(alarms.onSourceState('plc-a', true, seconds(21))).toEqual([])
    expect(summary(alarms.onSourceState('plc-a', false, seconds(30)))).toEqual([
      'alarm.raised plc-a:communication-loss returned-unacknowledged→unacknowledged',
    ])
  })

  it('takes its priority from the site settings', () => {
    const alarms = createAlarmEngine(
      [],
      alarmSettingsSchema.parse({ communicationLossPriority: 'critical' }),
    )
    expect(transitions(alarms.onSourceState('ua-2', false, seconds(0)))[0]?.priority).toBe(
      'critical',
    )
  })
})

describe('built-in safety alarms (GL-001 safety protocols)', () => {
  const site = {
    plants: [
      {
        id: 'plant-001',
        units: [{ id: 'boiler-1', safetyValveSetpoint: 16.0 }],
      },
    ],
    tags: [
      { id: 'plant-001.boiler-1.pressure' },
      { id: 'plant-001.boiler-1.combustion-stability' },
      { id: 'plant-001.boiler-1.running' },
    ],
  }
  const overpressure = 'plant-001.boiler-1.pressure:overpressure'
  const instability = 'plant-001.boiler-1.combustion-stability:combustion-instability'
  const engine = () => {
    const settings = alarmSettingsSchema.parse({})
    return createAlarmEngine(safetyAlarmDefinitions(site, settings), settings)
  }

  it('raises critical at exactly 95 % of a 16.0 bar safety valve (15.2 bar) with the runbook prompt', () => {
    const alarms = engine()
    const events = transitions(
      alarms.onValue(reading('plant-001.boiler-1.pressure', 15.2), seconds(0)),
    )
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      alarmId: overpressure,
      priority: 'critical',
      threshold: 15.2,
      prompt: overpressurePrompt,
      to: 'unacknowledged',
    })
    expect(overpressurePrompt).toBe(
      'Notify the plant safety officer; consider emergency shutdown (GL-001 safety protocol)',
    )
  })

  it('stays quiet just below 95 %', () => {
    const alarms = engine()
    expect(alarms.onValue(reading('plant-001.boiler-1.pressure', 15.19), seconds(0))).toEqual([])
    expect(alarms.alarm(overpressure)?.state).toBe('normal')
  })

  it('counts a float32 register holding 15.2 (15.1999998…) as at the limit', () => {
    const float32 = Math.fround(15.2)
    expect(float32).toBeLessThan(15.2)
    const events = engine().onValue(reading('plant-001.boiler-1.pressure', float32), seconds(0))
    expect(summary(events)).toEqual([`alarm.raised ${overpressure} normal→unacknowledged`])
  })

  it('returns only below 94 % (deadband 1 % of the setpoint)', () => {
    const alarms = engine()
    alarms.onValue(reading('plant-001.boiler-1.pressure', 15.3), seconds(0))
    expect(alarms.onValue(reading('plant-001.boiler-1.pressure', 15.05), seconds(1))).toEqual([])
    expect(
      summary(alarms.onValue(reading('plant-001.boiler-1.pressure', 15.03), seconds(2))),
    ).toEqual([`alarm.returned ${overpressure} unacknowledged→returned-unacknowledged`])
  })

  it('is not suppressed when the boiler is off: a stopped boiler still holds pressure', () => {
    const alarms = engine()
    alarms.onValue(reading('plant-001.boiler-1.running', false), seconds(0))
    expect(
      summary(alarms.onValue(reading('plant-001.boiler-1.pressure', 15.5), seconds(1))),
    ).toEqual([`alarm.raised ${overpressure} normal→unacknowledged`])
  })

  it('raises combustion instability at 0.5 while firing, with the fuel cutoff prompt', () => {
    const alarms = engine()
    alarms.onValue(reading('plant-001.boiler-1.running', true), seconds(0))
    expect(
      alarms.onValue(reading('plant-001.boiler-1.combustion-stability', 0.51), seconds(1)),
    ).toEqual([])
    const events = transitions(
      alarms.onValue(reading('plant-001.boiler-1.combustion-stability', 0.5), seconds(2)),
    )
    expect(events[0]).toMatchObject({ alarmId: instability, priority: 'critical' })
    expect(events[0]?.prompt).toMatch(/fuel cutoff/i)
    // The index oscillates: a swing back up inside 30 s does not end the episode.
    expect(
      alarms.onValue(reading('plant-001.boiler-1.combustion-stability', 0.85), seconds(5)),
    ).toEqual([])
    alarms.onValue(reading('plant-001.boiler-1.combustion-stability', 0.45), seconds(9))
    alarms.onValue(reading('plant-001.boiler-1.combustion-stability', 0.9), seconds(13))
    expect(alarms.tick(seconds(42.999))).toEqual([])
    expect(summary(alarms.tick(seconds(43)))).toEqual([
      `alarm.returned ${instability} unacknowledged→returned-unacknowledged`,
    ])
  })

  it('suppresses combustion instability on an unlit burner (it reads 0)', () => {
    const alarms = engine()
    expect(
      summary(
        alarms.onValues(
          [
            reading('plant-001.boiler-1.combustion-stability', 0),
            reading('plant-001.boiler-1.running', false),
          ],
          seconds(0),
        ),
      ),
    ).toEqual([`alarm.suppressed ${instability} normal→suppressed`])
  })
})

describe('first-out per trip group', () => {
  const flame = 'p1.b1.flame'
  const tripped = 'p1.b1.tripped'
  const level = 'p1.b1.drum-level'
  const engine = () =>
    engineFor([
      {
        id: flame,
        alarms: {
          digital: { alarmWhen: false, kind: 'flame-failure', priority: 'high' },
          tripGroup: 'b1',
        },
      },
      {
        id: tripped,
        alarms: { digital: { alarmWhen: true, kind: 'trip', priority: 'high' }, tripGroup: 'b1' },
      },
      { id: level, alarms: { ll: { limit: 20 }, tripGroup: 'b1' } },
      { id: pressure, alarms: { h: { limit: 14.5 } } },
    ])
  const firstOuts = (alarms: AlarmEngine) =>
    alarms
      .alarms()
      .filter((alarm) => alarm.firstOut)
      .map((alarm) => alarm.id)

  it('marks the first alarm of a quiet group, not the ones that follow', () => {
    const alarms = engine()
    alarms.onValues([reading(flame, true), reading(tripped, false), reading(level, 50)], seconds(0))
    const first = transitions(alarms.onValue(reading(level, 10), seconds(1)))
    expect(first[0]).toMatchObject({ alarmId: `${level}:ll`, firstOut: true })
    const following = transitions(
      alarms.onValues([reading(flame, false), reading(tripped, true)], seconds(2)),
    )
    expect(following.map((event) => [event.alarmId, event.firstOut])).toEqual([
      [`${flame}:digital`, false],
      [`${tripped}:digital`, false],
    ])
    expect(firstOuts(alarms)).toEqual([`${level}:ll`])
  })

  it('keeps the first-out until the whole group is normal, then the next episode has its own', () => {
    const alarms = engine()
    alarms.onValues([reading(flame, true), reading(tripped, false), reading(level, 50)], seconds(0))
    alarms.onValue(reading(level, 10), seconds(1))
    alarms.onValue(reading(tripped, true), seconds(2))
    // The first-out returns and is acknowledged; the trip is still active: the group is not quiet.
    alarms.onValue(reading(level, 50), seconds(3))
    succeeded(alarms.acknowledge(`${level}:ll`, 'operator-7', seconds(4)))
    expect(firstOuts(alarms)).toEqual([`${level}:ll`])
    // Trip reset but unacknowledged: still not quiet.
    alarms.onValue(reading(tripped, false), seconds(5))
    expect(firstOuts(alarms)).toEqual([`${level}:ll`])
    succeeded(alarms.acknowledge(`${tripped}:digital`, 'operator-7', seconds(6)))
    expect(firstOuts(alarms)).toEqual([])
    // Next episode: the trip comes first.
    const next = transitions(alarms.onValue(reading(tripped, true), seconds(7)))
    expect(next[0]).toMatchObject({ alarmId: `${tripped}:digital`, firstOut: true })
    alarms.onValue(reading(level, 10), seconds(8))
    expect(firstOuts(alarms)).toEqual([`${tripped}:digital`])
  })

  it('takes the first in processing order when several arrive in one batch', () => {
    const alarms = engine()
    alarms.onValues([reading(flame, true), reading(tripped, false)], seconds(0))
    alarms.onValues([reading(flame, false), reading(tripped, true)], seconds(1))
    expect(firstOuts(alarms)).toEqual([`${flame}:digital`])
  })

  it('never marks an alarm outside a trip group', () => {
    const alarms = engine()
    const events = transitions(alarms.onValue(reading(pressure, 15), seconds(0)))
    expect(events[0]?.firstOut).toBe(false)
    expect(alarms.alarm(high)?.tripGroup).toBeNull()
  })
})

describe('time', () => {
  it('treats a clock that steps back as no time passing', () => {
    const alarms = engineFor([{ id: pressure, alarms: { h: { limit: 14.5, onDelayMs: 5000 } } }])
    alarms.onValue(reading(pressure, 15), seconds(10))
    expect(alarms.tick(seconds(4))).toEqual([])
    expect(alarms.tick(seconds(14.999))).toEqual([])
    expect(transitions(alarms.tick(seconds(15)))[0]?.at).toBe(seconds(15))
    // The journal never goes back in time, nor does a shelve end early.
    const acknowledged = succeeded(alarms.acknowledge(high, 'operator-7', seconds(1)))
    expect(acknowledged[0]?.at).toBe(seconds(15))
    const shelved = transitions(
      succeeded(alarms.shelve(high, 'operator-7', 'noise', 1, seconds(2))),
    )
    expect(shelved[0]?.until).toBe(seconds(75))
  })
})

describe('journal events', () => {
  it('are valid events, canonical JSON and journal inputs for a whole scenario', () => {
    const alarms = engineFor(
      [
        { id: pressure, alarms: { h: { limit: 14.5 }, tripGroup: 'b1' } },
        {
          id: 'p1.b1.tripped',
          alarms: { digital: { alarmWhen: true, kind: 'trip', priority: 'high' } },
        },
      ],
      { flood: { count: 1, windowMinutes: 1 } },
    )
    const events: AlarmEvent[] = [
      ...alarms.onValues([reading(pressure, 15), reading('p1.b1.tripped', true)], seconds(0)),
      ...alarms.onSourceState('plc-a', false, seconds(1)),
      ...succeeded(alarms.acknowledge(high, 'operator-7', seconds(2))),
      ...succeeded(alarms.comment(high, 'operator-7', 'watching it', seconds(3))),
      ...succeeded(alarms.shelve('p1.b1.tripped:digital', 'operator-7', 'test', 5, seconds(4))),
      ...succeeded(alarms.setOutOfService(high, 'engineer-2', 'calibration', seconds(5))),
      ...succeeded(alarms.returnToService(high, 'engineer-2', seconds(6))),
      ...alarms.tick(seconds(600)),
    ]
    const types = events.map((event) => event.type)
    for (const type of [
      'alarm.raised',
      'alarm.acknowledged',
      'alarm.commented',
      'alarm.shelved',
      'alarm.unshelved',
      'alarm.out-of-service',
      'alarm.in-service',
      'alarm.flood-started',
      'alarm.flood-ended',
    ]) {
      expect(types, type).toContain(type)
    }
    for (const event of events) {
      expect(alarmEventSchema.safeParse(event).success, event.type).toBe(true)
      const input = alarmJournalInput(event)
      expect(journalEventInputSchema.safeParse(input).success, event.type).toBe(true)
      expect(() => canonicalJson(input), event.type).not.toThrow()
      expect(input.data).not.toHaveProperty('type')
    }
  })
})
