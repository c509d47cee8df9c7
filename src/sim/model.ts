// The demo plant's process values. For now each point follows a slow deterministic wave with a
// little seeded noise, which is enough for a living display; the simulator issue replaces this with
// first-order dynamics and scenarios. Deterministic for a seed: value(point, t) is a pure function.

export type SimPoint = {
  id: string
  unit: string
  base: number
  /** Half the peak-to-peak swing of the slow wave. */
  swing: number
  periodMs: number
  noise: number
}

export const simPoints: SimPoint[] = [
  {
    id: 'plant-001.boiler-1.pressure',
    unit: 'bar',
    base: 12.4,
    swing: 0.6,
    periodMs: 90_000,
    noise: 0.05,
  },
  {
    id: 'plant-001.boiler-1.firing-rate',
    unit: '%',
    base: 68,
    swing: 6,
    periodMs: 120_000,
    noise: 0.4,
  },
  {
    id: 'plant-001.boiler-2.pressure',
    unit: 'bar',
    base: 12.1,
    swing: 0.5,
    periodMs: 75_000,
    noise: 0.05,
  },
  {
    id: 'plant-001.header.pressure',
    unit: 'bar',
    base: 11.8,
    swing: 0.4,
    periodMs: 100_000,
    noise: 0.04,
  },
  {
    id: 'plant-001.header.temperature',
    unit: '°C',
    base: 191,
    swing: 2,
    periodMs: 150_000,
    noise: 0.2,
  },
  {
    id: 'plant-002.header.pressure',
    unit: 'bar',
    base: 9.6,
    swing: 0.3,
    periodMs: 80_000,
    noise: 0.03,
  },
  {
    id: 'plant-002.boiler-1.pressure',
    unit: 'bar',
    base: 10.2,
    swing: 0.4,
    periodMs: 95_000,
    noise: 0.04,
  },
  {
    id: 'plant-002.boiler-1.flue-temperature',
    unit: '°C',
    base: 182,
    swing: 5,
    periodMs: 110_000,
    noise: 0.5,
  },
]

export type PlantModel = {
  points: SimPoint[]
  /** The value of a point at a time (ms since epoch). */
  value: (pointId: string, atMs: number) => number
}

/** A small integer hash (mulberry32 step), so noise depends only on seed, point and second. */
function noiseAt(seed: number, key: number): number {
  let t = (seed ^ key) + 0x6d2b79f5
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5
}

export function createPlantModel(seed = 1): PlantModel {
  const byId = new Map(simPoints.map((point, index) => [point.id, { point, index }]))
  return {
    points: simPoints,
    value: (pointId, atMs) => {
      const entry = byId.get(pointId)
      if (!entry) throw new Error(`The simulator has no point "${pointId}"`)
      const { point, index } = entry
      const phase = (index * Math.PI) / 3
      const wave = Math.sin((2 * Math.PI * atMs) / point.periodMs + phase)
      const second = Math.floor(atMs / 1000)
      return point.base + point.swing * wave + point.noise * 2 * noiseAt(seed, second * 31 + index)
    },
  }
}
