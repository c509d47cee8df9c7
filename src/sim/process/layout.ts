// The simulated site, as data: three plants, each with boilers feeding one steam header and heat
// consumers in the four critical-heat priority classes of the GL-001 runbook ("Critical Heat
// Priority Levels"). The model (model.ts) reads only this structure, so a test or a drill can hand
// it a different site.
//
// Units: pressures in bar gauge, steam in t/h, temperatures in °C, valve openings in % of travel.

import type { PriorityClass } from '../../shared/heat/priority-class'

export { priorityClasses, type PriorityClass } from '../../shared/heat/priority-class'

/**
 * How long each class tolerates a loss of heat, from the runbook: life safety 0–10 min, product
 * safety 10–30 min, equipment protection 30–60 min, production 1–4 h.
 */
export const priorityClassWindowMinutes: Record<PriorityClass, { from: number; to: number }> = {
  'life-safety': { from: 0, to: 10 },
  'product-safety': { from: 10, to: 30 },
  'equipment-protection': { from: 30, to: 60 },
  production: { from: 60, to: 240 },
}

/**
 * Thermal time constant (s) of a consumer's supply temperature, by class. It is set at the middle of
 * the class's window (the end, for life safety), so a consumer has fallen about 63 % of the way
 * towards ambient when its class should already have heat back: the window is the consumer's
 * thermal inertia, which is why the runbook ranks it that way.
 */
export const priorityClassTimeConstantSeconds: Record<PriorityClass, number> = {
  'life-safety': 600,
  'product-safety': 1200,
  'equipment-protection': 2700,
  production: 9000,
}

export type BoilerLayout = {
  id: string
  name: string
  /** Safety valve set pressure, bar g. The runbook's shutdown trigger is 95 % of this. */
  safetyValveSetpoint: number
  /** Maximum continuous steam output at 100 % firing, t/h. */
  ratedSteam: number
  /**
   * Pressure drop from the drum to the header at rated steam flow, bar (stop valve, non-return
   * valve, pipe). It scales with the square of flow, as turbulent pressure drops do.
   */
  lineDropAtRated: number
  /** Flue gas temperature with the flame at minimum and at full firing, °C. */
  flueTemperatureAtMinimum: number
  flueTemperatureAtFull: number
  /** Whether the boiler starts under the plant's header pressure controller (auto) or in manual. */
  auto: boolean
}

export type ConsumerLayout = {
  /** Starts with `consumer-`, e.g. `consumer-hospital-hvac`. */
  id: string
  name: string
  priorityClass: PriorityClass
  /** Steam the consumer needs at design header pressure with its valve at the optimal opening, t/h. */
  demand: number
  /** Supply temperature of its heating medium when fully supplied, °C. */
  supplyTemperature: number
  /** Optimal (design) opening of its distribution valve, %: the last-known-good distribution. */
  valve: number
}

export type PlantLayout = {
  id: string
  name: string
  header: {
    /** Design pressure and initial setpoint of the steam header, bar g. */
    pressureSetpoint: number
    /**
     * Effective steam storage of the header and the boiler drums, kg per bar: how many kilograms of
     * steam an imbalance between supply and draw must accumulate (or lose) to move the header
     * pressure by one bar. It sets how fast pressure climbs on a demand drop and falls on a fuel
     * loss (both a few minutes here, as for a compact package-boiler plant).
     */
    storage: number
  }
  boilers: BoilerLayout[]
  consumers: ConsumerLayout[]
}

export type SiteLayout = {
  /** Ambient temperature that an unheated consumer decays towards, °C. */
  ambientTemperature: number
  plants: PlantLayout[]
}

