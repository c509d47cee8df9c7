import { describe, expect, it } from 'vitest'
import {
  alarmSettingsSchema,
  tagAlarmDefinitions,
  tagAlarmsSchema,
} from '../../src/shared/alarms/definitions'
import { createAlarmEngine, type AlarmEngine } from '../../src/shared/alarms/engine'
import { floodStatusSchema, type AlarmEvent, type FloodEvent } from '../../src/shared/alarms/model'
import type { TagValue } from '../../src/shared/field/values'

// Alarm floods (ISA-18.2 §16.5): more than 10 alarms in 10 minutes per operator position, on fake
// time.

const t0 = Date.UTC(2026, 0, 1)
const minutes = (n: number) => t0 + n * 60_000

function reading(tagId: string, value: number): TagValue {
  return { tagId, value, quality: 'good', sourceTs: null, receivedTs: t0, sourceId: 'plc-a' }
}

/** Twenty high-limit tags over four units: `p1.u<unit>.t<n>`, alarm at 100. */
const tagIds = Array.from({ length: 20 }, (_, index) => `p1.u${index % 4}.t${index}`)

function engine(settings: unknown = {}): AlarmEngine {
  const definitions = tagIds.flatMap((id) =>
    tagAlarmDefinitions({ id, alarms: tagAlarmsSchema.parse({ h: { limit: 100 } }) }),
  )
  return createAlarmEngine(definitions, alarmSettingsSchema.parse(settings))
}

const floodEvents = (events: readonly AlarmEvent[]): FloodEvent[] =>
  events.filter((event): event is FloodEvent => event.type.startsWith('alarm.flood-'))

/** Raises the alarm of tagIds[index] at the given time; returns the flood events of that call. */
function raise(alarms: AlarmEngine, index: number, at: number): FloodEvent[] {
  const tagId = tagIds[index]
  if (tagId === undefined) throw new Error(`no tag ${index}`)
  return floodEvents(alarms.onValue(reading(tagId, 150), at))
}

describe('alarm flood', () => {
  it('is no flood at 10 alarms in 10 minutes, and starts on the 11th', () => {
    const alarms = engine()
    for (let index = 0; index < 10; index++) {
      expect(raise(alarms, index, minutes(index * 0.9))).toEqual([])
    }
    expect(alarms.floodStatus()).toMatchObject({ inFlood: false, countInWindow: 10 })
    const started = raise(alarms, 10, minutes(9.5))
    expect(started).toEqual([
      {
        type: 'alarm.flood-started',
        at: minutes(9.5),
        actor: 'system',
        countInWindow: 11,
        threshold: 10,
        windowMinutes: 10,
        startedAt: minutes(9.5),
        durationMs: null,
        timeInFloodMs: 0,
      },
    ])
    expect(alarms.floodStatus()).toMatchObject({ inFlood: true, since: minutes(9.5), floods: 1 })
  })

  it('is no flood when the 11th alarm comes after the first has left the window', () => {
    const alarms = engine()
    for (let index = 0; index < 10; index++) raise(alarms, index, minutes(index))
    // The window is (now − 10 min, now]: at minute 10 the alarm of minute 0 is out.
    expect(raise(alarms, 10, minutes(10))).toEqual([])
    expect(alarms.floodStatus().countInWindow).toBe(10)
  })

  it('counts re-annunciations of one alarm, not only distinct alarms', () => {
    const alarms = engine()
    const tagId = tagIds[0] ?? ''
    const events: AlarmEvent[] = []
    for (let round = 0; round < 6; round++) {
      events.push(...alarms.onValue(reading(tagId, 150), minutes(round)))
      events.push(...alarms.onValue(reading(tagId, 50), minutes(round + 0.5)))
    }
    // Six raises: no flood; chattering alarms feed floods, but it takes more than ten.
    expect(floodEvents(events)).toEqual([])
    expect(alarms.floodStatus().ratePer10Minutes).toBe(6)
  })

  it('ends when the count in the window falls to the threshold, and adds up the time in flood', () => {
    const alarms = engine()
    for (let index = 0; index < 12; index++) raise(alarms, index, minutes(index * 0.5))
    // 12 alarms between minute 0 and 5.5; the flood began with the 11th at minute 5.
    expect(alarms.floodStatus()).toMatchObject({ inFlood: true, since: minutes(5) })
    // At minute 10.5 the alarms of minutes 0 and 0.5 have left: 10 remain, the flood is over.
    expect(floodEvents(alarms.tick(minutes(10)))).toEqual([])
    expect(alarms.floodStatus().countInWindow).toBe(11)
    const ended = floodEvents(alarms.tick(minutes(10.5)))
    expect(ended).toEqual([
      {
        type: 'alarm.flood-ended',
        at: minutes(10.5),
        actor: 'system',
        countInWindow: 10,
        threshold: 10,
        windowMinutes: 10,
        startedAt: minutes(5),
        durationMs: 5.5 * 60_000,
        timeInFloodMs: 5.5 * 60_000,
      },
    ])
    expect(alarms.floodStatus()).toMatchObject({
      inFlood: false,
      since: null,
      timeInFloodMs: 5.5 * 60_000,
      floods: 1,
    })
  })

  it('measures time in flood across floods, the running one included', () => {
    const alarms = engine({ flood: { count: 2, windowMinutes: 1 } })
    for (let index = 0; index < 3; index++) raise(alarms, index, minutes(index * 0.1))
    alarms.tick(minutes(1.1)) // the window (0.1, 1.1] holds 1 alarm: over after 0.9 min
    expect(alarms.floodStatus()).toMatchObject({ inFlood: false, timeInFloodMs: 0.9 * 60_000 })
    for (let index = 3; index < 6; index++) raise(alarms, index, minutes(5 + index * 0.1))
    alarms.tick(minutes(6))
    const status = alarms.floodStatus()
    expect(status).toMatchObject({ inFlood: true, since: minutes(5.5), floods: 2 })
    expect(status.timeInFloodMs).toBeCloseTo((0.9 + 0.5) * 60_000, 6)
  })

  it('measures the alarm rate per 10 minutes, whatever the flood window', () => {
    const alarms = engine({ flood: { count: 3, windowMinutes: 2 } })
    for (let index = 0; index < 8; index++) raise(alarms, index, minutes(index))
    const status = alarms.floodStatus()
    expect(status.ratePer10Minutes).toBe(8)
    expect(status.countInWindow).toBe(2)
    alarms.tick(minutes(12))
    expect(alarms.floodStatus().ratePer10Minutes).toBe(5) // minutes 3 to 7 are within (2, 12]
  })

  it('does not count suppressions, acknowledgements or returns', () => {
    const definitions = tagIds.flatMap((id) =>
      tagAlarmDefinitions({
        id,
        alarms: tagAlarmsSchema.parse({
          h: { limit: 100 },
          suppressWhen: { tag: 'p1.running', equals: false },
        }),
      }),
    )
    const alarms = createAlarmEngine(definitions, alarmSettingsSchema.parse({}))
    const events = alarms.onValues(
      [reading('p1.running', 0), ...tagIds.map((id) => reading(id, 150))],
      minutes(0),
    )
    expect(events.filter((event) => event.type === 'alarm.suppressed')).toHaveLength(20)
    expect(floodEvents(events)).toEqual([])
    expect(alarms.floodStatus().ratePer10Minutes).toBe(0)
  })
  it('counts alarms that annunciate again when their suppression ends', () => {
    const definitions = tagIds.flatMap((id) =>
      tagAlarmDefinitions({
        id,
        alarms: tagAlarmsSchema.parse({
          h: { limit: 100 },
          suppressWhen: { tag: 'p1.running', equals: false },
        }),
      }),
    )
    const alarms = createAlarmEngine(definitions, alarmSettingsSchema.parse({}))
    alarms.onValues([reading('p1.running', 0), ...tagIds.map((id) => reading(id, 150))], minutes(0))
    const started = floodEvents(alarms.onValue(reading('p1.running', 1), minutes(1)))
    expect(started).toMatchObject([{ type: 'alarm.flood-started', countInWindow: 20 }])
    expect(alarms.alarm(`${tagIds[0]}:h`)?.raisedAt).toBe(minutes(1))
  })
})

