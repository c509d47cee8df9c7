import { assertNever, type ApiError } from '../../shared/result'
import { faultSchema, type Fault, type FaultInput } from './faults'
import {
  headerSetpointLimitOfSafetyValve,
  priorityClassTimeConstantSeconds,
  siteLayout,
  validateLayout,
  type BoilerLayout,
  type ConsumerLayout,
  type PlantLayout,
  type SiteLayout,
} from './layout'
import {
  distributionDeviation,
  mulberry32,
  noiseLevels,
  processConstants as constants,
  saturationTemperature,
  standardNormal,
  substepMs,
} from './physics'

// A deterministic process-heat model of a multi-plant site. Each plant: boilers → one steam header →
// consumers through distribution valves. Everything advances in fixed 100 ms substeps (explicit
// Euler for the header balance, exact first-order updates x += (target − x)(1 − e^(−dt/τ)) for the
// lags), so the same seed and the same sequence of steps, writes and faults give bit-identical values
// however the time is chunked.
//
// Equations (units: bar g, t/h, °C, %, s; "storage" K in kg/bar; 1 t/h = 1/3.6 kg/s):
//
//   firing:      dF/dt = (F_target − F) / 30 s, F_target = stuck % ?? setpoint; F = 0 at once
//                when the flame is off (fuel lost or tripped): a flame-out is instantaneous.
//   steam:       S_b = rated_b · F_b / 100 (an unstable flame pulses F by ± 10 % · depth).
//   drum:        p_drum = p_header + lineDrop_b · (S_b / rated_b)²  (turbulent drop to the header).
//   relief:      R_b = min(S_b, 1.2 · rated_b · clamp((p_drum − SV_b) / 0.3 bar, 0, 1)).
//   draw:        D_c = demand_c · (1 − drop_c) · (valve_c / optimal_c) · (p_header / p_design)
//                A steam valve at fixed opening passes flow in proportion to the pressure driving
//                it (Napier-like), which gives the header its self-regulation.
//   header:      dp/dt = (Σ(S_b − R_b) − Σ D_c) / (3.6 · K)
//                With the draw proportional to pressure this is first order: a supply S against a
//                demand D₀ settles at p_design · S / D₀ with τ = 3.6 · K · p_design / D₀.
//   controller:  plant master PI on the measured header pressure drives the firing setpoint of every
//                boiler in auto: u = Kp · e + I, dI/dt = Kp · e / Ti (Kp 15 %/bar, Ti 150 s, I and u
//                clamped to 0–100 %; I frozen while no auto boiler has a flame).
//   consumer:    dT/dt = (T_amb + (T_supply − T_amb) · h − T) / τ_class,
//                h = min(valve_c / optimal_c · p_header / p_design, 1.25): the share of its heat
//                the consumer gets.
//   flue:        dT/dt = (T_min + (T_full − T_min) · F / 100 − T) / 120 s with a flame, towards
//                ambient without.
//   stability:   dσ/dt = (σ_target − σ) / 1 s; σ_target = 0.95 healthy, 0.95 − depth ·
//                (0.6 + 0.4 · sin(2πt / period)) when unstable, 0 without a flame; σ < 0.25 trips;
//                a relit flame starts at 0.95.
//   drift:       d(valve_c)/dt = ± optimal_c · rate / 100 per minute, alternating direction.

export type PointKind = 'measurement' | 'setpoint' | 'flag'
export type PointValue = number | boolean

export type PointInfo = {
  id: string
  name: string
  /** '' for flags and the dimensionless stability index. */
  unit: string
  kind: PointKind
  writable: boolean
  /** Range of a numeric point: writes outside it are refused; for measurements, the display span. */
  min?: number
  max?: number
}

export type Outcome = { ok: true } | { ok: false; error: ApiError }

export type ActiveFault = {
  fault: Fault
  /** Simulated time the fault was applied, ms (model.now()). */
  appliedAtMs: number
}

export type EndpointCause = 'source-down' | 'plc-restart' | 'link-flap'

/** Whether a plant's protocol endpoint should answer now; the OPC UA and Modbus servers obey it. */
export type EndpointStatus =
  | { answering: true; cause: null; faultId: null }
  | { answering: false; cause: EndpointCause; faultId: string }

