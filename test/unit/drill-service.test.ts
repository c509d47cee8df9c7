import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDrillService } from '../../src/backend/drills/drill-service'
import { silentLogger } from '../../src/backend/log/logger'
import { createLivePlant } from '../../src/sim/live-plant'
import { loadScenarioDirectory } from '../../src/sim/process'
import { ManualScheduler } from '../support/manual-scheduler'

const scenarios = await loadScenarioDirectory(resolve('resources/scenarios'))

function drillRig(plants: ReadonlySet<string> = new Set(['plant-001', 'plant-002', 'plant-003'])) {
  const scheduler = new ManualScheduler()
  const plant = createLivePlant({ clock: scheduler.now })
  const recorded: Array<{ type: string; data: Record<string, unknown> }> = []
  const drills = createDrillService({
    simulator: { plant, sourceIds: new Set(['sim-plc-1']), plants },
    unavailableReason: 'unused',
    scenarios,
    scheduler,
    logger: silentLogger,
    record: (type, data) => recorded.push({ type, data }),
  })
  return { scheduler, plant, drills, recorded }
}

describe('drill service', () => {
  it('lists the runbook scenarios with their severities', () => {
    const { drills } = drillRig()
    const catalog = drills.catalog()
    expect(catalog.available).toBe(true)
    expect(catalog.problems).toEqual([])
    expect(catalog.scenarios.map(({ id, severity }) => `${id}:${severity}`)).toContain(
      'multi-plant-cascade:P0',
    )
  })

  it('runs a scenario to its end, watches heat, and debriefs against the runbook', async () => {
    const { scheduler, plant, drills, recorded } = drillRig()
    const started = drills.start('single-plant-heat-loss', 'operator')
    expect(started.ok).toBe(true)
    expect(drills.isRunning()).toBe(true)
    expect(drills.start('plc-restart', 'operator')).toMatchObject({
      ok: false,
      error: { code: 'drill-running' },
    })

    await scheduler.advance(40_000)
    expect(plant.read('plant-001.boiler-1.running')).toBe(false)
    expect(drills.state()?.log).toEqual([
      { atSeconds: 30, action: 'fault', faultId: 'plant-001-gas-supply-lost', error: null },
    ])
    // The operator acknowledges 3 minutes after the fault struck (30 s into the drill).
    await scheduler.advance(170_000)
    drills.recordAction('acknowledged', 'header pressure low alarm acknowledged')
    const losses = drills.state()?.heatLosses ?? []
    expect(losses.map((loss) => loss.consumerId).sort()).toEqual(
      plant.model.layout.plants[0]?.consumers.map((consumer) => consumer.id).sort(),
    )
    expect(losses.every((loss) => loss.plantId === 'plant-001' && loss.restoredAt === null)).toBe(
      true,
    )

    await scheduler.advance(1_800_000)
    const ended = drills.state()
    expect(ended?.status).toBe('finished')
    expect(drills.isRunning()).toBe(false)
    const rows = ended?.debrief ?? []
    expect(rows[0]).toMatchObject({
      target: 'Acknowledge within 15 minutes (P1)',
      outcome: 'met',
      tookSeconds: 180,
    })
    // No mitigation was tried, but the drill ended 29.5 min after the fault, inside P1's 30 min.
    expect(rows[1]).toMatchObject({ outcome: 'open', tookSeconds: null })
    expect(ended?.simulatedPlants).toEqual(['plant-001', 'plant-002', 'plant-003'])
    // Fuel only came back at 20 min, so the life-safety consumer waited far beyond its 10 minutes.
    expect(rows.find((row) => row.target.includes('plant-001 Hospital HVAC'))).toMatchObject({
      outcome: 'late',
    })
    expect(scheduler.pending()).toBe(0)

    expect(recorded.map((event) => event.type)).toEqual([
      'drill.started',
      'drill.step',
      'drill.step',
      'drill.ended',
    ])
    expect(recorded.every((event) => event.data.drill === true)).toBe(true)
    expect(recorded.every((event) => event.data.drillId === ended?.id)).toBe(true)
  })

  it('ends early on request, clears the faults it applied and ignores actions afterwards', async () => {
    const { scheduler, plant, drills } = drillRig()
    drills.start('single-plant-heat-loss', 'operator')
    await scheduler.advance(60_000)
    expect(plant.model.activeFaults()).toHaveLength(1)
    const stopped = drills.stop()
    expect(stopped).toMatchObject({ ok: true, value: { status: 'stopped' } })
    expect(plant.model.activeFaults()).toEqual([])
    expect(plant.scenario()).toBeNull()
    drills.recordAction('acknowledged', 'too late')
    expect(drills.state()?.actions).toEqual([])
    expect(drills.stop()).toMatchObject({ ok: false, error: { code: 'no-drill' } })
    expect(scheduler.pending()).toBe(0)
  })

  it('on a site where only some plants are simulated, runs and judges only those', async () => {
    const { scheduler, drills } = drillRig(new Set(['plant-001']))
    expect(drills.start('multi-plant-cascade', 'operator')).toEqual({
      ok: false,
      error: {
        code: 'scenario-needs-real-plant',
        message:
          'The scenario "Multi-plant cascade heat loss" changes plant-002, plant-003, which this site reads from real PLCs, not from the simulator',
      },
    })
    // Total outage names "all" plants: it runs, on the simulated ones.
    expect(drills.start('total-scada-outage', 'operator').ok).toBe(true)
    drills.stop()
    expect(drills.start('single-plant-heat-loss', 'operator').ok).toBe(true)
    await scheduler.advance(300_000)
    const plants = new Set(drills.state()?.heatLosses.map((loss) => loss.plantId))
    expect([...plants]).toEqual(['plant-001'])
    drills.stop()
  })

  it('refuses unknown scenarios, and everything when there is no simulator, saying why', () => {
    const { drills } = drillRig()
    expect(drills.start('no-such-scenario', 'operator')).toMatchObject({
      ok: false,
      error: { code: 'unknown-scenario' },
    })
    const without = createDrillService({
      simulator: null,
      unavailableReason: 'This site has no simulated source',
      scenarios,
      scheduler: new ManualScheduler(),
      logger: silentLogger,
      record: () => {},
    })
    expect(without.catalog()).toMatchObject({
      available: false,
      reason: 'This site has no simulated source',
    })
    expect(without.start('single-plant-heat-loss', 'operator')).toEqual({
      ok: false,
      error: { code: 'no-simulator', message: 'This site has no simulated source' },
    })
  })
})
