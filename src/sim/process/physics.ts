// Constants and pure functions of the process model. Exported so tests and drills can predict what
// the model will do from the same numbers it uses.

/** The model integrates in fixed substeps of this length, ms, so results do not depend on chunking. */
export const substepMs = 100

export const processConstants = {
  /** Standard atmosphere, bar: gauge + this = absolute. */
  atmosphericPressure: 1.01325,
  /** Actual firing rate follows its setpoint as a first-order lag with this time constant, s. */
  firingTimeConstant: 30,
  /** Flue gas temperature follows its firing-dependent target with this time constant, s. */
  flueTimeConstant: 120,
  /**
   * Combustion stability index follows its target with this time constant, s (short, as a flame
   * scanner's signal is: a slower lag would smooth away the pulsation an operator needs to see).
   */
  stabilityTimeConstant: 1,
  /** Stability index of a healthy flame (1 = perfectly stable). */
  stabilityNormal: 0.95,
  /** Below this stability index the burner management system trips the boiler (flame failure). */
  flameFailureStability: 0.25,
  /**
   * Steam pulsation with an unstable flame: actual firing swings by ± this fraction of itself per
   * unit of instability depth.
   */
  instabilityFiringSwing: 0.1,
  /**
   * A safety valve relieves in proportion to how far the drum is above its set pressure, reaching
   * full capacity at this accumulation, bar (codes allow 10 % accumulation; we use a narrow band so
   * it behaves like a popping valve without making the integration stiff).
   */
  safetyValveAccumulation: 0.3,
  /** Relieving capacity of a boiler's safety valve, as a multiple of its rated steam. */
  safetyValveCapacity: 1.2,
  /** Header pressure controller (plant master), proportional gain, % firing per bar of error. */
  controllerGain: 15,
  /** Header pressure controller integral time, s. */
  controllerIntegralTime: 150,
  /** Heat delivered to a consumer counts at most this multiple of its demand towards its temperature. */
  maximumHeatFraction: 1.25,
  /** Time constant of the slowly wandering measurement noise, s. */
  noiseTimeConstant: 5,
} as const

/** Standard deviation of the measurement noise, by what is measured (units of the measurement). */
export const noiseLevels = {
  drumPressure: 0.02,
  headerPressure: 0.02,
  headerTemperature: 0.1,
  firingRate: 0.15,
  steamFlow: 0.05,
  flueTemperature: 0.4,
  stability: 0.008,
  supplyTemperature: 0.1,
} as const

/**
 * Saturation temperature of water at an absolute pressure, °C, from the Antoine equation with the
 * high-temperature coefficients for water (99–374 °C): log10(p / mmHg) = 8.14019 − 1810.94 / (244.485 + T).
 * Within about 1 °C of the steam tables between 1 and 20 bar, which is all a header display needs.
 */
export function saturationTemperature(absolutePressureBar: number): number {
  const millimetresOfMercury = Math.max(absolutePressureBar, 0.01) * 750.062
  return 1810.94 / (8.14019 - Math.log10(millimetresOfMercury)) - 244.485
}

export type DistributionShare = {
  /** Steam the consumer should get now (its demand, less any demand drop), t/h. */
  demand: number
  /** Steam the consumer actually draws, t/h. */
  delivered: number
}

/**
 * How far a heat distribution is from optimal, %: the largest relative difference between a
 * consumer's share of the delivered steam and its share of the demand,
 *
 *   max_i | delivered_i / Σ delivered − demand_i / Σ demand | / (demand_i / Σ demand) × 100.
 *
 * 0 means every consumer gets exactly its share. With nothing delivered there is no distribution to
 * judge (that is a heat loss, not a distribution problem), so it is 0.
 */
export function distributionDeviation(shares: readonly DistributionShare[]): number {
  let totalDemand = 0
  let totalDelivered = 0
  for (const share of shares) {
    totalDemand += share.demand
    totalDelivered += share.delivered
  }
  if (!(totalDemand > 0) || !(totalDelivered > 0)) return 0
  let worst = 0
  for (const share of shares) {
    if (!(share.demand > 0)) continue
    const demandShare = share.demand / totalDemand
    const deliveredShare = share.delivered / totalDelivered
    worst = Math.max(worst, Math.abs(deliveredShare - demandShare) / demandShare)
  }
  return worst * 100
}

/**
 * mulberry32: a tiny, fast 32-bit PRNG with good enough statistics for measurement noise, and fully
 * determined by its seed, which is what replayable drills need.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Approximately standard normal (Irwin–Hall sum of four uniforms, rescaled): cheap and bounded. */
export function standardNormal(random: () => number): number {
  return (random() + random() + random() + random() - 2) * Math.sqrt(3)
}