export type ProcessModel = {
  readonly layout: SiteLayout
  readonly seed: number
  /** Advances simulated time by dtMs (≥ 0), in fixed substeps; any remainder carries over. */
  step: (dtMs: number) => void
  /** Simulated time, ms since the model was created. */
  now: () => number
  /** The current value of a point. Throws for an unknown point id (a programming error). */
  read: (pointId: string) => PointValue
  has: (pointId: string) => boolean
  points: () => PointInfo[]
  /** Every point's value, in points() order. */
  snapshot: () => Record<string, PointValue>
  write: (pointId: string, value: PointValue) => Outcome
  applyFault: (fault: FaultInput) => Outcome
  clearFault: (id: string) => Outcome
  activeFaults: () => ActiveFault[]
  endpointStatus: (plantId: string) => EndpointStatus
}

export type ProcessModelOptions = {
  /** Seeds the measurement noise; the dynamics are otherwise noise-free. */
  seed: number
  layout?: SiteLayout
}

type Instability = { depth: number; periodSeconds: number; startMs: number }

type BoilerState = {
  layout: BoilerLayout
  firingSetpoint: number
  /** Actual firing rate, %, before any flame pulsation. */
  firing: number
  /** Firing rate including the pulsation of an unstable flame, %. */
  effectiveFiring: number
  /** Steam produced, t/h. */
  steam: number
  /** Steam vented by the safety valve, t/h. */
  relief: number
  flueTemperature: number
  stability: number
  auto: boolean
  tripped: boolean
  /** Whether the flame was on in the previous substep, to spot a relight. */
  wasLit: boolean
  // Resolved from the active faults whenever they change.
  fuelAvailable: boolean
  stuckPercent: number | null
  instability: Instability | null
}

type ConsumerState = {
  layout: ConsumerLayout
  valve: number
  supplyTemperature: number
  /** Steam drawn, t/h. */
  draw: number
  /** 1 − the demand drop in force. */
  demandFraction: number
  driftDirection: 1 | -1
  /** e^(−dt/τ_class) complement for one substep. */
  temperatureStep: number
}

type PlantState = {
  layout: PlantLayout
  pressure: number
  pressureSetpoint: number
  /** Integral term of the header pressure controller, %. */
  integral: number
  boilers: BoilerState[]
  consumers: ConsumerState[]
  driftPercentPerMinute: number
  /** Noise slot of the header pressure measurement, which the controller sees too. */
  headerNoise: number
  lowestSafetyValve: number
}

type PointDefinition = PointInfo & {
  get: () => PointValue
  set?: (value: PointValue) => Outcome
}

type FaultRecord = ActiveFault & { stuckPercent: number | null }

const clamp = (value: number, low: number, high: number): number =>
  Math.min(high, Math.max(low, value))

const lagStep = (timeConstantSeconds: number): number =>
  1 - Math.exp(-substepMs / 1000 / timeConstantSeconds)

const refuse = (code: string, message: string): Outcome => ({ ok: false, error: { code, message } })

const round2 = (value: number): number => Math.round(value * 100) / 100

