import { describe, expect, it } from 'vitest'
import {
  createProcessModel,
  distributionDeviation,
  priorityClasses,
  priorityClassTimeConstantSeconds,
  processConstants,
  saturationTemperature,
  siteLayout,
  validateLayout,
  type PlantLayout,
  type PointValue,
  type ProcessModel,
  type SiteLayout,
} from '../../src/sim/process'

// The process model's behaviour, checked against predictions computed from its own constants and
// layout: if an equation or constant changes, the prediction moves with it, and a broken dynamic
// shows as a mismatch.

const plantLayout = (plantId: string): PlantLayout => {
  const plant = siteLayout.plants.find((candidate) => candidate.id === plantId)
  if (!plant) throw new Error(`no ${plantId} in the layout`)
  return plant
}

const number = (model: ProcessModel, pointId: string): number => {
  const value = model.read(pointId)
  if (typeof value !== 'number') throw new Error(`${pointId} is not a number`)
  return value
}

/** Every value as its exact bits, so a comparison is bit-for-bit, not approximately equal. */
const bits = (snapshot: Record<string, PointValue>): Record<string, string | boolean> =>
  Object.fromEntries(
    Object.entries(snapshot).map(([id, value]) => [
      id,
      typeof value === 'number'
        ? Buffer.from(new Float64Array([value]).buffer).toString('hex')
        : value,
    ]),
  )

const totalDemand = (plant: PlantLayout) =>
  plant.consumers.reduce((sum, consumer) => sum + consumer.demand, 0)
const totalRated = (plant: PlantLayout) =>
  plant.boilers.reduce((sum, boiler) => sum + boiler.ratedSteam, 0)

/** Steps the model in 100 ms ticks until the point satisfies the test; the crossing time in s. */
function timeUntil(model: ProcessModel, test: () => boolean, limitSeconds: number): number | null {
  const startMs = model.now()
  while (model.now() - startMs < limitSeconds * 1000) {
    model.step(100)
    if (test()) return (model.now() - startMs) / 1000
  }
  return null
}

describe('site layout', () => {
  it('has three plants of 2 to 4 boilers, each with consumers in all four priority classes', () => {
    expect(siteLayout.plants.map((plant) => plant.id)).toEqual([
      'plant-001',
      'plant-002',
      'plant-003',
    ])
    for (const plant of siteLayout.plants) {
      expect(plant.boilers.length).toBeGreaterThanOrEqual(2)
      expect(plant.boilers.length).toBeLessThanOrEqual(4)
      expect(new Set(plant.consumers.map((consumer) => consumer.priorityClass))).toEqual(
        new Set(priorityClasses),
      )
      for (const consumer of plant.consumers) expect(consumer.id).toMatch(/^consumer-[a-z0-9-]+$/)
    }
    expect(() => validateLayout(siteLayout)).not.toThrow()
  })

  it('refuses a layout whose header setpoint sits too close to the safety valves', () => {
    const plant = plantLayout('plant-001')
    const broken: SiteLayout = {
      ...siteLayout,
      plants: [{ ...plant, header: { ...plant.header, pressureSetpoint: 15 } }],
    }
    expect(() => createProcessModel({ seed: 1, layout: broken })).toThrow(/85 %/)
  })
})

