import { z } from 'zod'
import type { TagValue } from '../field/values'
import { priorityClassNames, priorityClassSchema, type PriorityClass } from './priority-class'

// Heat status per plant: normal, degraded or lost, by rules the site file sets (the header's
// pressure, and each consumer's supply temperature, weighed by its critical-heat priority class).
// Pure: the backend feeds it readings and the time; the incident rules read what it says.
//
//   plant lost      header pressure below its lostBelow, or a consumer of a class named in
//                   `lostWhenConsumerLost` (default: life safety) below its lostBelow
//   plant degraded  header pressure below degradedBelow, or any consumer below its degradedBelow
//                   (a consumer of another class below lostBelow counts here too)
//   plant unknown   the header's reading is bad or stale (or missing): the console cannot tell, and
//                   says so rather than guess "normal" while a PLC is unreachable
//   plant normal    otherwise
//
// A worse status is taken at once; a better one only after it has held for recoverAfterMs, so a
// reading hovering at a threshold does not flood the journal with status changes.

export const heatStates = ['normal', 'degraded', 'lost', 'unknown'] as const
export const heatStateSchema = z.enum(heatStates)
export type HeatState = z.infer<typeof heatStateSchema>

const thresholdsShape = {
  /** Below this (not at it) the plant or consumer is short of heat. */
  degradedBelow: z.number(),
  /** Below this it has lost heat. Must be below degradedBelow. */
  lostBelow: z.number(),
}

const orderedThresholds = <T extends { degradedBelow: number; lostBelow: number }>(
  value: T,
  ctx: z.RefinementCtx,
): void => {
  if (value.lostBelow >= value.degradedBelow) {
    ctx.addIssue({
      code: 'custom',
      path: ['lostBelow'],
      message: `lostBelow (${value.lostBelow}) must be below degradedBelow (${value.degradedBelow})`,
    })
  }
}

/** A consumer unit's heat supply: its supply temperature tag and thresholds (site file, per unit). */
export const consumerSupplySchema = z
  .strictObject({
    /** Defaults to `<plant>.<unit>.supply-temperature`. */
    tag: z.string().min(1).optional(),
    ...thresholdsShape,
  })
  .superRefine(orderedThresholds)
export type ConsumerSupply = z.infer<typeof consumerSupplySchema>

/** A plant's heat status rules (site file, per plant `heatStatus`). */
export const plantHeatRulesSchema = z.strictObject({
  /** The steam header's pressure tag and its thresholds. */
  header: z
    .strictObject({ tag: z.string().min(1), ...thresholdsShape })
    .superRefine(orderedThresholds),
  /** A consumer of these classes losing heat means the plant has lost heat. */
  lostWhenConsumerLost: z.array(priorityClassSchema).default(['life-safety']),
  /** How long a better status must hold before it is taken, ms. */
  recoverAfterMs: z.number().int().min(0).max(3_600_000).default(30_000),
})
export type PlantHeatRulesSpec = z.infer<typeof plantHeatRulesSchema>

/** The rules of one plant, normalised from the site file. */
export type PlantHeatRules = {
  plantId: string
  header: { tagId: string; degradedBelow: number; lostBelow: number }
  consumers: {
    unitId: string
    name: string
    priorityClass: PriorityClass
    tagId: string
    degradedBelow: number
    lostBelow: number
  }[]
  lostWhenConsumerLost: readonly PriorityClass[]
  recoverAfterMs: number
}

/** The slice of the site these rules read. */
export type HeatSite = {
  plants: readonly {
    id: string
    heatStatus?: PlantHeatRulesSpec | undefined
    units: readonly {
      id: string
      name?: string | undefined
      priorityClass?: PriorityClass | undefined
      supply?: ConsumerSupply | undefined
    }[]
  }[]
}

/** Every plant that states heat status rules; plants without them have no heat status. */
export function siteHeatRules(site: HeatSite): PlantHeatRules[] {
  return site.plants.flatMap((plant) => {
    const rules = plant.heatStatus
    if (!rules) return []
    return [
      {
        plantId: plant.id,
        header: {
          tagId: rules.header.tag,
          degradedBelow: rules.header.degradedBelow,
          lostBelow: rules.header.lostBelow,
        },
        consumers: plant.units.flatMap((unit) =>
          unit.supply && unit.priorityClass
            ? [
                {
                  unitId: unit.id,
                  name: unit.name ?? unit.id,
                  priorityClass: unit.priorityClass,
                  tagId: unit.supply.tag ?? `${plant.id}.${unit.id}.supply-temperature`,
                  degradedBelow: unit.supply.degradedBelow,
                  lostBelow: unit.supply.lostBelow,
                },
              ]
            : [],
        ),
        lostWhenConsumerLost: rules.lostWhenConsumerLost,
        recoverAfterMs: rules.recoverAfterMs,
      },
    ]
  })
}

export const consumerHeatSchema = z.object({
  unitId: z.string(),
  name: z.string(),
  priorityClass: priorityClassSchema,
  tagId: z.string(),
  state: heatStateSchema,
  /** The supply temperature read; null when unreadable. */
  value: z.number().nullable(),
})
export type ConsumerHeat = z.infer<typeof consumerHeatSchema>

export const plantHeatSchema = z.object({
  plantId: z.string(),
  state: heatStateSchema,
  /** When the plant entered this state (ms since epoch). */
  since: z.number(),
  /** Why, in the operator's words: one line per threshold crossed or reading missing. */
  reasons: z.array(z.string()),
  header: z.object({ tagId: z.string(), state: heatStateSchema, value: z.number().nullable() }),
  consumers: z.array(consumerHeatSchema),
})
export type PlantHeat = z.infer<typeof plantHeatSchema>