/** Where a fault names a plant, boiler or consumer the layout does not have; null when all exist. */
export function checkFaultReferences(
  layout: SiteLayout,
  fault: Fault,
): { path: (string | number)[]; message: string } | null {
  const plantIds = layout.plants.map((plant) => plant.id)
  const findPlant = (plantId: string) => layout.plants.find((plant) => plant.id === plantId)
  const missingPlant = (plantId: string, path: (string | number)[]) => ({
    path,
    message: `unknown plant "${plantId}" (the site has ${plantIds.join(', ')})`,
  })
  const checkBoiler = (plantId: string, boilerId: string | undefined) => {
    const plant = findPlant(plantId)
    if (!plant) return missingPlant(plantId, ['plantId'])
    if (boilerId !== undefined && !plant.boilers.some((boiler) => boiler.id === boilerId)) {
      const known = plant.boilers.map((boiler) => boiler.id).join(', ')
      return {
        path: ['boilerId'],
        message: `${plantId} has no boiler "${boilerId}" (it has ${known})`,
      }
    }
    return null
  }
  switch (fault.kind) {
    case 'fuel-loss':
      return checkBoiler(fault.plantId, fault.boilerId)
    case 'firing-stuck':
    case 'combustion-instability':
      return checkBoiler(fault.plantId, fault.boilerId)
    case 'demand-drop': {
      const plant = findPlant(fault.plantId)
      if (!plant) return missingPlant(fault.plantId, ['plantId'])
      for (const [index, consumerId] of (fault.consumerIds ?? []).entries()) {
        if (!plant.consumers.some((consumer) => consumer.id === consumerId)) {
          return {
            path: ['consumerIds', index],
            message: `${fault.plantId} has no consumer "${consumerId}"`,
          }
        }
      }
      return null
    }
    case 'source-down': {
      if (fault.plantIds === 'all') return null
      for (const [index, plantId] of fault.plantIds.entries()) {
        if (!findPlant(plantId)) return missingPlant(plantId, ['plantIds', index])
      }
      return null
    }
    case 'plc-restart':
    case 'link-flap':
    case 'drift':
      return findPlant(fault.plantId) ? null : missingPlant(fault.plantId, ['plantId'])
    default:
      return assertNever(fault, 'fault kind')
  }
}