describe('process model: normal operation', () => {
  it('keeps the demo point ids with their units and normal values', () => {
    const model = createProcessModel({ seed: 1 })
    model.step(60_000)
    const info = new Map(model.points().map((point) => [point.id, point]))
    const expectNear = (id: string, unit: string, value: number, tolerance: number) => {
      expect(info.get(id)?.unit, id).toBe(unit)
      expect(Math.abs(number(model, id) - value), id).toBeLessThan(tolerance)
    }
    expectNear('plant-001.boiler-1.pressure', 'bar', 12.3, 0.3)
    expectNear('plant-001.boiler-1.firing-rate', '%', 68, 2)
    expectNear('plant-001.boiler-2.pressure', 'bar', 12.1, 0.3)
    expectNear('plant-001.header.pressure', 'bar', 11.8, 0.2)
    expectNear('plant-001.header.temperature', '°C', 191, 1.5)
    expectNear('plant-002.header.pressure', 'bar', 9.6, 0.2)
    expectNear('plant-002.boiler-1.pressure', 'bar', 10.2, 0.2)
    expectNear('plant-002.boiler-1.flue-temperature', '°C', 182, 3)
    expect(plantLayout('plant-001').boilers[0]?.safetyValveSetpoint).toBe(16)
    expect(plantLayout('plant-002').boilers[0]?.safetyValveSetpoint).toBe(13)
    expect(model.read('site.distribution-deviation')).toBeLessThan(0.001)
  })

  it('lists every point once, readable, with the documented id shapes and kinds', () => {
    const model = createProcessModel({ seed: 1 })
    const points = model.points()
    expect(new Set(points.map((point) => point.id)).size).toBe(points.length)
    for (const point of points) {
      const value = model.read(point.id)
      if (point.kind === 'flag') expect(typeof value, point.id).toBe('boolean')
      else expect(Number.isFinite(value), point.id).toBe(true)
    }
    const ids = new Set(points.map((point) => point.id))
    for (const suffix of [
      'pressure',
      'firing-rate',
      'firing-rate-setpoint',
      'steam-flow',
      'flue-temperature',
      'combustion-stability',
      'running',
      'auto',
    ]) {
      expect(ids.has(`plant-003.boiler-4.${suffix}`), suffix).toBe(true)
    }
    expect(ids.has('plant-002.consumer-pharmaceutical-reactor.supply-temperature')).toBe(true)
    expect(ids.has('plant-002.consumer-pharmaceutical-reactor.valve')).toBe(true)
    expect(ids.has('plant-003.header.pressure-setpoint')).toBe(true)
    expect(points.filter((point) => point.writable).map((point) => point.id)).toContain(
      'plant-001.consumer-hospital-hvac.valve',
    )
    expect(points.find((point) => point.id === 'plant-001.boiler-1.pressure')).toMatchObject({
      kind: 'measurement',
      writable: false,
    })
    expect(() => model.read('plant-009.boiler-1.pressure')).toThrow(/no point/)
  })

  it('computes header temperature as saturation temperature (steam tables within 1 °C)', () => {
    expect(saturationTemperature(1.01325)).toBeCloseTo(100, 0)
    expect(Math.abs(saturationTemperature(10) - 179.9)).toBeLessThan(1)
    expect(Math.abs(saturationTemperature(20) - 212.4)).toBeLessThan(1)
  })

  it('follows a manual firing setpoint with the documented 30 s first-order lag', () => {
    const model = createProcessModel({ seed: 4 })
    expect(model.write('plant-001.boiler-1.auto', false)).toEqual({ ok: true })
    const before = number(model, 'plant-001.boiler-1.firing-rate-setpoint')
    expect(model.write('plant-001.boiler-1.firing-rate-setpoint', 40)).toEqual({ ok: true })
    model.step(processConstants.firingTimeConstant * 1000)
    const expected = 40 + (before - 40) * Math.exp(-1)
    expect(Math.abs(number(model, 'plant-001.boiler-1.firing-rate') - expected)).toBeLessThan(0.6)
  })
})

