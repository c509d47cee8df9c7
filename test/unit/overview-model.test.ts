import { describe, expect, it } from 'vitest'
import type { TagInfo, UnitInfo } from '../../src/shared/api/contract'
import type { AlarmSnapshot } from '../../src/shared/alarms/model'
import type { SourceStatus, TagValue } from '../../src/shared/field/values'
import {
  barGeometry,
  barScale,
  boilerStatus,
  consumersByClass,
  excursionOf,
  flagOf,
  formatReading,
  indexAlarms,
  indexTags,
  percentOf,
  plantAlarms,
  plantComms,
  restorationWindow,
  safetyValveLimit,
  safetyValveOf,
  shortNames,
  tallyAlarms,
  trendTagIds,
  unitName,
} from '../../src/renderer/src/views/overview/overview-model'
import { alarmSnapshot } from '../support/alarm-snapshot'

const reading = (
  tagId: string,
  value: TagValue['value'],
  quality: TagValue['quality'] = 'good',
): TagValue => ({ tagId, value, quality, sourceTs: null, receivedTs: 1000, sourceId: 'plc' })

const tag = (id: string, extra: Partial<TagInfo> = {}): TagInfo => {
  const [plantId = null, unitId = null] = id.split('.')
  return {
    id,
    name: id,
    unit: '',
    sourceId: 'plc',
    plantId,
    unitId,
    limits: null,
    ...extra,
  }
}

const unit = (id: string, extra: Partial<UnitInfo> = {}): UnitInfo => ({
  id,
  name: id,
  kind: 'consumer',
  priorityClass: null,
  safetyValveSetpoint: null,
  ...extra,
})

const alarm = (id: string, extra: Partial<AlarmSnapshot> = {}): AlarmSnapshot =>
  alarmSnapshot(id, 'unacknowledged', {
    tagId: null,
    unit: null,
    priority: 'medium',
    active: true,
    raisedAt: 1,
    changedAt: 1,
    ...extra,
  })

describe('bar scales', () => {
  it('spans 0–100 for a percentage whatever its limits', () => {
    expect(barScale({ unit: '%', limits: { h: 90 } })).toEqual({ min: 0, max: 100 })
  })

  it('ends 10 % above the safety valve setpoint of a drum', () => {
    const scale = barScale({ unit: 'bar', limits: { hh: 15.2, h: 14.5 }, safetyValveSetpoint: 16 })
    expect(scale?.min).toBe(0)
    expect(scale?.max).toBeCloseTo(17.6)
  })

  it('ends a quarter above the highest high limit, or half above the highest low one', () => {
    expect(barScale({ unit: 'bar', limits: { h: 14, l: 9, ll: 7.5 } })).toEqual({
      min: 0,
      max: 17.5,
    })
    expect(barScale({ unit: '°C', limits: { l: 75, ll: 60 } })).toEqual({ min: 0, max: 112.5 })
  })

  it('has no scale when nothing says what the range is', () => {
    expect(barScale({ unit: '°C', limits: null })).toBeNull()
    expect(barScale({ unit: '°C', limits: {} })).toBeNull()
  })

  it('reaches below zero when a limit is negative', () => {
    const scale = barScale({ unit: '°C', limits: { l: -10, h: 30 } })
    expect(scale).toEqual({ min: -20, max: 40 })
  })

  it('places values between 0 and 100, pinned at the ends', () => {
    const scale = { min: 0, max: 20 }
    expect(percentOf(5, scale)).toBe(25)
    expect(percentOf(-3, scale)).toBe(0)
    expect(percentOf(25, scale)).toBe(100)
  })
})