// Demands are chosen so that each plant's design load is a round firing rate (plant 001 68 % of
// 40 t/h, plant 002 72 % of 42 t/h, plant 003 65 % of 48 t/h); the model starts in that steady state.
// Plants 001 and 002 reproduce the values of the earlier demo (boiler drum about 12.3 bar under a
// 16 bar safety valve; header 9.6 bar, boiler 10.2 bar under 13 bar, flue about 182 °C).
export const siteLayout: SiteLayout = {
  ambientTemperature: 15,
  plants: [
    {
      id: 'plant-001',
      name: 'Plant 001',
      header: { pressureSetpoint: 11.8, storage: 100 },
      boilers: [
        {
          id: 'boiler-1',
          name: 'Boiler 1',
          safetyValveSetpoint: 16,
          ratedSteam: 20,
          lineDropAtRated: 1.0,
          flueTemperatureAtMinimum: 150,
          flueTemperatureAtFull: 230,
          auto: true,
        },
        {
          id: 'boiler-2',
          name: 'Boiler 2',
          safetyValveSetpoint: 16,
          ratedSteam: 20,
          lineDropAtRated: 0.7,
          flueTemperatureAtMinimum: 145,
          flueTemperatureAtFull: 225,
          auto: true,
        },
      ],
      consumers: [
        {
          id: 'consumer-hospital-hvac',
          name: 'Hospital HVAC',
          priorityClass: 'life-safety',
          demand: 3.2,
          supplyTemperature: 82,
          valve: 60,
        },
        {
          id: 'consumer-food-processing',
          name: 'Food processing',
          priorityClass: 'product-safety',
          demand: 7,
          supplyTemperature: 135,
          valve: 65,
        },
        {
          id: 'consumer-freeze-protection',
          name: 'Freeze protection',
          priorityClass: 'equipment-protection',
          demand: 2,
          supplyTemperature: 45,
          valve: 50,
        },
        {
          id: 'consumer-manufacturing-line-1',
          name: 'Manufacturing line 1',
          priorityClass: 'production',
          demand: 15,
          supplyTemperature: 175,
          valve: 70,
        },
      ],
    },
    {
      id: 'plant-002',
      name: 'Plant 002',
      header: { pressureSetpoint: 9.6, storage: 140 },
      boilers: [
        {
          id: 'boiler-1',
          name: 'Boiler 1',
          safetyValveSetpoint: 13,
          ratedSteam: 16,
          lineDropAtRated: 1.15,
          flueTemperatureAtMinimum: 130,
          flueTemperatureAtFull: 202,
          auto: true,
        },
        {
          id: 'boiler-2',
          name: 'Boiler 2',
          safetyValveSetpoint: 13,
          ratedSteam: 16,
          lineDropAtRated: 1.0,
          flueTemperatureAtMinimum: 135,
          flueTemperatureAtFull: 205,
          auto: true,
        },
        {
          id: 'boiler-3',
          name: 'Boiler 3',
          safetyValveSetpoint: 13,
          ratedSteam: 10,
          lineDropAtRated: 0.8,
          flueTemperatureAtMinimum: 140,
          flueTemperatureAtFull: 215,
          auto: true,
        },
      ],
      consumers: [
        {
          id: 'consumer-personnel-safety-heating',
          name: 'Personnel safety heating',
          priorityClass: 'life-safety',
          demand: 2.24,
          supplyTemperature: 70,
          valve: 55,
        },
        {
          id: 'consumer-pharmaceutical-reactor',
          name: 'Pharmaceutical reactor',
          priorityClass: 'product-safety',
          demand: 9,
          supplyTemperature: 160,
          valve: 60,
        },
        {
          id: 'consumer-condensate-system',
          name: 'Condensate system',
          priorityClass: 'equipment-protection',
          demand: 3,
          supplyTemperature: 95,
          valve: 50,
        },
        {
          id: 'consumer-manufacturing-line-2',
          name: 'Manufacturing line 2',
          priorityClass: 'production',
          demand: 16,
          supplyTemperature: 165,
          valve: 70,
        },
      ],
    },
    {
      id: 'plant-003',
      name: 'Plant 003',
      header: { pressureSetpoint: 13.5, storage: 110 },
      boilers: ['boiler-1', 'boiler-2', 'boiler-3', 'boiler-4'].map((id, index) => ({
        id,
        name: `Boiler ${index + 1}`,
        safetyValveSetpoint: 17.5,
        ratedSteam: 12,
        lineDropAtRated: 0.8,
        flueTemperatureAtMinimum: 140 + index * 3,
        flueTemperatureAtFull: 215 + index * 3,
        auto: true,
      })),
      consumers: [
        {
          id: 'consumer-hospital-hvac',
          name: 'Hospital HVAC',
          priorityClass: 'life-safety',
          demand: 4.2,
          supplyTemperature: 80,
          valve: 60,
        },
        {
          id: 'consumer-food-processing',
          name: 'Food processing',
          priorityClass: 'product-safety',
          demand: 6,
          supplyTemperature: 120,
          valve: 65,
        },
        {
          id: 'consumer-freeze-protection',
          name: 'Freeze protection',
          priorityClass: 'equipment-protection',
          demand: 2,
          supplyTemperature: 40,
          valve: 50,
        },
        {
          id: 'consumer-condensate-system',
          name: 'Condensate system',
          priorityClass: 'equipment-protection',
          demand: 2,
          supplyTemperature: 95,
          valve: 50,
        },
        {
          id: 'consumer-manufacturing-line-3',
          name: 'Manufacturing line 3',
          priorityClass: 'production',
          demand: 17,
          supplyTemperature: 180,
          valve: 70,
        },
      ],
    },
  ],
}