export function createProcessModel(options: ProcessModelOptions): ProcessModel {
  const layout = options.layout ?? siteLayout
  validateLayout(layout)
  const seed = options.seed >>> 0
  const random = mulberry32(seed)
  const ambient = layout.ambientTemperature
  const dt = substepMs / 1000

  const firingStep = lagStep(constants.firingTimeConstant)
  const flueStep = lagStep(constants.flueTimeConstant)
  const stabilityStep = lagStep(constants.stabilityTimeConstant)
  const noiseMemory = Math.exp(-dt / constants.noiseTimeConstant)
  const noiseInnovation = Math.sqrt(1 - noiseMemory * noiseMemory)

  // Noise slots: each noisy measurement wanders as a first-order filtered (Ornstein–Uhlenbeck-like)
  // process with a standard deviation of its level, so values look alive without jumping.
  const noiseSigma: number[] = []
  const noiseSlot = (sigma: number): number => {
    noiseSigma.push(sigma)
    return noiseSigma.length - 1
  }

  let totalMs = 0
  let pendingMs = 0
  let substeps = 0
  let faults: FaultRecord[] = []

  const plants: PlantState[] = layout.plants.map((plantLayout) => {
    const rated = plantLayout.boilers.reduce((sum, boiler) => sum + boiler.ratedSteam, 0)
    const demand = plantLayout.consumers.reduce((sum, consumer) => sum + consumer.demand, 0)
    // Start in steady state: every boiler at the firing rate that exactly meets design demand.
    const firing = (demand / rated) * 100
    return {
      layout: plantLayout,
      pressure: plantLayout.header.pressureSetpoint,
      pressureSetpoint: plantLayout.header.pressureSetpoint,
      integral: firing,
      driftPercentPerMinute: 0,
      headerNoise: noiseSlot(noiseLevels.headerPressure),
      lowestSafetyValve: Math.min(...plantLayout.boilers.map((b) => b.safetyValveSetpoint)),
      boilers: plantLayout.boilers.map((boilerLayout) => ({
        layout: boilerLayout,
        firingSetpoint: firing,
        firing,
        effectiveFiring: firing,
        steam: (boilerLayout.ratedSteam * firing) / 100,
        relief: 0,
        flueTemperature: flueTarget(boilerLayout, firing, true),
        stability: constants.stabilityNormal,
        auto: boilerLayout.auto,
        tripped: false,
        wasLit: true,
        fuelAvailable: true,
        stuckPercent: null,
        instability: null,
      })),
      consumers: plantLayout.consumers.map((consumerLayout, index) => ({
        layout: consumerLayout,
        valve: consumerLayout.valve,
        supplyTemperature: consumerLayout.supplyTemperature,
        draw: consumerLayout.demand,
        demandFraction: 1,
        driftDirection: index % 2 === 0 ? 1 : -1,
        temperatureStep: lagStep(priorityClassTimeConstantSeconds[consumerLayout.priorityClass]),
      })),
    }
  })

  function flueTarget(boiler: BoilerLayout, firing: number, flameOn: boolean): number {
    if (!flameOn) return ambient
    const span = boiler.flueTemperatureAtFull - boiler.flueTemperatureAtMinimum
    return boiler.flueTemperatureAtMinimum + (span * firing) / 100
  }

  const flameOn = (boiler: BoilerState): boolean => boiler.fuelAvailable && !boiler.tripped

  const designPressure = (plant: PlantState): number => plant.layout.header.pressureSetpoint

  const drumPressure = (plant: PlantState, boiler: BoilerState): number => {
    const load = boiler.steam / boiler.layout.ratedSteam
    return plant.pressure + boiler.layout.lineDropAtRated * load * load
  }

  /** The consumer's steam draw and heat fraction at the present header pressure. */
  const supplyRatio = (plant: PlantState, consumer: ConsumerState): number =>
    (consumer.valve / consumer.layout.valve) * (Math.max(plant.pressure, 0) / designPressure(plant))

  const updateDraws = (plant: PlantState): void => {
    for (const consumer of plant.consumers) {
      consumer.draw =
        consumer.layout.demand * consumer.demandFraction * supplyRatio(plant, consumer)
    }
  }

  const plantDeviation = (plant: PlantState): number =>
    distributionDeviation(
      plant.consumers.map((consumer) => ({
        demand: consumer.layout.demand * consumer.demandFraction,
        delivered: consumer.draw,
      })),
    )

  // ---- faults -------------------------------------------------------------------------------

  /** Recomputes every fault-driven property from the active faults (in application order). */
  function resolveFaults(): void {
    for (const plant of plants) {
      plant.driftPercentPerMinute = 0
      for (const boiler of plant.boilers) {
        boiler.fuelAvailable = true
        boiler.stuckPercent = null
        boiler.instability = null
      }
      for (const consumer of plant.consumers) consumer.demandFraction = 1
    }
    const plantOf = (plantId: string) => plants.find((plant) => plant.layout.id === plantId)
    const boilersOf = (plantId: string, boilerId: string | undefined) =>
      (plantOf(plantId)?.boilers ?? []).filter(
        (boiler) => boilerId === undefined || boiler.layout.id === boilerId,
      )
    for (const record of faults) {
      const fault = record.fault
      switch (fault.kind) {
        case 'fuel-loss':
          for (const boiler of boilersOf(fault.plantId, fault.boilerId)) {
            boiler.fuelAvailable = false
          }
          break
        case 'firing-stuck':
          for (const boiler of boilersOf(fault.plantId, fault.boilerId)) {
            boiler.stuckPercent = record.stuckPercent
          }
          break
        case 'combustion-instability':
          for (const boiler of boilersOf(fault.plantId, fault.boilerId)) {
            boiler.instability = {
              depth: fault.depth,
              periodSeconds: fault.periodSeconds,
              startMs: record.appliedAtMs,
            }
          }
          break
        case 'demand-drop':
          for (const consumer of plantOf(fault.plantId)?.consumers ?? []) {
            if (fault.consumerIds && !fault.consumerIds.includes(consumer.layout.id)) continue
            consumer.demandFraction *= 1 - fault.dropPercent / 100
          }
          break
        case 'drift': {
          const plant = plantOf(fault.plantId)
          if (plant) plant.driftPercentPerMinute += fault.percentPerMinute
          break
        }
        case 'source-down':
        case 'plc-restart':
        case 'link-flap':
          break // protocol faults: see endpointStatus
        default:
          assertNever(fault, 'fault kind')
      }
    }
    for (const plant of plants) updateDraws(plant)
  }

  function applyFault(input: FaultInput): Outcome {
    const parsed = faultSchema.safeParse(input)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      return refuse('invalid-fault', `${where}${issue?.message ?? 'not a fault'}`)
    }
    const fault = parsed.data
    if (faults.some((record) => record.fault.id === fault.id)) {
      return refuse('duplicate-fault', `a fault with id "${fault.id}" is already active`)
    }
    const problem = checkFaultReferences(layout, fault)
    if (problem) return refuse('unknown-reference', `${problem.path.join('.')}: ${problem.message}`)
    let stuckPercent: number | null = null
    if (fault.kind === 'firing-stuck') {
      const boiler = plants
        .find((plant) => plant.layout.id === fault.plantId)
        ?.boilers.find((candidate) => candidate.layout.id === fault.boilerId)
      stuckPercent = fault.percent ?? boiler?.firing ?? 0
    }
    faults.push({ fault, appliedAtMs: totalMs, stuckPercent })
    resolveFaults()
    return { ok: true }
  }

  function clearFault(id: string): Outcome {
    if (!faults.some((record) => record.fault.id === id)) {
      return refuse('unknown-fault', `no active fault has id "${id}"`)
    }
    faults = faults.filter((record) => record.fault.id !== id)
    resolveFaults()
    return { ok: true }
  }

  function endpointStatus(plantId: string): EndpointStatus {
    for (const { fault, appliedAtMs } of faults) {
      const sinceMs = totalMs - appliedAtMs
      switch (fault.kind) {
        case 'source-down':
          if (fault.plantIds === 'all' || fault.plantIds.includes(plantId)) {
            return { answering: false, cause: 'source-down', faultId: fault.id }
          }
          break
        case 'plc-restart':
          if (fault.plantId === plantId && sinceMs < fault.downSeconds * 1000) {
            return { answering: false, cause: 'plc-restart', faultId: fault.id }
          }
          break
        case 'link-flap':
          // Down for the first period, up for the next, and so on, until the flapping ends.
          if (
            fault.plantId === plantId &&
            sinceMs < fault.durationSeconds * 1000 &&
            Math.floor(sinceMs / (fault.periodSeconds * 1000)) % 2 === 0
          ) {
            return { answering: false, cause: 'link-flap', faultId: fault.id }
          }
          break
        default:
          break // process faults do not silence an endpoint
      }
    }
    return { answering: true, cause: null, faultId: null }
  }

  // ---- dynamics -----------------------------------------------------------------------------

  // Current value of each noise slot, filled once every slot is registered (after the points).
  const noise: number[] = []

  function controlHeaderPressure(plant: PlantState): void {
    const autoBoilers = plant.boilers.filter((boiler) => boiler.auto)
    if (autoBoilers.length === 0) return
    const error = plant.pressureSetpoint - (plant.pressure + (noise[plant.headerNoise] ?? 0))
    const gain = constants.controllerGain
    // Freezing the integral while no auto boiler can fire keeps it from winding up during a fuel
    // loss, so firing returns near its old value, not at 100 %, when fuel comes back.
    if (autoBoilers.some(flameOn)) {
      plant.integral = clamp(
        plant.integral + (gain * error * dt) / constants.controllerIntegralTime,
        0,
        100,
      )
    }
    const output = clamp(gain * error + plant.integral, 0, 100)
    for (const boiler of autoBoilers) boiler.firingSetpoint = output
  }

  function stepBoiler(plant: PlantState, boiler: BoilerState, timeSeconds: number): void {
    const lit = flameOn(boiler)
    let phase = 0
    if (boiler.instability) {
      const { startMs, periodSeconds } = boiler.instability
      phase = Math.sin((2 * Math.PI * (timeSeconds - startMs / 1000)) / periodSeconds)
    }
    if (!lit) {
      boiler.firing = 0
    } else {
      const target = boiler.stuckPercent ?? boiler.firingSetpoint
      boiler.firing += (target - boiler.firing) * firingStep
    }
    const pulsation =
      lit && boiler.instability
        ? 1 - constants.instabilityFiringSwing * boiler.instability.depth * phase
        : 1
    boiler.effectiveFiring = clamp(boiler.firing * pulsation, 0, 100)
    boiler.steam = (boiler.layout.ratedSteam * boiler.effectiveFiring) / 100
    const overPressure = drumPressure(plant, boiler) - boiler.layout.safetyValveSetpoint
    const reliefCapacity = constants.safetyValveCapacity * boiler.layout.ratedSteam
    boiler.relief = Math.min(
      boiler.steam,
      reliefCapacity * clamp(overPressure / constants.safetyValveAccumulation, 0, 1),
    )
    boiler.flueTemperature +=
      (flueTarget(boiler.layout, boiler.effectiveFiring, lit) - boiler.flueTemperature) * flueStep
    let stabilityTarget = 0
    if (lit) {
      stabilityTarget = boiler.instability
        ? constants.stabilityNormal - boiler.instability.depth * (0.6 + 0.4 * phase)
        : constants.stabilityNormal
    }
    // The burner management proves a new flame before releasing it, so a relit boiler starts from a
    // healthy index instead of from the 0 of no flame (which would trip it on flame failure at once).
    if (lit && !boiler.wasLit) boiler.stability = constants.stabilityNormal
    boiler.wasLit = lit
    boiler.stability += (Math.max(stabilityTarget, 0) - boiler.stability) * stabilityStep
    if (lit && boiler.stability < constants.flameFailureStability) boiler.tripped = true
  }

  function substep(): void {
    const timeSeconds = (substeps * substepMs) / 1000
    for (let slot = 0; slot < noise.length; slot++) {
      const innovation = standardNormal(random) * (noiseSigma[slot] ?? 0) * noiseInnovation
      noise[slot] = (noise[slot] ?? 0) * noiseMemory + innovation
    }
    for (const plant of plants) {
      controlHeaderPressure(plant)
      for (const boiler of plant.boilers) stepBoiler(plant, boiler, timeSeconds)
      updateDraws(plant)
      let supply = 0
      for (const boiler of plant.boilers) supply += boiler.steam - boiler.relief
      let draw = 0
      for (const consumer of plant.consumers) draw += consumer.draw
      // t/h → kg/s is /3.6; kg/s over kg/bar is bar/s.
      plant.pressure = Math.max(
        0,
        plant.pressure + ((supply - draw) / 3.6 / plant.layout.header.storage) * dt,
      )
      for (const consumer of plant.consumers) {
        const heat = Math.min(supplyRatio(plant, consumer), constants.maximumHeatFraction)
        const target = ambient + (consumer.layout.supplyTemperature - ambient) * heat
        consumer.supplyTemperature +=
          (target - consumer.supplyTemperature) * consumer.temperatureStep
      }
      if (plant.driftPercentPerMinute > 0) {
        for (const consumer of plant.consumers) {
          const perSecond = (consumer.layout.valve * plant.driftPercentPerMinute) / 100 / 60
          consumer.valve = clamp(consumer.valve + consumer.driftDirection * perSecond * dt, 0, 100)
        }
      }
    }
    substeps += 1
  }

  // ---- points -------------------------------------------------------------------------------

  const definitions: PointDefinition[] = []
  const define = (definition: PointDefinition) => definitions.push(definition)

  for (const plant of plants) {
    const plantId = plant.layout.id
    for (const boiler of plant.boilers) {
      const prefix = `${plantId}.${boiler.layout.id}`
      const name = `${plant.layout.name} ${boiler.layout.name}`
      const safetyValve = boiler.layout.safetyValveSetpoint
      const pressureNoise = noiseSlot(noiseLevels.drumPressure)
      const firingNoise = noiseSlot(noiseLevels.firingRate)
      const steamNoise = noiseSlot(noiseLevels.steamFlow)
      const flueNoise = noiseSlot(noiseLevels.flueTemperature)
      const stabilityNoise = noiseSlot(noiseLevels.stability)
      const lit = () => flameOn(boiler)
      define({
        id: `${prefix}.pressure`,
        name: `${name} drum pressure`,
        unit: 'bar',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: round2(safetyValve * 1.1),
        get: () => Math.max(0, drumPressure(plant, boiler) + (noise[pressureNoise] ?? 0)),
      })
      define({
        id: `${prefix}.firing-rate`,
        name: `${name} firing rate`,
        unit: '%',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: 100,
        get: () => (lit() ? clamp(boiler.effectiveFiring + (noise[firingNoise] ?? 0), 0, 100) : 0),
      })
      define({
        id: `${prefix}.firing-rate-setpoint`,
        name: `${name} firing rate setpoint`,
        unit: '%',
        kind: 'setpoint',
        writable: true,
        min: 0,
        max: 100,
        get: () => boiler.firingSetpoint,
        set: (value) => {
          if (boiler.auto) {
            return refuse(
              'in-auto',
              `${prefix} is in auto: the header pressure controller sets its firing rate; switch it to manual first`,
            )
          }
          boiler.firingSetpoint = value as number
          return { ok: true }
        },
      })
      define({
        id: `${prefix}.steam-flow`,
        name: `${name} steam flow`,
        unit: 't/h',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: boiler.layout.ratedSteam * 1.2,
        get: () => (lit() ? Math.max(0, boiler.steam + (noise[steamNoise] ?? 0)) : 0),
      })
      define({
        id: `${prefix}.flue-temperature`,
        name: `${name} flue gas temperature`,
        unit: '°C',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: 400,
        get: () => boiler.flueTemperature + (noise[flueNoise] ?? 0),
      })
      define({
        id: `${prefix}.combustion-stability`,
        name: `${name} combustion stability index`,
        unit: '',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: 1,
        get: () => (lit() ? clamp(boiler.stability + (noise[stabilityNoise] ?? 0), 0, 1) : 0),
      })
      define({
        id: `${prefix}.running`,
        name: `${name} flame on`,
        unit: '',
        kind: 'flag',
        writable: false,
        get: lit,
      })
      define({
        id: `${prefix}.fuel-available`,
        name: `${name} fuel available`,
        unit: '',
        kind: 'flag',
        writable: false,
        get: () => boiler.fuelAvailable,
      })
      define({
        id: `${prefix}.tripped`,
        name: `${name} tripped`,
        unit: '',
        kind: 'flag',
        writable: true,
        get: () => boiler.tripped,
        set: (value) => {
          if (value === true) {
            return refuse(
              'read-only',
              `${prefix}.tripped can only be reset (false): trips come from the burner management system`,
            )
          }
          boiler.tripped = false
          return { ok: true }
        },
      })
      define({
        id: `${prefix}.auto`,
        name: `${name} in auto`,
        unit: '',
        kind: 'flag',
        writable: true,
        get: () => boiler.auto,
        set: (value) => {
          const wasAuto = boiler.auto
          if (value === true && !wasAuto && !plant.boilers.some((other) => other.auto)) {
            // Bumpless transfer: start the controller's integral so its output equals the firing
            // setpoint the operator left, instead of jumping.
            const error =
              plant.pressureSetpoint - (plant.pressure + (noise[plant.headerNoise] ?? 0))
            plant.integral = clamp(boiler.firingSetpoint - constants.controllerGain * error, 0, 100)
          }
          boiler.auto = value as boolean
          return { ok: true }
        },
      })
    }

    const headerPrefix = `${plantId}.header`
    const temperatureNoise = noiseSlot(noiseLevels.headerTemperature)
    define({
      id: `${headerPrefix}.pressure`,
      name: `${plant.layout.name} steam header pressure`,
      unit: 'bar',
      kind: 'measurement',
      writable: false,
      min: 0,
      max: round2(plant.lowestSafetyValve * 1.1),
      get: () => Math.max(0, plant.pressure + (noise[plant.headerNoise] ?? 0)),
    })
    define({
      id: `${headerPrefix}.pressure-setpoint`,
      name: `${plant.layout.name} steam header pressure setpoint`,
      unit: 'bar',
      kind: 'setpoint',
      writable: true,
      // Refuse setpoints close to the safety valves: the controller would ride the relief valves.
      min: 1,
      max: round2(headerSetpointLimitOfSafetyValve * plant.lowestSafetyValve),
      get: () => plant.pressureSetpoint,
      set: (value) => {
        plant.pressureSetpoint = value as number
        return { ok: true }
      },
    })
    define({
      id: `${headerPrefix}.temperature`,
      name: `${plant.layout.name} steam header temperature`,
      unit: '°C',
      kind: 'measurement',
      writable: false,
      min: 0,
      max: 250,
      get: () =>
        saturationTemperature(Math.max(plant.pressure, 0) + constants.atmosphericPressure) +
        (noise[temperatureNoise] ?? 0),
    })
    define({
      id: `${headerPrefix}.steam-flow`,
      name: `${plant.layout.name} steam drawn from the header`,
      unit: 't/h',
      kind: 'measurement',
      writable: false,
      min: 0,
      max: round2(plant.layout.boilers.reduce((sum, boiler) => sum + boiler.ratedSteam, 0) * 1.2),
      get: () => plant.consumers.reduce((sum, consumer) => sum + consumer.draw, 0),
    })

    for (const consumer of plant.consumers) {
      const prefix = `${plantId}.${consumer.layout.id}`
      const name = `${plant.layout.name} ${consumer.layout.name}`
      const supplyNoise = noiseSlot(noiseLevels.supplyTemperature)
      define({
        id: `${prefix}.supply-temperature`,
        name: `${name} supply temperature`,
        unit: '°C',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: 250,
        get: () => consumer.supplyTemperature + (noise[supplyNoise] ?? 0),
      })
      define({
        id: `${prefix}.valve`,
        name: `${name} distribution valve`,
        unit: '%',
        kind: 'setpoint',
        writable: true,
        min: 0,
        max: 100,
        get: () => consumer.valve,
        set: (value) => {
          consumer.valve = value as number
          updateDraws(plant)
          return { ok: true }
        },
      })
      define({
        id: `${prefix}.demand`,
        name: `${name} steam demand`,
        unit: 't/h',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: round2(consumer.layout.demand * 2),
        get: () => consumer.layout.demand * consumer.demandFraction,
      })
      define({
        id: `${prefix}.steam-flow`,
        name: `${name} steam flow`,
        unit: 't/h',
        kind: 'measurement',
        writable: false,
        min: 0,
        max: round2(consumer.layout.demand * 2),
        get: () => consumer.draw,
      })
    }
    define({
      id: `${plantId}.distribution-deviation`,
      name: `${plant.layout.name} heat distribution deviation from optimal`,
      unit: '%',
      kind: 'measurement',
      writable: false,
      min: 0,
      max: 100,
      get: () => plantDeviation(plant),
    })
  }
  define({
    id: 'site.distribution-deviation',
    name: 'Site heat distribution deviation from optimal',
    unit: '%',
    kind: 'measurement',
    writable: false,
    min: 0,
    max: 100,
    get: () => Math.max(...plants.map(plantDeviation)),
  })

  // Every slot is registered now: start each at a draw from its stationary distribution, so the very
  // first reading already looks alive.
  for (let slot = 0; slot < noiseSigma.length; slot++) {
    noise[slot] = standardNormal(random) * (noiseSigma[slot] ?? 0)
  }

  const byId = new Map(definitions.map((definition) => [definition.id, definition]))

  function write(pointId: string, value: PointValue): Outcome {
    const definition = byId.get(pointId)
    if (!definition) return refuse('unknown-point', `the simulator has no point "${pointId}"`)
    if (!definition.writable || !definition.set) {
      return refuse('read-only', `${pointId} is a ${definition.kind} and cannot be written`)
    }
    if (definition.kind === 'flag') {
      if (typeof value !== 'boolean') {
        return refuse('wrong-type', `${pointId} takes true or false, not ${JSON.stringify(value)}`)
      }
    } else {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return refuse(
          'wrong-type',
          `${pointId} takes a finite number, not ${JSON.stringify(value)}`,
        )
      }
      const { min = -Infinity, max = Infinity, unit } = definition
      if (value < min || value > max) {
        return refuse(
          'out-of-range',
          `${pointId} must be between ${min} and ${max} ${unit}; ${value} was refused`,
        )
      }
    }
    return definition.set(value)
  }

  return {
    layout,
    seed,
    step: (dtMs) => {
      if (!(Number.isFinite(dtMs) && dtMs >= 0)) {
        throw new RangeError(`step needs a finite, non-negative time in ms, got ${dtMs}`)
      }
      totalMs += dtMs
      pendingMs += dtMs
      while (pendingMs >= substepMs) {
        pendingMs -= substepMs
        substep()
      }
    },
    now: () => totalMs,
    read: (pointId) => {
      const definition = byId.get(pointId)
      if (!definition) throw new Error(`The simulator has no point "${pointId}"`)
      return definition.get()
    },
    has: (pointId) => byId.has(pointId),
    points: () => definitions.map(({ get: _get, set: _set, ...info }) => ({ ...info })),
    snapshot: () =>
      Object.fromEntries(definitions.map((definition) => [definition.id, definition.get()])),
    write,
    applyFault,
    clearFault,
    activeFaults: () => faults.map(({ fault, appliedAtMs }) => ({ fault, appliedAtMs })),
    endpointStatus,
  }
}
