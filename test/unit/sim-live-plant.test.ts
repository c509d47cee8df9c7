import { describe, expect, it } from 'vitest'
import { createLivePlant, maxCatchUpMs } from '../../src/sim/live-plant'
import type { Scenario } from '../../src/sim/process'

describe('live plant', () => {
  it('advances the model by the wall-clock time between reads, starting at the first read', () => {
    let now = 1_000_000
    const plant = createLivePlant({ seed: 1, clock: () => now })
    now += 5_000 // before any read: the plant has not started yet
    plant.read('plant-001.header.pressure')
    expect(plant.model.now()).toBe(0)
    now += 2_500
    plant.read('plant-001.header.pressure')
    expect(plant.model.now()).toBe(2_500)
  })

  it('catches up at most maxCatchUpMs per read, so an idle plant answers at once', () => {
    let now = 0
    const plant = createLivePlant({ clock: () => now })
    plant.read('plant-001.header.pressure')
    now += 3_600_000
    plant.read('plant-001.header.pressure')
    expect(plant.model.now()).toBe(maxCatchUpMs)
    // A clock that steps back does not run the model backwards or stall it.
    now -= 10_000
    plant.read('plant-001.header.pressure')
    now += 1_000
    plant.read('plant-001.header.pressure')
    expect(plant.model.now()).toBe(maxCatchUpMs + 1_000)
  })

  it('lists every model point with its unit, and flags read as booleans', () => {
    const plant = createLivePlant()
    const ids = plant.points().map((point) => point.id)
    expect(ids).toContain('plant-003.boiler-4.pressure')
    expect(plant.points().find((point) => point.id === 'plant-002.header.pressure')?.unit).toBe(
      'bar',
    )
    expect(plant.read('plant-001.boiler-1.running')).toBe(true)
  })
})

describe('live plant speed and scenarios', () => {
  const gasLoss: Scenario = {
    id: 'gas-loss',
    title: 'Gas loss',
    description: 'Plant 001 loses fuel at 10 s and gets it back at 40 s.',
    runbook: 'GL-001 › test',
    severity: 'P1',
    durationSeconds: 60,
    steps: [
      { atSeconds: 10, fault: { id: 'gas', kind: 'fuel-loss', plantId: 'plant-001' } },
      { atSeconds: 40, clear: 'gas' },
    ],
    expect: [],
  }

  it('runs simulated time at the given speed', () => {
    let now = 0
    const plant = createLivePlant({ clock: () => now, speed: 20 })
    plant.catchUp()
    now += 1_500
    plant.catchUp()
    expect(plant.model.now()).toBe(30_000)
    expect(() => createLivePlant({ speed: 0 })).toThrow(/positive/)
  })

  it('applies scenario steps at their exact simulated time however late the next read is', () => {
    let now = 0
    const plant = createLivePlant({ clock: () => now })
    plant.catchUp()
    expect(plant.startScenario(gasLoss)).toEqual({ ok: true })
    now += 25_000 // one late read, 15 s after the fault fell due
    expect(plant.read('plant-001.boiler-1.running')).toBe(false)
    expect(plant.scenario()?.log()).toEqual([
      { atSeconds: 10, action: 'fault', faultId: 'gas', outcome: { ok: true } },
    ])
    // A second scenario waits for the first.
    expect(plant.startScenario(gasLoss)).toMatchObject({
      ok: false,
      error: { code: 'scenario-running' },
    })
  })

  it('stopping a scenario clears the faults it left active, and the plant relights', () => {
    let now = 0
    const plant = createLivePlant({ clock: () => now })
    plant.catchUp()
    plant.startScenario(gasLoss)
    now += 20_000
    plant.catchUp()
    expect(plant.model.activeFaults().map(({ fault }) => fault.id)).toEqual(['gas'])
    const stopped = plant.stopScenario()
    expect(stopped?.scenario.id).toBe('gas-loss')
    expect(plant.model.activeFaults()).toEqual([])
    expect(plant.scenario()).toBeNull()
    expect(plant.stopScenario()).toBeNull()
    now += 5_000
    expect(plant.read('plant-001.boiler-1.running')).toBe(true)
  })
})