describe('process model: fuel loss', () => {
  it('bleeds the header and cools consumers along the closed-form decay', () => {
    const plant = plantLayout('plant-001')
    const model = createProcessModel({ seed: 7 })
    model.step(60_000)
    const designPressure = plant.header.pressureSetpoint
    const startPressure = number(model, 'plant-001.header.pressure')
    const consumers = plant.consumers.slice(0, 2) // life safety and product safety
    const startTemperatures = consumers.map((consumer) =>
      number(model, `plant-001.${consumer.id}.supply-temperature`),
    )
    expect(model.applyFault({ id: 'gas', kind: 'fuel-loss', plantId: 'plant-001' })).toEqual({
      ok: true,
    })

    // With no steam in and a draw proportional to pressure, the header decays exponentially with
    // τh = 3.6·K·p_design / D₀. A consumer's target temperature follows the header (h = p/p_design),
    // so its temperature is the response of a first-order lag τc to an exponential input:
    //   u(t) = B·e^(−t/τh) + (u₀ − B)·e^(−t/τc),  B = A·h₀·τh / (τh − τc),  u = T − T_ambient.
    const headerTau = (3.6 * plant.header.storage * designPressure) / totalDemand(plant)
    const ambient = siteLayout.ambientTemperature
    let elapsed = 0
    for (const time of [30, 120, 300, 600, 1200]) {
      model.step((time - elapsed) * 1000)
      elapsed = time
      expect(model.read('plant-001.boiler-1.running')).toBe(false)
      expect(model.read('plant-001.boiler-2.steam-flow')).toBe(0)
      const predictedPressure = startPressure * Math.exp(-time / headerTau)
      expect(
        Math.abs(number(model, 'plant-001.header.pressure') - predictedPressure),
        `header at ${time} s`,
      ).toBeLessThan(0.01 * predictedPressure + 0.06)
      for (const [index, consumer] of consumers.entries()) {
        const consumerTau = priorityClassTimeConstantSeconds[consumer.priorityClass]
        const amplitude = consumer.supplyTemperature - ambient
        const start = (startTemperatures[index] ?? NaN) - ambient
        const forced =
          (amplitude * (startPressure / designPressure) * headerTau) / (headerTau - consumerTau)
        const predicted =
          ambient +
          forced * Math.exp(-time / headerTau) +
          (start - forced) * Math.exp(-time / consumerTau)
        const measured = number(model, `plant-001.${consumer.id}.supply-temperature`)
        expect(Math.abs(measured - predicted), `${consumer.id} at ${time} s`).toBeLessThan(0.5)
      }
    }
    // The life-safety consumer cools fastest: after 20 minutes it has lost most of its heat.
    expect(number(model, 'plant-001.consumer-hospital-hvac.supply-temperature')).toBeLessThan(40)

    // Fuel returns: the boilers relight (no false flame-failure trip) and auto control recovers.
    expect(model.clearFault('gas')).toEqual({ ok: true })
    model.step(600_000)
    expect(model.read('plant-001.boiler-1.running')).toBe(true)
    expect(model.read('plant-001.boiler-1.tripped')).toBe(false)
    expect(Math.abs(number(model, 'plant-001.header.pressure') - designPressure)).toBeLessThan(0.6)
  })

  it('with one boiler lost, the other picks up the load in auto', () => {
    const model = createProcessModel({ seed: 8 })
    model.applyFault({ id: 'b1', kind: 'fuel-loss', plantId: 'plant-001', boilerId: 'boiler-1' })
    model.step(900_000)
    expect(model.read('plant-001.boiler-1.running')).toBe(false)
    expect(number(model, 'plant-001.boiler-2.firing-rate')).toBeGreaterThan(99)
    // 20 t/h cannot meet 27.2 t/h: the header settles where the draw matches, p_design · 20 / 27.2.
    const plant = plantLayout('plant-001')
    const settled = (plant.header.pressureSetpoint * 20) / totalDemand(plant)
    expect(Math.abs(number(model, 'plant-001.header.pressure') - settled)).toBeLessThan(0.2)
  })
})

