import { expect } from 'vitest'
import { noiseLevels } from '../../src/sim/process'

// Comparing what a driver decoded with what the live plant holds. The plant moves between the
// server's read and the test's, so a test reads it just before and just after the driver delivers
// and allows for how far the measurement can wander in between.

/** The standard deviation of a point's measurement noise (0 for noise-free points). */
export function noiseOf(pointId: string): number {
  if (pointId.endsWith('.header.pressure')) return noiseLevels.headerPressure
  if (pointId.endsWith('.header.temperature')) return noiseLevels.headerTemperature
  if (pointId.endsWith('.pressure')) return noiseLevels.drumPressure
  if (pointId.endsWith('.firing-rate')) return noiseLevels.firingRate
  if (pointId.endsWith('.flue-temperature')) return noiseLevels.flueTemperature
  if (pointId.endsWith('.supply-temperature')) return noiseLevels.supplyTemperature
  if (pointId.endsWith('.steam-flow')) return noiseLevels.steamFlow
  if (pointId.endsWith('.combustion-stability')) return noiseLevels.stability
  return 0
}

/**
 * How far a value may be from the plant's readings around it: the noise wanders with a 5 s time
 * constant, so within a second or so it moves well under 4 σ; the process itself is near steady
 * and moves far less. `resolution` covers the register's rounding (0.05 for tenths in an int16).
 */
export function plantTolerance(pointId: string, resolution = 0): number {
  return 4 * noiseOf(pointId) + resolution + 1e-6
}

/** Expects `value` within tolerance of the range spanned by the plant's readings before and after. */
export function expectNearPlant(
  value: unknown,
  before: number | boolean,
  after: number | boolean,
  pointId: string,
  options: { resolution?: number; label?: string } = {},
): void {
  const label = options.label ?? pointId
  if (typeof before === 'boolean' || typeof after === 'boolean') {
    // Flags do not flicker in a healthy plant: both readings agree and the value is theirs.
    expect(after, label).toBe(before)
    expect(value, label).toBe(before)
    return
  }
  expect(typeof value, label).toBe('number')
  const tolerance = plantTolerance(pointId, options.resolution)
  expect(value as number, label).toBeGreaterThanOrEqual(Math.min(before, after) - tolerance)
  expect(value as number, label).toBeLessThanOrEqual(Math.max(before, after) + tolerance)
}
