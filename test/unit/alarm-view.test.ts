import { describe, expect, it } from 'vitest'
import type { AlarmPriority } from '../../src/shared/alarms/definitions'
import type { AlarmSnapshot, AlarmState } from '../../src/shared/alarms/model'
import type { PlantInfo, TagInfo } from '../../src/shared/api/contract'
import {
  acknowledgeableIds,
  alarmInPlant,
  canShelve,
  clockTime,
  hiddenAlarms,
  inFloodGroup,
  measureOf,
  pageOf,
  plantsBySource,
  refusalText,
  unitLabel,
} from '../../src/renderer/src/views/alarms/alarm-view'
import { alarmSnapshot } from '../support/alarm-snapshot'

// The alarm page's rules: what a page acknowledges, what may be shelved, which plant an alarm
// belongs to, and how a value reads against its limit.

const t0 = new Date(2026, 0, 1, 7, 5, 9).getTime()

function alarm(
  id: string,
  state: AlarmState,
  changes: Partial<AlarmSnapshot> & { priority?: AlarmPriority } = {},
): AlarmSnapshot {
  return alarmSnapshot(id, state, {
    tagId: `${id}.tag`,
    unit: 'plant-001.boiler-1',
    message: `message of ${id}`,
    active: true,
    raisedAt: t0,
    changedAt: t0,
    ...changes,
  })
}

const tag = (id: string, sourceId: string, plantId: string | null): TagInfo => ({
  id,
  name: id,
  unit: 'bar',
  sourceId,
  plantId,
  unitId: null,
  limits: null,
})

describe('acknowledging a page', () => {
  it('acknowledges only the alarms on the page that await acknowledgement', () => {
    const rows = [
      alarm('a', 'unacknowledged'),
      alarm('b', 'acknowledged'),
      alarm('c', 'returned-unacknowledged'),
    ]
    expect(acknowledgeableIds(rows)).toEqual(['a', 'c'])
  })

  it('pages the list and keeps a page past the end on the last one', () => {
    const rows = Array.from({ length: 53 }, (_, index) => index)
    expect(pageOf(rows, 0).rows).toHaveLength(25)
    expect(pageOf(rows, 2)).toEqual({ rows: [50, 51, 52], page: 2, pageCount: 3 })
    expect(pageOf(rows, 7).page, 'alarms went away under the operator').toBe(2)
    expect(pageOf([], 3)).toEqual({ rows: [], page: 0, pageCount: 1 })
  })
})

describe('shelving', () => {
  it('is never offered for a critical alarm, nor for one already out of the list', () => {
    expect(canShelve(alarm('a', 'unacknowledged'))).toBe(true)
    expect(canShelve(alarm('a', 'acknowledged', { priority: 'low' }))).toBe(true)
    expect(canShelve(alarm('a', 'unacknowledged', { priority: 'critical' }))).toBe(false)
    for (const state of ['shelved', 'suppressed', 'out-of-service', 'normal'] as const) {
      expect(canShelve(alarm('a', state)), state).toBe(false)
    }
  })
})

describe('plants', () => {
  const tags = [tag('plant-002.header.pressure', 'opcua-2', 'plant-002')]
  const sources = plantsBySource(tags)

  it('puts a unit alarm in its plant, and not in a plant whose id merely starts the same', () => {
    const boiler = alarm('a', 'unacknowledged', { unit: 'plant-001.boiler-1' })
    expect(alarmInPlant(boiler, 'plant-001', sources)).toBe(true)
    expect(alarmInPlant(boiler, 'plant-00', sources)).toBe(false)
    expect(alarmInPlant(boiler, 'plant-002', sources)).toBe(false)
  })

  it("puts a source's communication loss in every plant the source reads", () => {
    const lost = alarm('x', 'unacknowledged', { unit: null, sourceId: 'opcua-2', tagId: null })
    expect(alarmInPlant(lost, 'plant-002', sources)).toBe(true)
    expect(alarmInPlant(lost, 'plant-001', sources)).toBe(false)
  })

  it('names the plant and unit as the site does', () => {
    const plants: PlantInfo[] = [
      {
        id: 'plant-001',
        name: 'Plant 001',
        units: [
          {
            id: 'boiler-1',
            name: 'Boiler 1',
            kind: 'boiler',
            priorityClass: null,
            safetyValveSetpoint: 16,
          },
        ],
      },
    ]
    expect(unitLabel(alarm('a', 'acknowledged'), plants)).toBe('Plant 001 › Boiler 1')
    expect(unitLabel(alarm('a', 'acknowledged', { unit: 'plant-009.x' }), plants)).toBe(
      'plant-009.x',
    )
    expect(unitLabel(alarm('a', 'acknowledged', { unit: null, sourceId: 'plc-1' }), plants)).toBe(
      'Source plc-1',
    )
  })
})