describe('flood grouping', () => {
  it('groups annunciated alarms by unit and cause, first-out first, with the highest priority', () => {
    const definitions = [
      ...tagAlarmDefinitions({
        id: 'p1.b1.pressure',
        alarms: tagAlarmsSchema.parse({ hh: { limit: 15 }, h: { limit: 14 }, l: { limit: 6 } }),
      }),
      ...tagAlarmDefinitions({
        id: 'p1.b1.flue-temperature',
        alarms: tagAlarmsSchema.parse({ h: { limit: 300, priority: 'low' } }),
      }),
      ...tagAlarmDefinitions({
        id: 'p1.b2.pressure',
        alarms: tagAlarmsSchema.parse({ h: { limit: 14 } }),
      }),
    ]
    const alarms = createAlarmEngine(definitions, alarmSettingsSchema.parse({}))
    alarms.onValue(reading('p1.b2.pressure', 14.5), minutes(0))
    alarms.onValue(reading('p1.b1.flue-temperature', 320), minutes(1))
    alarms.onValue(reading('p1.b1.pressure', 15.5), minutes(2))
    alarms.onSourceState('plc-a', false, minutes(3))
    const status = alarms.floodStatus()
    expect(floodStatusSchema.safeParse(status).success).toBe(true)
    expect(status.groups).toEqual([
      {
        unit: 'p1.b2',
        sourceId: null,
        cause: 'high-limit',
        alarmIds: ['p1.b2.pressure:h'],
        firstOutAlarmId: 'p1.b2.pressure:h',
        highestPriority: 'medium',
      },
      {
        unit: 'p1.b1',
        sourceId: null,
        cause: 'high-limit',
        alarmIds: ['p1.b1.flue-temperature:h', 'p1.b1.pressure:hh', 'p1.b1.pressure:h'],
        firstOutAlarmId: 'p1.b1.flue-temperature:h',
        highestPriority: 'high',
      },
      {
        unit: null,
        sourceId: 'plc-a',
        cause: 'communication-loss',
        alarmIds: ['plc-a:communication-loss'],
        firstOutAlarmId: 'plc-a:communication-loss',
        highestPriority: 'high',
      },
    ])
  })

  it('leaves out alarms that are normal, shelved or out of service', () => {
    const definitions = tagAlarmDefinitions({
      id: 'p1.b1.pressure',
      alarms: tagAlarmsSchema.parse({ h: { limit: 14 }, l: { limit: 6 } }),
    })
    const alarms = createAlarmEngine(definitions, alarmSettingsSchema.parse({}))
    alarms.onValue(reading('p1.b1.pressure', 15), minutes(0))
    alarms.shelve('p1.b1.pressure:h', 'operator-7', 'known', 30, minutes(1))
    expect(alarms.floodStatus().groups).toEqual([])
    alarms.onSourceState('plc-a', false, minutes(2))
    alarms.setOutOfService('plc-a:communication-loss', 'engineer-2', 'link works', minutes(3))
    expect(alarms.floodStatus().groups).toEqual([])
  })
})