describe('bar geometry', () => {
  it('marks the limits, the 95 % shutdown line and the safety valve of a drum', () => {
    const geometry = barGeometry({
      value: 12,
      unit: 'bar',
      limits: { hh: 15.2, h: 14.5, l: 8, ll: 6 },
      safetyValveSetpoint: 16,
    })
    expect(geometry?.pointer).toBeCloseTo((12 / 17.6) * 100)
    expect(geometry?.offScale).toBeNull()
    const marks = Object.fromEntries(geometry?.marks.map((mark) => [mark.kind, mark.value]) ?? [])
    expect(marks).toEqual({
      ll: 6,
      l: 8,
      h: 14.5,
      hh: 15.2,
      'safety-valve-95': 15.2,
      'safety-valve': 16,
    })
    expect(geometry?.band?.from).toBeCloseTo((8 / 17.6) * 100)
    expect(geometry?.band?.to).toBeCloseTo((14.5 / 17.6) * 100)
  })

  it('takes the normal band to the end of the scale when there are only low limits', () => {
    const geometry = barGeometry({ value: 82, unit: '°C', limits: { l: 75, ll: 60 } })
    expect(geometry?.band?.to).toBe(100)
    expect(geometry?.band?.from).toBeCloseTo((75 / 112.5) * 100)
  })

  it('draws no band without limits, and the setpoint when it is on the scale', () => {
    const geometry = barGeometry({ value: 60, unit: '%', limits: null, setpoint: 65 })
    expect(geometry?.band).toBeNull()
    expect(geometry?.marks).toEqual([{ kind: 'setpoint', value: 65, percent: 65 }])
  })

  it('says when the reading is off the scale, with the pointer at that end', () => {
    const above = barGeometry({ value: 130, unit: '%', limits: null })
    expect(above?.pointer).toBe(100)
    expect(above?.offScale).toBe('above')
    const below = barGeometry({ value: -4, unit: '%', limits: null })
    expect(below?.pointer).toBe(0)
    expect(below?.offScale).toBe('below')
  })

  it('has no pointer without a number', () => {
    const geometry = barGeometry({ value: null, unit: '%', limits: null })
    expect(geometry?.pointer).toBeNull()
    expect(geometry?.offScale).toBeNull()
  })
})

describe('limits', () => {
  const limits = { hh: 15.2, h: 14.5, l: 8, ll: 6 }

  it('names the worst limit a trusted reading is at or beyond', () => {
    expect(excursionOf(reading('p', 12), limits)).toBeNull()
    expect(excursionOf(reading('p', 14.5), limits)?.label).toBe('H')
    expect(excursionOf(reading('p', 15.3), limits)).toEqual({
      level: 'hh',
      severity: 'alarm',
      label: 'HH',
      meaning: 'at or above its HH limit',
    })
    expect(excursionOf(reading('p', 7), limits)).toMatchObject({
      level: 'l',
      severity: 'warning',
      meaning: 'at or below its L limit',
    })
    expect(excursionOf(reading('p', 6), limits)?.label).toBe('LL')
  })

  it('puts 95 % of the safety valve above every limit (GL-001 shutdown)', () => {
    const valve = 13
    expect(safetyValveLimit(valve)).toBe(12.35)
    expect(excursionOf(reading('p', 12.36), { hh: 12.4, h: 11.8 }, valve)).toMatchObject({
      level: 'safety-valve',
      severity: 'alarm',
      label: 'SV',
    })
    expect(excursionOf(reading('p', 12.3), { hh: 12.4, h: 11.8 }, valve)?.label).toBe('H')
  })

  it('does not judge a stale or bad reading, nor a flag', () => {
    expect(excursionOf(reading('p', 20, 'stale'), limits)).toBeNull()
    expect(excursionOf(reading('p', 20, 'bad'), limits)).toBeNull()
    expect(excursionOf(reading('p', 20, 'uncertain'), limits)?.label).toBe('HH')
    expect(excursionOf(reading('p', true), limits)).toBeNull()
  })
})