describe('process model: over-pressure', () => {
  it('crosses 90 % and 95 % of the safety valve at the predicted times (±5 %)', () => {
    const plant = plantLayout('plant-001')
    const boiler = plant.boilers[0]
    if (!boiler) throw new Error('plant-001 has no boiler')
    const model = createProcessModel({ seed: 3 })
    const firing = (totalDemand(plant) / totalRated(plant)) * 100 // the design firing rate
    for (const { id } of plant.boilers) {
      model.applyFault({
        id: `${id}-stuck`,
        kind: 'firing-stuck',
        plantId: 'plant-001',
        boilerId: id,
        percent: firing,
      })
    }
    model.step(120_000) // let any firing difference die out (four time constants)
    const startPressure = number(model, 'plant-001.header.pressure')
    const dropPercent = 35
    model.applyFault({ id: 'drop', kind: 'demand-drop', plantId: 'plant-001', dropPercent })

    // Supply S is unchanged; the draw falls to D' = 0.65·D₀ at design pressure, so the header heads
    // for p_eq = p_design·S/D' with τ = 3.6·K·p_design/D'. The drum sits lineDrop·(S_b/R_b)² above.
    const design = plant.header.pressureSetpoint
    const supply = (totalRated(plant) * firing) / 100
    const draw = totalDemand(plant) * (1 - dropPercent / 100)
    const equilibrium = (design * supply) / draw
    const tau = (3.6 * plant.header.storage * design) / draw
    const lineDrop = boiler.lineDropAtRated * (firing / 100) ** 2
    const predict = (fraction: number) => {
      const headerAtCrossing = fraction * boiler.safetyValveSetpoint - lineDrop
      return tau * Math.log((equilibrium - startPressure) / (equilibrium - headerAtCrossing))
    }
    expect(equilibrium + lineDrop).toBeGreaterThan(boiler.safetyValveSetpoint) // it would overshoot

    const drum = () => number(model, 'plant-001.boiler-1.pressure')
    const at90 = timeUntil(model, () => drum() > 0.9 * boiler.safetyValveSetpoint, 600)
    const seconds90 = at90 ?? NaN
    const at95 = timeUntil(model, () => drum() > 0.95 * boiler.safetyValveSetpoint, 600)
    const seconds95 = seconds90 + (at95 ?? NaN)
    expect(Math.abs(seconds90 - predict(0.9)) / predict(0.9)).toBeLessThan(0.05)
    expect(Math.abs(seconds95 - predict(0.95)) / predict(0.95)).toBeLessThan(0.05)

    // The safety valve then holds the drum just above its set pressure, within the accumulation.
    model.step(300_000)
    expect(drum()).toBeGreaterThan(boiler.safetyValveSetpoint - 0.1)
    expect(drum()).toBeLessThan(
      boiler.safetyValveSetpoint + processConstants.safetyValveAccumulation,
    )
  })

  it('in auto, returns the header near its setpoint after a demand step', () => {
    const plant = plantLayout('plant-001')
    const model = createProcessModel({ seed: 5 })
    model.step(120_000)
    const setpoint = number(model, 'plant-001.header.pressure-setpoint')
    model.applyFault({ id: 'drop', kind: 'demand-drop', plantId: 'plant-001', dropPercent: 20 })
    let peak = 0
    for (let second = 0; second < 300; second++) {
      model.step(1000)
      peak = Math.max(peak, number(model, 'plant-001.header.pressure'))
    }
    expect(peak).toBeGreaterThan(setpoint + 0.3) // the step really disturbed the header
    model.step(600_000)
    let sum = 0
    for (let second = 0; second < 60; second++) {
      model.step(1000)
      sum += number(model, 'plant-001.header.pressure')
    }
    expect(Math.abs(sum / 60 - setpoint)).toBeLessThan(0.1)
    // Firing settled where supply meets the lower demand: 80 % of the design firing rate.
    const designFiring = (totalDemand(plant) / totalRated(plant)) * 100
    expect(
      Math.abs(number(model, 'plant-001.boiler-1.firing-rate-setpoint') - 0.8 * designFiring),
    ).toBeLessThan(1.5)
  })

  it('follows a new header pressure setpoint', () => {
    const model = createProcessModel({ seed: 6 })
    expect(model.write('plant-002.header.pressure-setpoint', 10.5)).toEqual({ ok: true })
    model.step(900_000)
    expect(Math.abs(number(model, 'plant-002.header.pressure') - 10.5)).toBeLessThan(0.1)
  })
})

