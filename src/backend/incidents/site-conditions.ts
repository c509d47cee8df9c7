import type { AlarmSnapshot } from '../../shared/alarms/model'
import type { SourceStatus, TagValue } from '../../shared/field/values'
import { siteHeatRules, type PlantHeat } from '../../shared/heat/status'
import { minutesToCritical, type TemperatureSample } from '../../shared/incidents/clocks'
import type { SiteConditions } from '../../shared/incidents/conditions'
import type { Site } from '../../shared/site/schema'

// Gathers SiteConditions from the running services: heat status, source states, readings and
// alarms. It also keeps a short history of each consumer's supply temperature, sampled here rather
// than read from the history store, so the time-to-critical estimate costs nothing per second.

/** One sample per consumer every so often, enough for a slope that noise does not swing. */
const sampleEveryMs = 5_000
/** The slope is fitted over the last three minutes: long enough to be steady, short enough to turn. */
const fitWindowMs = 3 * 60_000

export type ConditionSources = {
  valueOf: (tagId: string) => TagValue | undefined
  sources: () => SourceStatus[]
  heat: () => PlantHeat[]
  alarms: () => AlarmSnapshot[]
}

export type ConditionsGatherer = {
  /** Reads everything now; takes a supply-temperature sample when one is due. */
  gather: (now: number) => SiteConditions
}

const readable = (value: TagValue | undefined): number | null =>
  value &&
  (value.quality === 'good' || value.quality === 'uncertain') &&
  typeof value.value === 'number' &&
  Number.isFinite(value.value)
    ? value.value
    : null

const alarmKind = (alarm: AlarmSnapshot): SiteConditions['alarms'][number]['kind'] => {
  switch (alarm.condition) {
    case 'overpressure':
    case 'combustion-instability':
    case 'communication-loss':
      return alarm.condition
    default:
      return 'other'
  }
}

/** Alarms that stand: active and annunciated or acknowledged (not shelved, suppressed or out). */
const standing = (alarm: AlarmSnapshot): boolean =>
  alarm.active && (alarm.state === 'unacknowledged' || alarm.state === 'acknowledged')

export function createConditionsGatherer(site: Site, from: ConditionSources): ConditionsGatherer {
  const plantOfTag = (tagId: string): string | null =>
    site.plants.find((plant) => tagId.startsWith(`${plant.id}.`))?.id ?? null
  const sourcesOfPlant = new Map<string, string[]>()
  for (const tag of site.tags) {
    const plantId = plantOfTag(tag.id)
    if (!plantId) continue
    const known = sourcesOfPlant.get(plantId) ?? []
    if (!known.includes(tag.source)) known.push(tag.source)
    sourcesOfPlant.set(plantId, known)
  }
  const tagIds = new Set(site.tags.map((tag) => tag.id))
  const boilers = site.plants.flatMap((plant) =>
    plant.units.flatMap((unit) => {
      const tagId = `${plant.id}.${unit.id}.pressure`
      return unit.kind === 'boiler' && unit.safetyValveSetpoint !== undefined && tagIds.has(tagId)
        ? [
            {
              plantId: plant.id,
              unitId: unit.id,
              name: unit.name ?? unit.id,
              tagId,
              safetyValveSetpoint: unit.safetyValveSetpoint,
            },
          ]
        : []
    }),
  )
  const consumers = siteHeatRules(site).flatMap((rules) =>
    rules.consumers.map((consumer) => ({ ...consumer, plantId: rules.plantId })),
  )
  const valves = site.plants.flatMap((plant) =>
    plant.units.flatMap((unit) =>
      unit.distribution
        ? [
            {
              plantId: plant.id,
              tagId: unit.distribution.tag ?? `${plant.id}.${unit.id}.valve`,
              target: unit.distribution.target,
            },
          ]
        : [],
    ),
  )
  const samples = new Map<string, TemperatureSample[]>()
  let lastSampleAt = Number.NEGATIVE_INFINITY

  const sample = (now: number): void => {
    if (now - lastSampleAt < sampleEveryMs) return
    lastSampleAt = now
    for (const consumer of consumers) {
      const value = readable(from.valueOf(consumer.tagId))
      const kept = (samples.get(consumer.tagId) ?? []).filter(
        (earlier) => now - earlier.at <= fitWindowMs,
      )
      // A gap in readings breaks the line: a slope across an outage would be invented.
      samples.set(consumer.tagId, value === null ? [] : [...kept, { at: now, value }])
    }
  }

  return {
    gather: (now) => {
      sample(now)
      const heatByPlant = new Map(from.heat().map((plant) => [plant.plantId, plant]))
      return {
        at: now,
        plants: site.plants.map((plant) => {
          const heat = heatByPlant.get(plant.id)
          return {
            id: plant.id,
            name: plant.name,
            heat: heat?.state ?? null,
            heatSince: heat?.since ?? null,
            heatReasons: heat?.reasons ?? [],
            sourceIds: sourcesOfPlant.get(plant.id) ?? [],
          }
        }),
        sources: from.sources().map((source) => ({
          id: source.id,
          answering: source.state === 'connected',
          connecting: source.state === 'connecting',
          since: source.since,
        })),
        boilers: boilers.map((boiler) => ({
          ...boiler,
          pressure: readable(from.valueOf(boiler.tagId)),
        })),
        consumers: consumers.map((consumer) => {
          const heat = heatByPlant
            .get(consumer.plantId)
            ?.consumers.find((known) => known.unitId === consumer.unitId)
          return {
            plantId: consumer.plantId,
            unitId: consumer.unitId,
            name: consumer.name,
            priorityClass: consumer.priorityClass,
            tagId: consumer.tagId,
            state: heat?.state ?? 'unknown',
            value: readable(from.valueOf(consumer.tagId)),
            degradedBelow: consumer.degradedBelow,
            lostBelow: consumer.lostBelow,
            minutesToCritical: minutesToCritical(
              samples.get(consumer.tagId) ?? [],
              consumer.lostBelow,
            ),
          }
        }),
        alarms: from
          .alarms()
          .filter(standing)
          .sort((a, b) => (b.raisedAt ?? 0) - (a.raisedAt ?? 0))
          .map((alarm) => ({
            id: alarm.id,
            plantId: alarm.unit ? plantOfTag(`${alarm.unit}.`) : null,
            message: alarm.message,
            priority: alarm.priority,
            kind: alarmKind(alarm),
            acknowledged: alarm.state === 'acknowledged',
            raisedAt: alarm.raisedAt,
          })),
        distribution: [...new Set(valves.map((valve) => valve.plantId))].map((plantId) => {
          let worst: { tagId: string; deviation: number } | null = null
          let unreadable = false
          for (const valve of valves.filter((known) => known.plantId === plantId)) {
            const value = readable(from.valueOf(valve.tagId))
            if (value === null) {
              unreadable = true
              continue
            }
            const deviation = (Math.abs(value - valve.target) / valve.target) * 100
            if (!worst || deviation > worst.deviation) worst = { tagId: valve.tagId, deviation }
          }
          return {
            plantId,
            reference: 'target' as const,
            deviationPercent: unreadable ? null : (worst?.deviation ?? null),
            worstTagId: worst?.tagId ?? null,
          }
        }),
      }
    },
  }
}
