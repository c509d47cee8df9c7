import { describe, expect, it } from 'vitest'
import { createLivePlant, maxCatchUpMs } from '../../src/sim/live-plant'

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