describe('process model: combustion instability', () => {
  it('drives the stability index below 0.6 and pulses the firing, without tripping', () => {
    const model = createProcessModel({ seed: 9 })
    model.applyFault({
      id: 'flame',
      kind: 'combustion-instability',
      plantId: 'plant-002',
      boilerId: 'boiler-1',
      depth: 0.5,
      periodSeconds: 8,
    })
    const stability: number[] = []
    const firing: number[] = []
    for (let tick = 0; tick < 1200; tick++) {
      model.step(100)
      stability.push(number(model, 'plant-002.boiler-1.combustion-stability'))
      firing.push(number(model, 'plant-002.boiler-1.firing-rate'))
    }
    expect(Math.min(...stability.slice(0, 150))).toBeLessThan(0.6) // within 15 s
    expect(Math.min(...stability)).toBeGreaterThan(processConstants.flameFailureStability)
    expect(Math.max(...stability.slice(200))).toBeGreaterThan(0.7) // it oscillates, not just falls
    expect(Math.max(...firing.slice(200)) - Math.min(...firing.slice(200))).toBeGreaterThan(5)
    expect(model.read('plant-002.boiler-1.running')).toBe(true)
    expect(number(model, 'plant-002.boiler-2.combustion-stability')).toBeGreaterThan(0.9)
  })

  it('trips the boiler on flame failure when it gets worse, until an operator resets it', () => {
    const model = createProcessModel({ seed: 9 })
    model.applyFault({
      id: 'flame',
      kind: 'combustion-instability',
      plantId: 'plant-002',
      boilerId: 'boiler-1',
      depth: 0.85,
    })
    const tripAt = timeUntil(model, () => model.read('plant-002.boiler-1.tripped') === true, 60)
    expect(tripAt).not.toBeNull()
    expect(tripAt ?? Infinity).toBeLessThan(15)
    model.step(1000)
    expect(model.read('plant-002.boiler-1.running')).toBe(false)
    expect(model.read('plant-002.boiler-1.firing-rate')).toBe(0)
    expect(model.read('plant-002.boiler-1.steam-flow')).toBe(0)
    model.clearFault('flame')
    model.step(60_000)
    expect(model.read('plant-002.boiler-1.tripped')).toBe(true) // a trip latches
    expect(model.write('plant-002.boiler-1.tripped', false)).toEqual({ ok: true })
    model.step(10_000)
    expect(model.read('plant-002.boiler-1.running')).toBe(true)
    expect(number(model, 'plant-002.boiler-1.combustion-stability')).toBeGreaterThan(0.9)
  })
})

describe('process model: distribution drift', () => {
  it('defines the deviation as the worst relative gap between delivered and demand shares', () => {
    expect(
      distributionDeviation([
        { demand: 1, delivered: 1 },
        { demand: 3, delivered: 3 },
      ]),
    ).toBe(0)
    // Shares 0.4/0.6 delivered against 0.25/0.75 demanded: consumer one gets 60 % more than its share.
    expect(
      distributionDeviation([
        { demand: 1, delivered: 2 },
        { demand: 3, delivered: 3 },
      ]),
    ).toBeCloseTo(60, 10)
    expect(distributionDeviation([{ demand: 1, delivered: 0 }])).toBe(0) // no delivery, no distribution
  })

  it('passes 20 % deviation at the time the drift rate predicts', () => {
    const plant = plantLayout('plant-003')
    const rate = 2 // % of each valve's optimal opening per minute
    const model = createProcessModel({ seed: 1 })
    model.applyFault({ id: 'drift', kind: 'drift', plantId: 'plant-003', percentPerMinute: rate })
    // Valve i opens to optimal·(1 + sᵢ·a), a = rate·minutes/100, sᵢ alternating +1, −1. With demand
    // weights wᵢ and m = Σ wᵢ·sᵢ, delivered/demand share = (1 + sᵢ·a)/(1 + m·a), so the deviation
    // is a·(1 + |m|)/(1 + m·a). Solve for 20 %.
    const demand = totalDemand(plant)
    const m = plant.consumers.reduce(
      (sum, consumer, index) => sum + ((index % 2 === 0 ? 1 : -1) * consumer.demand) / demand,
      0,
    )
    const a = 0.2 / (1 + Math.abs(m) - 0.2 * m)
    const predictedSeconds = ((a * 100) / rate) * 60
    const crossing = timeUntil(
      model,
      () => number(model, 'site.distribution-deviation') > 20,
      predictedSeconds * 2,
    )
    expect(crossing).not.toBeNull()
    expect(Math.abs((crossing ?? 0) - predictedSeconds) / predictedSeconds).toBeLessThan(0.02)
    expect(number(model, 'plant-003.distribution-deviation')).toBeGreaterThan(20)
    expect(number(model, 'plant-001.distribution-deviation')).toBeLessThan(0.001)
    // Re-applying the optimal (last-known-good) openings puts the distribution right.
    model.clearFault('drift')
    for (const consumer of plant.consumers) {
      expect(model.write(`plant-003.${consumer.id}.valve`, consumer.valve)).toEqual({ ok: true })
    }
    expect(number(model, 'site.distribution-deviation')).toBeLessThan(1e-9)
  })
})

