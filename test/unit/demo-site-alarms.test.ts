import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSiteFile } from '../../src/backend/site/load'
import { siteAlarmDefinitions } from '../../src/shared/alarms/definitions'
import { createAlarmEngine } from '../../src/shared/alarms/engine'
import { alarmList } from '../../src/shared/alarms/list'
import type { AlarmTransition } from '../../src/shared/alarms/model'
import type { TagValue } from '../../src/shared/field/values'
import { createHeatMonitor, siteHeatRules, type HeatChange } from '../../src/shared/heat/status'
import {
  createProcessModel,
  createScenarioRunner,
  loadScenarioFile,
  type ProcessModel,
} from '../../src/sim/process'

// The demo site's alarms and heat rules against the simulator's process: quiet while the plants run
// normally, and telling the right story when a runbook scenario strikes.

const loaded = await loadSiteFile(resolve('resources/demo-site.yaml'))
if (!loaded.ok) throw new Error('the demo site does not load')
const { site } = loaded

function readings(model: ProcessModel, at: number): TagValue[] {
  return site.tags.map((tag) => ({
    tagId: tag.id,
    value: model.read(tag.id),
    quality: 'good',
    sourceTs: null,
    receivedTs: at,
    sourceId: tag.source,
  }))
}

/** Steps the process and feeds alarms and heat status once a second, as the backend does. */
function watch(model: ProcessModel, advance: (ms: number) => void, seconds: number, start = 0) {
  const engine = createAlarmEngine(
    siteAlarmDefinitions(site, site.alarmSettings),
    site.alarmSettings,
  )
  const heat = createHeatMonitor(siteHeatRules(site), start)
  const raised: AlarmTransition[] = []
  const heatChanges: HeatChange[] = []
  for (let second = 1; second <= seconds; second++) {
    advance(1000)
    const now = start + second * 1000
    const values = new Map(readings(model, now).map((value) => [value.tagId, value]))
    for (const event of engine.onValues([...values.values()], now)) {
      if (event.type === 'alarm.raised') raised.push(event)
    }
    heatChanges.push(...heat.update((tagId) => values.get(tagId), now))
  }
  return { engine, heat, raised, heatChanges }
}

describe('demo site alarms and heat status', () => {
  it('builds the safety alarms for every boiler and trip and flame alarms in its trip group', () => {
    const definitions = siteAlarmDefinitions(site, site.alarmSettings)
    const boilers = site.plants.flatMap((plant) =>
      plant.units.filter((unit) => unit.kind === 'boiler').map((unit) => `${plant.id}.${unit.id}`),
    )
    expect(boilers).toHaveLength(9)
    for (const boiler of boilers) {
      const ofBoiler = definitions.filter((definition) => definition.unit === boiler)
      expect(
        ofBoiler.map((definition) => definition.condition),
        boiler,
      ).toEqual(expect.arrayContaining(['overpressure', 'combustion-instability', 'digital']))
      expect(
        ofBoiler.filter((definition) => definition.tripGroup === boiler).length,
      ).toBeGreaterThanOrEqual(4)
    }
    expect(siteHeatRules(site).map((rules) => [rules.plantId, rules.consumers.length])).toEqual([
      ['plant-001', 4],
      ['plant-002', 4],
      ['plant-003', 5],
    ])
  })

  it('stays quiet and reports heat normal while the simulator runs normally', () => {
    const model = createProcessModel({ seed: 7 })
    const { engine, heat, raised } = watch(model, (ms) => model.step(ms), 600)
    expect(raised.map((event) => event.alarmId)).toEqual([])
    expect(alarmList(engine.alarms())).toEqual([])
    expect(heat.status().map((plant) => [plant.plantId, plant.state])).toEqual([
      ['plant-001', 'normal'],
      ['plant-002', 'normal'],
      ['plant-003', 'normal'],
    ])
  })

  it('single plant heat loss: flame failure first out, plant 001 lost, life safety critical', async () => {
    const scenario = await loadScenarioFile(
      resolve('resources/scenarios/single-plant-heat-loss.yaml'),
    )
    if (!scenario.ok) throw new Error('the scenario does not load')
    const model = createProcessModel({ seed: 7 })
    const runner = createScenarioRunner(model, scenario.scenario)
    const { engine, heat, raised, heatChanges } = watch(model, (ms) => runner.step(ms), 600)

    const first = raised.filter((event) => event.firstOut)
    expect(first.map((event) => event.alarmId).sort()).toEqual([
      'plant-001.boiler-1.running:digital',
      'plant-001.boiler-2.running:digital',
    ])
    // Suppressed by design: a boiler whose flame is out does not also raise its low drum pressure.
    expect(raised.map((event) => event.alarmId)).not.toContain('plant-001.boiler-1.pressure:l')
    expect(engine.alarm('plant-001.boiler-1.pressure:l')?.state).toBe('suppressed')
    expect(raised.map((event) => event.alarmId)).toEqual(
      expect.arrayContaining([
        'plant-001.header.pressure:l',
        'plant-001.consumer-hospital-hvac.supply-temperature:ll',
      ]),
    )
    expect(engine.alarm('plant-001.consumer-hospital-hvac.supply-temperature:ll')?.priority).toBe(
      'critical',
    )
    // Nothing of the other plants.
    expect(raised.filter((event) => !event.alarmId.startsWith('plant-001.'))).toEqual([])

    const plant001 = heatChanges.filter((change) => change.plantId === 'plant-001')
    expect(plant001.map((change) => change.to)).toEqual(['normal', 'degraded', 'lost'])
    const lostAt = (plant001[2]?.at ?? NaN) / 1000
    // The header falls below 5.9 bar between 125 and 155 s (the scenario's own expectation).
    expect(lostAt).toBeGreaterThan(120)
    expect(lostAt).toBeLessThan(160)
    expect(plant001[2]?.reasons.join('; ')).toMatch(/header pressure \d+(\.\d+)? below 5\.9/)
    expect(heat.status().find((plant) => plant.plantId === 'plant-002')?.state).toBe('normal')
  })
})