/** The highest header pressure setpoint accepted, as a fraction of the plant's lowest safety valve. */
export const headerSetpointLimitOfSafetyValve = 0.85

/** Throws on a layout the model cannot run: a programming error, not an operator input. */
export function validateLayout(layout: SiteLayout): void {
  const fail = (message: string): never => {
    throw new Error(`Invalid plant layout: ${message}`)
  }
  const plantIds = new Set<string>()
  for (const plant of layout.plants) {
    if (plantIds.has(plant.id)) fail(`plant "${plant.id}" appears twice`)
    plantIds.add(plant.id)
    if (plant.boilers.length === 0) fail(`${plant.id} has no boilers`)
    if (plant.consumers.length === 0) fail(`${plant.id} has no consumers`)
    if (!(plant.header.storage > 0)) fail(`${plant.id}.header.storage must be positive`)
    const unitIds = new Set<string>(['header'])
    for (const unit of [...plant.boilers, ...plant.consumers]) {
      if (unitIds.has(unit.id)) fail(`${plant.id} uses the id "${unit.id}" twice`)
      unitIds.add(unit.id)
    }
    const lowestSafetyValve = Math.min(...plant.boilers.map((boiler) => boiler.safetyValveSetpoint))
    const setpoint = plant.header.pressureSetpoint
    if (!(setpoint > 0 && setpoint <= headerSetpointLimitOfSafetyValve * lowestSafetyValve)) {
      fail(
        `${plant.id}.header.pressureSetpoint must be above 0 and at most 85 % of the safety valves`,
      )
    }
    let ratedSteam = 0
    let demand = 0
    for (const boiler of plant.boilers) {
      if (!(boiler.ratedSteam > 0)) fail(`${plant.id}.${boiler.id}.ratedSteam must be positive`)
      if (boiler.lineDropAtRated < 0) fail(`${plant.id}.${boiler.id}.lineDropAtRated is negative`)
      ratedSteam += boiler.ratedSteam
    }
    for (const consumer of plant.consumers) {
      if (!consumer.id.startsWith('consumer-')) fail(`${consumer.id} must start with "consumer-"`)
      if (!(consumer.demand > 0)) fail(`${plant.id}.${consumer.id}.demand must be positive`)
      if (!(consumer.valve > 0 && consumer.valve <= 100)) {
        fail(`${plant.id}.${consumer.id}.valve must be in (0, 100]`)
      }
      demand += consumer.demand
    }
    // The model starts in steady state with every boiler at the same firing rate.
    if (demand > ratedSteam) fail(`${plant.id} consumers need more steam than its boilers make`)
  }
}