describe('process model: determinism', () => {
  const script = (model: ProcessModel, chunks: number[]): Record<string, string | boolean>[] => {
    const series: Record<string, string | boolean>[] = []
    const advance = (totalMs: number) => {
      let done = 0
      for (let index = 0; done < totalMs; index++) {
        const chunk = Math.min(chunks[index % chunks.length] ?? 100, totalMs - done)
        model.step(chunk)
        done += chunk
      }
      series.push(bits(model.snapshot()))
    }
    advance(10_000)
    model.applyFault({
      id: 'flame',
      kind: 'combustion-instability',
      plantId: 'plant-001',
      boilerId: 'boiler-2',
    })
    model.write('plant-001.boiler-1.auto', false)
    model.write('plant-001.boiler-1.firing-rate-setpoint', 80)
    advance(10_000)
    model.applyFault({ id: 'drift', kind: 'drift', plantId: 'plant-002', percentPerMinute: 5 })
    model.applyFault({ id: 'gas', kind: 'fuel-loss', plantId: 'plant-003' })
    advance(10_000)
    model.clearFault('gas')
    advance(10_000)
    return series
  }

  it('gives a bit-identical series for the same seed and script', () => {
    const first = script(createProcessModel({ seed: 42 }), [1000])
    const second = script(createProcessModel({ seed: 42 }), [1000])
    expect(second).toEqual(first)
  })

  it('does not depend on how time is chunked', () => {
    const byTen = createProcessModel({ seed: 11 })
    const byHundred = createProcessModel({ seed: 11 })
    for (let index = 0; index < 10; index++) byTen.step(1000)
    for (let index = 0; index < 100; index++) byHundred.step(100)
    expect(bits(byHundred.snapshot())).toEqual(bits(byTen.snapshot()))
    expect(byHundred.now()).toBe(byTen.now())
    // Irregular chunks, with faults and writes in between, too.
    expect(script(createProcessModel({ seed: 12 }), [37, 250, 13, 700, 1000])).toEqual(
      script(createProcessModel({ seed: 12 }), [1000]),
    )
  })

  it('changes the noise, not the dynamics, with a different seed', () => {
    const one = createProcessModel({ seed: 1 })
    const two = createProcessModel({ seed: 2 })
    one.step(60_000)
    two.step(60_000)
    const measurements = one.points().filter((point) => point.kind === 'measurement')
    const differing = measurements.filter((point) => one.read(point.id) !== two.read(point.id))
    expect(differing.length).toBeGreaterThan(measurements.length * 0.8)
    for (const id of ['plant-001.header.pressure', 'plant-002.boiler-1.pressure']) {
      expect(Math.abs(number(one, id) - number(two, id))).toBeLessThan(0.2)
    }
  })
})

