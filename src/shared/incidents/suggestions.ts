import { z } from 'zod'
import type { SiteConditions } from './conditions'
import { compareSeverity, incidentSeveritySchema } from './severity'

// Severity suggestions: the runbook's examples that live data can detect, each with the evidence
// that made it fire. The operator confirms or overrides; the console never declares by itself.

export const suggestionRules = [
  'multi-plant-heat-loss',
  'total-heat-loss',
  'safety-pressure',
  'combustion-instability',
  'scada-total-outage',
  'single-plant-heat-loss',
  'plant-feed-lost',
  'distribution-deviation',
  'plant-heat-degraded',
] as const
export const suggestionRuleSchema = z.enum(suggestionRules)
export type SuggestionRule = z.infer<typeof suggestionRuleSchema>

export const severitySuggestionSchema = z.object({
  /** Stable while the same condition holds: `<rule>:<what it is about>`. */
  id: z.string(),
  rule: suggestionRuleSchema,
  severity: incidentSeveritySchema,
  /** The incident's title if declared from it: "Multi-plant heat loss: Plant 001, 002, 003". */
  title: z.string(),
  /** The evidence, in the operator's words, with the figures. */
  reason: z.string(),
  plants: z.array(z.string()),
  /** What the runbook says to do at once, where it says something (the safety officer prompt). */
  prompt: z.string().nullable(),
})
export type SeveritySuggestion = z.infer<typeof severitySuggestionSchema>

type Plant = SiteConditions['plants'][number]

/** Runbook: 3+ plants without heat at once is a multi-plant cascade (P0); fewer is one P1 each. */
const multiPlantCount = 3
/** Runbook: act on a boiler whose pressure passes 95 % of its safety-valve setpoint. */
const safetyPressurePercent = 95
/** Runbook P2: distribution more than 20 % from its reference. */
const distributionLimitPercent = 20
/**
 * Readings and setpoints are decimals; their float ratio can land a hair under a limit it exactly
 * meets (10.735 / 11.3), which must still count as reaching it.
 */
const ratioTolerance = 1e-9

const safetyPressurePrompt = (boiler: string): string =>
  `Tell the plant safety officer now. Consider an emergency shutdown of ${boiler}, or cut its ` +
  'firing to bring the pressure down.'
const combustionPrompt =
  'Risk of explosion: cut the fuel to the burner at once and tell the plant safety officer.'