describe('boilers', () => {
  const stability = { l: 0.7, ll: 0.4 }
  const boiler = (points: Record<string, TagValue['value']>, quality?: TagValue['quality']) => {
    const values = new Map(
      Object.entries(points).map(([point, value]) => [
        `plant-001.boiler-1.${point}`,
        reading(point, value, quality),
      ]),
    )
    return boilerStatus('plant-001', 'boiler-1', (tagId) => values.get(tagId), stability)
  }

  it('is firing in auto with its flame on', () => {
    expect(boiler({ running: true, tripped: false, auto: true })).toEqual({
      state: 'firing',
      mode: 'auto',
      unstable: null,
    })
  })

  it('is tripped whatever its flame says, and off with the flame out', () => {
    expect(boiler({ running: true, tripped: true }).state).toBe('tripped')
    expect(boiler({ running: false, tripped: false, auto: false })).toMatchObject({
      state: 'off',
      mode: 'manual',
    })
  })

  it('reads register flags, non-zero as true', () => {
    expect(boiler({ running: 1, tripped: 0, auto: 0 })).toMatchObject({
      state: 'firing',
      mode: 'manual',
    })
  })

  it('says unknown rather than guess when a flag is missing or unreadable', () => {
    expect(boiler({})).toEqual({ state: 'unknown', mode: 'unknown', unstable: null })
    expect(boiler({ running: null, auto: null }, 'bad')).toMatchObject({
      state: 'unknown',
      mode: 'unknown',
    })
  })

  it('is unstable with its stability at a low limit, but only while lit', () => {
    expect(boiler({ running: true, 'combustion-stability': 0.6 }).unstable?.label).toBe('L')
    expect(boiler({ running: true, 'combustion-stability': 0.3 }).unstable?.severity).toBe('alarm')
    expect(boiler({ running: false, 'combustion-stability': 0 }).unstable).toBeNull()
  })

  it('finds the drum its safety valve guards', () => {
    expect(
      safetyValveOf('plant-001', unit('boiler-1', { kind: 'boiler', safetyValveSetpoint: 16 })),
    ).toEqual({ tagId: 'plant-001.boiler-1.pressure', setpoint: 16 })
    expect(safetyValveOf('plant-001', unit('header', { kind: 'header' }))).toBeNull()
  })
})

describe('consumers', () => {
  it('come life safety first, in site order within a class, unclassified last', () => {
    const units = [
      unit('line', { priorityClass: 'production' }),
      unit('boiler-1', { kind: 'boiler' }),
      unit('hospital', { priorityClass: 'life-safety' }),
      unit('spare'),
      unit('food', { priorityClass: 'product-safety' }),
      unit('personnel', { priorityClass: 'life-safety' }),
    ]
    expect(
      consumersByClass(units).map((group) => [
        group.priorityClass,
        group.consumers.map((consumer) => consumer.id),
      ]),
    ).toEqual([
      ['life-safety', ['hospital', 'personnel']],
      ['product-safety', ['food']],
      ['production', ['line']],
      [null, ['spare']],
    ])
  })

  it('say their restoration window as an operator would', () => {
    expect(restorationWindow('life-safety')).toBe('10 min')
    expect(restorationWindow('equipment-protection')).toBe('60 min')
    expect(restorationWindow('production')).toBe('4 h')
  })
})

describe('alarms and sources per plant and unit', () => {
  const alarms = indexAlarms({
    a: alarm('a', { unit: 'plant-001.boiler-1', priority: 'high', state: 'acknowledged' }),
    b: alarm('b', { unit: 'plant-001.boiler-1', priority: 'critical' }),
    c: alarm('c', { unit: 'plant-001.header', state: 'normal' }),
    d: alarm('d', { unit: 'plant-0011.header' }),
    e: alarm('e', { sourceId: 'sim-ua-2', condition: 'communication-loss' }),
    f: alarm('f', { unit: 'plant-001.boiler-1', priority: 'low', state: 'shelved' }),
  })

  it('counts the annunciated alarms of a unit with the worst priority', () => {
    expect(tallyAlarms(alarms.byUnit.get('plant-001.boiler-1') ?? [])).toEqual({
      annunciated: 2,
      unacknowledged: 1,
      highest: 'critical',
    })
    expect(tallyAlarms(alarms.byUnit.get('plant-001.header') ?? [])).toEqual({
      annunciated: 0,
      unacknowledged: 0,
      highest: null,
    })
  })

  it("gives a plant its units' alarms and its sources' communication loss, nobody else's", () => {
    const ids = (list: AlarmSnapshot[]) => list.map((one) => one.id).sort()
    expect(ids(plantAlarms(alarms, 'plant-001', ['sim-plc-1']))).toEqual(['a', 'b', 'c', 'f'])
    expect(ids(plantAlarms(alarms, 'plant-002', ['sim-ua-2']))).toEqual(['e'])
  })

  it("says which of a plant's sources are lost or still connecting", () => {
    const sources: SourceStatus[] = [
      {
        id: 'b',
        protocol: 'opcua',
        endpoint: 'x',
        state: 'disconnected',
        lastError: 'refused',
        since: 0,
        simulated: true,
      },
      {
        id: 'a',
        protocol: 'opcua',
        endpoint: 'y',
        state: 'connected',
        lastError: null,
        since: 0,
        simulated: true,
      },
    ]
    const tags = [
      tag('p.u.x', { sourceId: 'b' }),
      tag('p.u.y', { sourceId: 'a' }),
      tag('p.u.z', { sourceId: 'c' }),
      tag('p.u.w', { sourceId: 'b' }),
    ]
    expect(plantComms(tags, sources)).toEqual({
      sourceIds: ['a', 'b', 'c'],
      lost: ['b'],
      connecting: ['c'],
    })
  })
})