/** What the rules say right now, before any holding (see createHeatMonitor). */
export type HeatAssessment = Omit<PlantHeat, 'since'>

function reading(value: TagValue | undefined): number | null {
  if (!value || (value.quality !== 'good' && value.quality !== 'uncertain')) return null
  return typeof value.value === 'number' && Number.isFinite(value.value) ? value.value : null
}

function against(
  value: number | null,
  thresholds: { degradedBelow: number; lostBelow: number },
): HeatState {
  if (value === null) return 'unknown'
  if (value < thresholds.lostBelow) return 'lost'
  if (value < thresholds.degradedBelow) return 'degraded'
  return 'normal'
}

const format = (value: number): string => String(Number(value.toFixed(2)))

/** Applies one plant's rules to the latest readings. */
export function assessPlantHeat(
  rules: PlantHeatRules,
  valueOf: (tagId: string) => TagValue | undefined,
): HeatAssessment {
  const reasons: string[] = []
  const headerValue = reading(valueOf(rules.header.tagId))
  const headerState = against(headerValue, rules.header)
  if (headerState === 'unknown') {
    reasons.push(`header pressure unreadable (${rules.header.tagId})`)
  } else if (headerState !== 'normal') {
    const limit = headerState === 'lost' ? rules.header.lostBelow : rules.header.degradedBelow
    reasons.push(`header pressure ${format(headerValue ?? 0)} below ${format(limit)}`)
  }
  let consumerLoss = false
  let consumerShort = false
  const consumers = rules.consumers.map((consumer): ConsumerHeat => {
    const value = reading(valueOf(consumer.tagId))
    const state = against(value, consumer)
    const className = priorityClassNames[consumer.priorityClass]
    if (state === 'unknown') {
      reasons.push(`${consumer.name} (${className}) supply temperature unreadable`)
    } else if (state !== 'normal') {
      const limit = state === 'lost' ? consumer.lostBelow : consumer.degradedBelow
      reasons.push(
        `${consumer.name} (${className}) supply ${format(value ?? 0)} below ${format(limit)}` +
          (state === 'lost' ? ': heat lost' : ''),
      )
      if (state === 'lost' && rules.lostWhenConsumerLost.includes(consumer.priorityClass)) {
        consumerLoss = true
      } else {
        consumerShort = true
      }
    }
    return { ...consumer, state, value }
  })
  const state: HeatState =
    headerState === 'lost' || consumerLoss
      ? 'lost'
      : headerState === 'unknown'
        ? 'unknown'
        : headerState === 'degraded' || consumerShort
          ? 'degraded'
          : 'normal'
  return {
    plantId: rules.plantId,
    state,
    reasons,
    header: { tagId: rules.header.tagId, state: headerState, value: headerValue },
    consumers,
  }
}

/** Worse first: a lost plant outranks one the console cannot read. */
const severity: Record<HeatState, number> = { normal: 0, unknown: 1, degraded: 2, lost: 3 }

/** A plant's heat status changed: the journal event's data (DESIGN.md §3.4). */
export type HeatChange = {
  plantId: string
  from: HeatState
  to: HeatState
  at: number
  reasons: string[]
}

export type HeatMonitor = {
  /** Re-assesses every plant; returns the plants whose status changed. */
  update: (valueOf: (tagId: string) => TagValue | undefined, nowMs: number) => HeatChange[]
  status: () => PlantHeat[]
}

/**
 * Holds each plant's status over time: worse at once, better only after recoverAfterMs of the
 * better assessment (which may itself change meanwhile; the hold restarts only when it gets worse
 * than the pending one). Every plant starts 'unknown'; its first judgement (the first time its header
 * can be read) is taken at once.
 */
export function createHeatMonitor(rules: readonly PlantHeatRules[], startMs: number): HeatMonitor {
  const plants = rules.map((plantRules) => ({
    rules: plantRules,
    current: {
      plantId: plantRules.plantId,
      state: 'unknown' as HeatState,
      since: startMs,
      reasons: ['no readings yet'],
      header: { tagId: plantRules.header.tagId, state: 'unknown' as HeatState, value: null },
      consumers: [],
    } satisfies PlantHeat as PlantHeat,
    /** A better state waiting out the hold: which, and since when. */
    improving: null as { state: HeatState; since: number } | null,
    /** Whether the rules have ever judged the plant (its header once readable). */
    judged: false,
  }))
  return {
    update: (valueOf, nowMs) => {
      const changes: HeatChange[] = []
      for (const plant of plants) {
        const assessment = assessPlantHeat(plant.rules, valueOf)
        const from = plant.current.state
        let to = from
        // The first judgement after start-up is taken at once: there is nothing to hold on to yet.
        const first = !plant.judged && assessment.state !== 'unknown'
        if (first) plant.judged = true
        if (assessment.state === from) {
          plant.improving = null
        } else if (first || severity[assessment.state] > severity[from]) {
          to = assessment.state
          plant.improving = null
        } else {
          if (!plant.improving || severity[assessment.state] > severity[plant.improving.state]) {
            plant.improving = { state: assessment.state, since: nowMs }
          }
          if (nowMs - plant.improving.since >= plant.rules.recoverAfterMs) {
            to = assessment.state
            plant.improving = null
          }
        }
        // The figures are always the latest; only the status itself is held.
        plant.current = {
          ...assessment,
          state: to,
          since: to === from ? plant.current.since : nowMs,
          reasons: to === assessment.state ? assessment.reasons : plant.current.reasons,
        }
        if (to !== from) {
          changes.push({
            plantId: plant.rules.plantId,
            from,
            to,
            at: nowMs,
            reasons: assessment.reasons,
          })
        }
      }
      return changes
    },
    status: () => plants.map((plant) => plant.current),
  }
}