export function suggestSeverities(conditions: SiteConditions): SeveritySuggestion[] {
  const suggestions: SeveritySuggestion[] = []
  const plantName = namesOf(conditions)
  const byId = (a: Plant, b: Plant): number => compareText(a.id, b.id)

  const withRules = conditions.plants.filter((plant) => plant.heat !== null)
  const lost = withRules.filter((plant) => plant.heat === 'lost').sort(byId)
  const allLost = lost.length > 0 && lost.length === withRules.length
  if (lost.length >= multiPlantCount || allLost) {
    const rule = lost.length >= multiPlantCount ? 'multi-plant-heat-loss' : 'total-heat-loss'
    const names = lost.map((plant) => plant.name)
    suggestions.push({
      // One id for the site however many plants it covers: a fourth plant losing heat updates the
      // suggestion rather than raising a new one, so its acknowledge clock keeps its first sighting.
      id: `${rule}:site`,
      rule,
      severity: 'P0',
      title: `${rule === 'multi-plant-heat-loss' ? 'Multi-plant' : 'Total'} heat loss: ${names.join(', ')}`,
      reason: withReasons(
        rule === 'multi-plant-heat-loss'
          ? `${joinNames(names)} have lost heat`
          : `Every plant with heat rules has lost heat (${joinNames(names)})`,
        lost,
      ),
      plants: lost.map((plant) => plant.id),
      prompt: null,
    })
  } else {
    for (const plant of lost) {
      suggestions.push({
        id: `single-plant-heat-loss:${plant.id}`,
        rule: 'single-plant-heat-loss',
        severity: 'P1',
        title: `Plant heat loss: ${plant.name}`,
        reason: withReasons(`${plant.name} has lost heat`, [plant]),
        plants: [plant.id],
        prompt: null,
      })
    }
  }

  for (const boiler of conditions.boilers) {
    if (boiler.pressure === null || boiler.safetyValveSetpoint <= 0) continue
    const ratio = boiler.pressure / boiler.safetyValveSetpoint
    if (ratio < safetyPressurePercent / 100 - ratioTolerance) continue
    const where = `${boiler.name} at ${plantName(boiler.plantId)}`
    suggestions.push({
      id: `safety-pressure:${boiler.plantId}.${boiler.unitId}`,
      rule: 'safety-pressure',
      severity: 'P0',
      title: `Boiler pressure near its safety valve: ${where}`,
      reason:
        `${where}: drum pressure ${formatNumber(boiler.pressure)} bar(g) is ` +
        `${(ratio * 100).toFixed(1)} % of its safety-valve setpoint of ` +
        `${formatNumber(boiler.safetyValveSetpoint)} bar(g) (act from ${safetyPressurePercent} %)`,
      plants: [boiler.plantId],
      prompt: safetyPressurePrompt(where),
    })
  }

  for (const alarm of conditions.alarms) {
    if (alarm.kind !== 'combustion-instability') continue
    const where = alarm.plantId === null ? 'the site' : plantName(alarm.plantId)
    suggestions.push({
      id: `combustion-instability:${alarm.id}`,
      rule: 'combustion-instability',
      severity: 'P0',
      title: `Combustion instability: ${where}`,
      reason:
        `Combustion instability alarm at ${where}: ${alarm.message} ` +
        `(${alarm.priority}, ${alarm.acknowledged ? 'acknowledged' : 'not acknowledged'})`,
      plants: alarm.plantId === null ? [] : [alarm.plantId],
      prompt: combustionPrompt,
    })
  }

  // Lost, not merely still connecting after a start: an outage is a source that has failed.
  const failed = (source: SiteConditions['sources'][number]): boolean =>
    !source.answering && !source.connecting
  const silent = conditions.sources.filter(failed)
  const totalOutage = conditions.sources.length > 0 && silent.length === conditions.sources.length
  if (totalOutage) {
    const count = conditions.sources.length
    suggestions.push({
      id: 'scada-total-outage:site',
      rule: 'scada-total-outage',
      severity: 'P0',
      title: 'SCADA total outage: no live data from any plant',
      reason:
        `${count === 1 ? 'The only field source is' : `None of the ${count} field sources is`} ` +
        `answering (${silent.map((source) => source.id).join(', ')}): the console has no live ` +
        'data from any plant',
      plants: [...conditions.plants].sort(byId).map((plant) => plant.id),
      prompt: null,
    })
  } else {
    for (const plant of [...conditions.plants].sort(byId)) {
      const sources = conditions.sources.filter((source) => plant.sourceIds.includes(source.id))
      if (sources.length === 0 || !sources.every(failed)) continue
      suggestions.push({
        id: `plant-feed-lost:${plant.id}`,
        rule: 'plant-feed-lost',
        severity: 'P1',
        title: `SCADA partial outage: ${plant.name}`,
        reason:
          `${sources.length === 1 ? 'The field source' : `All ${sources.length} field sources`} ` +
          `of ${plant.name} (${sources.map((source) => source.id).join(', ')}) ` +
          `${sources.length === 1 ? 'is' : 'are'} not answering: the console cannot see the plant`,
        plants: [plant.id],
        prompt: null,
      })
    }
  }

  for (const entry of conditions.distribution) {
    if (entry.deviationPercent === null || entry.deviationPercent <= distributionLimitPercent) {
      continue
    }
    // The runbook's P2 is inefficiency without heat loss; a plant without heat has a worse problem
    // (and its valves may be wide open on purpose to push what heat there is).
    if (conditions.plants.find((plant) => plant.id === entry.plantId)?.heat === 'lost') continue
    const name = plantName(entry.plantId)
    const reference =
      entry.reference === 'snapshot' ? 'last-known-good snapshot' : 'configured target'
    const valve = entry.worstTagId === null ? 'a valve' : `valve ${entry.worstTagId}`
    suggestions.push({
      id: `distribution-deviation:${entry.plantId}`,
      rule: 'distribution-deviation',
      severity: 'P2',
      title: `Heat distribution off its reference: ${name}`,
      reason:
        `${name}: ${valve} is ${entry.deviationPercent.toFixed(1)} % off the ${reference} ` +
        `(limit ${distributionLimitPercent} %)`,
      plants: [entry.plantId],
      prompt: null,
    })
  }

  for (const plant of withRules) {
    if (plant.heat !== 'degraded') continue
    suggestions.push({
      id: `plant-heat-degraded:${plant.id}`,
      rule: 'plant-heat-degraded',
      severity: 'P2',
      title: `Plant heat degraded: ${plant.name}`,
      reason: withReasons(`${plant.name} is short of heat but has not lost it`, [plant]),
      plants: [plant.id],
      prompt: null,
    })
  }

  return suggestions.sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      suggestionRules.indexOf(a.rule) - suggestionRules.indexOf(b.rule) ||
      compareText(a.id, b.id),
  )
}

/** Plant names by id; an id the site does not know stands for itself. */
function namesOf(conditions: SiteConditions): (plantId: string) => string {
  const names = new Map(conditions.plants.map((plant) => [plant.id, plant.name]))
  return (plantId) => names.get(plantId) ?? plantId
}

/** The headline, then why each plant is in that state, as the heat status put it. */
function withReasons(headline: string, plants: readonly Plant[]): string {
  const reasons = plants
    .filter((plant) => plant.heatReasons.length > 0)
    .map((plant) =>
      plants.length === 1
        ? plant.heatReasons.join('; ')
        : `${plant.name}: ${plant.heatReasons.join('; ')}`,
    )
  return reasons.length === 0 ? headline : `${headline}: ${reasons.join('. ')}`
}

/** "A", "A and B", "A, B and C". */
function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/** Up to two decimals, without trailing zeros: 15.2, 16, 15.18. */
function formatNumber(value: number): string {
  return String(Number(value.toFixed(2)))
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