describe('process model: writes and faults', () => {
  it('refuses writes outside ranges, to read-only points, of the wrong type, and in auto', () => {
    const model = createProcessModel({ seed: 1 })
    const error = (pointId: string, value: PointValue) => {
      const outcome = model.write(pointId, value)
      if (outcome.ok) throw new Error(`${pointId} = ${String(value)} was accepted`)
      return outcome.error
    }
    expect(error('plant-001.boiler-1.firing-rate-setpoint', 50)).toMatchObject({
      code: 'in-auto',
      message: expect.stringMatching(/manual/),
    })
    expect(model.write('plant-001.boiler-1.auto', false)).toEqual({ ok: true })
    expect(error('plant-001.boiler-1.firing-rate-setpoint', 120)).toEqual({
      code: 'out-of-range',
      message:
        'plant-001.boiler-1.firing-rate-setpoint must be between 0 and 100 %; 120 was refused',
    })
    expect(error('plant-001.boiler-1.firing-rate-setpoint', -1).code).toBe('out-of-range')
    expect(error('plant-001.boiler-1.firing-rate-setpoint', Number.NaN).code).toBe('wrong-type')
    expect(error('plant-001.boiler-1.auto', 1 as unknown as boolean).code).toBe('wrong-type')
    expect(error('plant-001.header.pressure-setpoint', 14)).toMatchObject({
      code: 'out-of-range',
      message: expect.stringMatching(/between 1 and 13.6 bar/),
    })
    expect(error('plant-001.consumer-hospital-hvac.valve', 100.5).code).toBe('out-of-range')
    expect(error('plant-001.header.pressure', 10)).toMatchObject({ code: 'read-only' })
    expect(error('plant-001.boiler-1.tripped', true)).toMatchObject({ code: 'read-only' })
    expect(error('plant-001.boiler-9.auto', true)).toMatchObject({ code: 'unknown-point' })

    expect(model.write('plant-001.boiler-1.firing-rate-setpoint', 55)).toEqual({ ok: true })
    expect(model.read('plant-001.boiler-1.firing-rate-setpoint')).toBe(55)
    expect(model.write('plant-001.consumer-hospital-hvac.valve', 45)).toEqual({ ok: true })
    expect(model.read('plant-001.consumer-hospital-hvac.valve')).toBe(45)
  })

  it('refuses faults that name what the site does not have, reuse an id, or clear nothing', () => {
    const model = createProcessModel({ seed: 1 })
    const refusal = (outcome: ReturnType<ProcessModel['applyFault']>) =>
      outcome.ok ? null : outcome.error
    expect(
      refusal(model.applyFault({ id: 'x', kind: 'fuel-loss', plantId: 'plant-009' })),
    ).toMatchObject({ code: 'unknown-reference', message: expect.stringMatching(/plant-009/) })
    expect(
      refusal(
        model.applyFault({
          id: 'x',
          kind: 'firing-stuck',
          plantId: 'plant-002',
          boilerId: 'boiler-4',
        }),
      ),
    ).toMatchObject({ code: 'unknown-reference', message: expect.stringMatching(/boiler-4/) })
    expect(
      refusal(
        model.applyFault({ id: 'x', kind: 'demand-drop', plantId: 'plant-001', dropPercent: 150 }),
      ),
    ).toMatchObject({ code: 'invalid-fault', message: expect.stringMatching(/dropPercent/) })
    expect(
      model.applyFault({ id: 'x', kind: 'drift', plantId: 'plant-001', percentPerMinute: 1 }),
    ).toEqual({ ok: true })
    expect(
      refusal(model.applyFault({ id: 'x', kind: 'fuel-loss', plantId: 'plant-001' })),
    ).toMatchObject({ code: 'duplicate-fault' })
    expect(refusal(model.clearFault('nothing'))).toMatchObject({ code: 'unknown-fault' })
    expect(model.activeFaults().map((active) => active.fault.id)).toEqual(['x'])
  })

  it('records protocol faults for the servers: source down, PLC restart, link flap', () => {
    const model = createProcessModel({ seed: 1 })
    model.applyFault({ id: 'network', kind: 'source-down', plantIds: 'all' })
    expect(siteLayout.plants.map((plant) => model.endpointStatus(plant.id).answering)).toEqual([
      false,
      false,
      false,
    ])
    model.clearFault('network')
    model.applyFault({ id: 'restart', kind: 'plc-restart', plantId: 'plant-002', downSeconds: 45 })
    model.applyFault({
      id: 'flap',
      kind: 'link-flap',
      plantId: 'plant-001',
      periodSeconds: 5,
      durationSeconds: 20,
    })
    const states: string[] = []
    for (let second = 0; second < 50; second += 2.5) {
      const flap = model.endpointStatus('plant-001')
      const restart = model.endpointStatus('plant-002')
      states.push(
        `${flap.answering ? 'up' : flap.cause}/${restart.answering ? 'up' : restart.cause}`,
      )
      model.step(2500)
    }
    expect(states.slice(0, 8).map((state) => state.split('/')[0])).toEqual([
      'link-flap',
      'link-flap',
      'up',
      'up',
      'link-flap',
      'link-flap',
      'up',
      'up',
    ])
    expect(states.slice(8).every((state) => state.startsWith('up/'))).toBe(true)
    expect(states[17]).toBe('up/plc-restart') // 42.5 s
    expect(states[18]).toBe('up/up') // 45 s: the PLC is back
    expect(model.endpointStatus('plant-003')).toEqual({
      answering: true,
      cause: null,
      faultId: null,
    })
  })
})