describe('tags', () => {
  it('index by plant and unit, keeping tags of no plant apart', () => {
    const index = indexTags([
      tag('plant-001.boiler-1.pressure'),
      tag('plant-001.boiler-1.running'),
      tag('plant-001.loose', { unitId: null }),
      tag('elsewhere', { plantId: null, unitId: null }),
    ])
    expect(index.byUnit.get('plant-001.boiler-1')?.map((one) => one.id)).toEqual([
      'plant-001.boiler-1.pressure',
      'plant-001.boiler-1.running',
    ])
    expect(index.byPlant.get('plant-001')).toHaveLength(3)
    expect(index.unplaced.map((one) => one.id)).toEqual(['elsewhere'])
    expect(index.byId.get('plant-001.loose')?.unitId).toBeNull()
  })

  it('trend the numeric ones: by their reading, else by a unit or limits', () => {
    const tags = [
      tag('u.pressure', { unit: 'bar' }),
      tag('u.running'),
      tag('u.stability', { limits: { l: 0.7 } }),
      tag('u.count'),
      tag('u.mode'),
    ]
    const values = new Map([
      ['u.running', reading('u.running', true)],
      ['u.count', reading('u.count', 3)],
      ['u.mode', reading('u.mode', 'remote')],
    ])
    expect(trendTagIds(tags, (tagId) => values.get(tagId))).toEqual([
      'u.pressure',
      'u.stability',
      'u.count',
    ])
  })

  it('lose the words every name of the unit starts with, never a whole name', () => {
    const names = shortNames([
      tag('a', { name: 'Boiler 1 drum pressure' }),
      tag('b', { name: 'Boiler 1 firing rate' }),
      tag('c', { name: 'Boiler 1 tripped' }),
    ])
    expect([...names.values()]).toEqual(['Drum pressure', 'Firing rate', 'Tripped'])
    expect([...shortNames([tag('a', { name: 'Boiler 1 drum pressure' })]).values()]).toEqual([
      'Boiler 1 drum pressure',
    ])
    expect([
      ...shortNames([
        tag('a', { name: 'Steam header pressure' }),
        tag('b', { name: 'Steam header pressure setpoint' }),
      ]).values(),
    ]).toEqual(['Pressure', 'Pressure setpoint'])
  })

  it('format readings as every page shows them', () => {
    expect(formatReading(12.345)).toBe('12.35')
    expect(formatReading(191.04)).toBe('191.0')
    expect(formatReading(false)).toBe('OFF')
    expect(formatReading(null)).toBe('—')
    expect(flagOf(reading('x', 2))).toBe(true)
    expect(flagOf(reading('x', 'on'))).toBeNull()
  })

  it('name units in words when the site gives only an id', () => {
    expect(unitName(unit('boiler-1'))).toBe('Boiler 1')
    expect(unitName(unit('consumer-hospital-hvac', { name: 'Hospital HVAC' }))).toBe(
      'Hospital HVAC',
    )
  })
})