describe('what the row says', () => {
  it('writes the local time as HH:MM:SS', () => {
    expect(clockTime(t0)).toBe('07:05:09')
    expect(clockTime(null)).toBe('—')
  })

  it('reads a value against its limit in the words of its condition', () => {
    const high = alarm('a', 'unacknowledged', { value: 15.3125, threshold: 15.2 })
    expect(measureOf(high, 'bar')).toEqual({ value: '15.31 bar', threshold: 'limit ≥ 15.2 bar' })
    const low = alarm('a', 'unacknowledged', { cause: 'low-limit', value: 7.9, threshold: 8 })
    expect(measureOf(low, 'bar').threshold).toBe('limit ≤ 8 bar')
    const rate = alarm('a', 'unacknowledged', {
      cause: 'rate-of-change',
      value: -2.5,
      threshold: 1.5,
    })
    expect(measureOf(rate, 'bar')).toEqual({
      value: '-2.5 bar/min',
      threshold: 'rate ≥ 1.5 bar/min',
    })
    const trip = alarm('a', 'unacknowledged', { cause: 'trip', value: true, threshold: null })
    expect(measureOf(trip, '')).toEqual({ value: 'ON', threshold: '' })
  })

  it('names refused alarms by their message', () => {
    const alarms = { a: alarm('a', 'unacknowledged') }
    expect(refusalText('Shelve', [{ alarmId: 'a', message: 'at most 60 minutes' }], alarms)).toBe(
      'Shelve refused for 1 alarm(s): message of a: at most 60 minutes',
    )
  })
})

describe('shelved and out of service', () => {
  it('lists each kind apart, the shelve that ends first at the top', () => {
    const shelve = (until: number) => ({ by: 'op', reason: 'r', at: t0, until })
    const hidden = hiddenAlarms([
      alarm('late', 'shelved', { shelved: shelve(t0 + 60_000) }),
      alarm('soon', 'shelved', { shelved: shelve(t0 + 1000) }),
      alarm('oos', 'out-of-service'),
      alarm('off', 'suppressed'),
      alarm('shown', 'unacknowledged'),
    ])
    expect(hidden.shelved.map((a) => a.id)).toEqual(['soon', 'late'])
    expect(hidden.outOfService.map((a) => a.id)).toEqual(['oos'])
    expect(hidden.suppressed.map((a) => a.id)).toEqual(['off'])
  })
})

describe('flood groups', () => {
  it('matches alarms of the same unit and cause, new ones included', () => {
    const group = { unit: 'plant-001.boiler-1', sourceId: null, cause: 'high-limit' as const }
    expect(inFloodGroup(alarm('a', 'unacknowledged'), group)).toBe(true)
    expect(inFloodGroup(alarm('b', 'unacknowledged', { cause: 'low-limit' }), group)).toBe(false)
    expect(inFloodGroup(alarm('c', 'unacknowledged', { unit: 'plant-001.boiler-2' }), group)).toBe(
      false,
    )
    const lost = { unit: null, sourceId: 'plc-1', cause: 'communication-loss' as const }
    expect(
      inFloodGroup(
        alarm('d', 'unacknowledged', {
          unit: null,
          sourceId: 'plc-1',
          cause: 'communication-loss',
        }),
        lost,
      ),
    ).toBe(true)
  })
})
