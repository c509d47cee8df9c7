import type { PlantInfo, TagInfo, UnitInfo } from '../../../../shared/api/contract'
import type { AlarmPriority } from '../../../../shared/alarms/definitions'
import { alarmSummary } from '../../../../shared/alarms/list'
import type { AlarmSnapshot } from '../../../../shared/alarms/model'
import type { SourceStatus, TagValue } from '../../../../shared/field/values'
import {
  heatRestorationMinutes,
  priorityClasses,
  type PriorityClass,
} from '../../../../shared/heat/priority-class'
import type { HeatState } from '../../../../shared/heat/status'

// What the overview, plant and unit pages compute from the store, kept pure so it can be tested
// without a browser: where a bar's pointer, limits and normal band sit, which limit a reading is
// beyond, a boiler's state from its flags, consumers in the runbook's priority order, and which
// alarms and sources belong to a plant or unit.

export type Limits = TagInfo['limits']
export type LimitLevel = 'hh' | 'h' | 'l' | 'll'

/** GL-001 Safety Protocols: emergency shutdown above 95 % of the safety valve setpoint. */
export const safetyValveShare = 0.95

/** The pressure at which the runbook calls for shutdown; rounded as the alarm engine rounds it. */
export const safetyValveLimit = (setpoint: number): number =>
  Number((setpoint * safetyValveShare).toPrecision(12))

/** A reading as every page shows it (the trend readout uses the same rule). */
export function formatReading(value: TagValue['value'] | undefined): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'number') return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(2)
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF'
  return value
}

/** A number the bar and limit checks can use; flags and text have no place on a scale. */
export function numberOf(value: TagValue | undefined): number | null {
  return typeof value?.value === 'number' && Number.isFinite(value.value) ? value.value : null
}

/** A flag as the alarm engine reads it: booleans, or register numbers where non-zero is true. */
export function flagOf(value: TagValue | undefined): boolean | null {
  if (typeof value?.value === 'boolean') return value.value
  if (typeof value?.value === 'number') return value.value !== 0
  return null
}

/** A value the console still trusts: stale and bad readings are shown, but never judged. */
export const trusted = (value: TagValue | undefined): boolean =>
  value?.quality === 'good' || value?.quality === 'uncertain'

// ---------------------------------------------------------------------------------------------
// Bars

export type BarScale = { min: number; max: number }

/**
 * The range a bar spans, stable whatever the reading so the pointer's movement means something:
 * 0–100 for percentages; up to 110 % of the safety valve setpoint for a drum; otherwise a quarter
 * above the highest high limit, or half above the highest low limit when there are only low ones.
 * Zero-based unless a limit is negative. Null when nothing says what the range is.
 */
export function barScale(options: {
  unit: string
  limits: Limits
  safetyValveSetpoint?: number | null
}): BarScale | null {
  if (options.unit === '%') return { min: 0, max: 100 }
  const limits = options.limits ?? {}
  const highs = [limits.h, limits.hh, options.safetyValveSetpoint].filter(isNumber)
  const lows = [limits.l, limits.ll].filter(isNumber)
  const marks = [...highs, ...lows]
  if (marks.length === 0) return null
  const top = Math.max(...marks)
  const bottom = Math.min(...marks)
  if (bottom < 0) {
    const span = Math.max(top - bottom, Math.abs(bottom))
    return { min: bottom - span / 4, max: top + span / 4 }
  }
  const max = isNumber(options.safetyValveSetpoint)
    ? options.safetyValveSetpoint * 1.1
    : highs.length > 0
      ? top * 1.25
      : top * 1.5
  return max > 0 ? { min: 0, max } : null
}

const isNumber = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value)

/** Where a value sits on a scale, 0–100, pinned at the ends. */
export function percentOf(value: number, scale: BarScale): number {
  const share = ((value - scale.min) / (scale.max - scale.min)) * 100
  return Math.min(100, Math.max(0, share))
}

export type BarMarkKind = LimitLevel | 'safety-valve-95' | 'safety-valve' | 'setpoint'
export type BarMark = { kind: BarMarkKind; value: number; percent: number }

export type BarGeometry = {
  scale: BarScale
  /** The pointer, 0–100; null when there is no number to show. */
  pointer: number | null
  /** The reading is off the scale: the pointer is pinned at that end. */
  offScale: 'above' | 'below' | null
  /** The band between the innermost limits, where the reading belongs. */
  band: { from: number; to: number } | null
  /** Limits, the safety valve and its 95 % mark, and the setpoint; only those on the scale. */
  marks: BarMark[]
}

export function barGeometry(options: {
  value: number | null
  unit: string
  limits: Limits
  safetyValveSetpoint?: number | null
  setpoint?: number | null
}): BarGeometry | null {
  const scale = barScale(options)
  if (!scale) return null
  const limits = options.limits ?? {}
  const valve = options.safetyValveSetpoint
  const candidates: [BarMarkKind, number | null | undefined][] = [
    ['ll', limits.ll],
    ['l', limits.l],
    ['h', limits.h],
    ['hh', limits.hh],
    ['safety-valve-95', isNumber(valve) ? safetyValveLimit(valve) : null],
    ['safety-valve', valve],
    ['setpoint', options.setpoint],
  ]
  const marks = candidates.flatMap(([kind, value]): BarMark[] =>
    isNumber(value) && value >= scale.min && value <= scale.max
      ? [{ kind, value, percent: percentOf(value, scale) }]
      : [],
  )
  const lower = limits.l ?? limits.ll
  const upper = limits.h ?? limits.hh ?? (isNumber(valve) ? safetyValveLimit(valve) : undefined)
  const band =
    lower === undefined && upper === undefined
      ? null
      : {
          from: lower === undefined ? 0 : percentOf(lower, scale),
          to: upper === undefined ? 100 : percentOf(upper, scale),
        }
  const value = options.value
  return {
    scale,
    pointer: value === null ? null : percentOf(value, scale),
    offScale:
      value === null ? null : value > scale.max ? 'above' : value < scale.min ? 'below' : null,
    band,
    marks,
  }
}

// ---------------------------------------------------------------------------------------------
// Limits

/**
 * A reading beyond a limit: which, how bad (hh, ll and the safety valve are worst), its short mark
 * (HH, H, L, LL, SV) and what that means in words.
 */
export type Excursion = {
  level: LimitLevel | 'safety-valve'
  severity: 'alarm' | 'warning'
  label: string
  meaning: string
}

/**
 * The limit a reading is at or beyond (at counts, as in the alarm engine), worst first. Only for
 * readings the console trusts: a stale number is not judged against limits.
 */
export function excursionOf(
  value: TagValue | undefined,
  limits: Limits,
  safetyValveSetpoint: number | null = null,
): Excursion | null {
  const number = trusted(value) ? numberOf(value) : null
  if (number === null) return null
  const at = limits ?? {}
  if (safetyValveSetpoint !== null && number >= safetyValveLimit(safetyValveSetpoint)) {
    return {
      level: 'safety-valve',
      severity: 'alarm',
      label: 'SV',
      meaning: 'at or above 95 % of the safety valve setpoint: shut down (GL-001)',
    }
  }
  const beyond = (level: LimitLevel, severity: Excursion['severity']): Excursion => ({
    level,
    severity,
    label: level.toUpperCase(),
    meaning: `${level.startsWith('h') ? 'at or above' : 'at or below'} its ${level.toUpperCase()} limit`,
  })
  if (at.hh !== undefined && number >= at.hh) return beyond('hh', 'alarm')
  if (at.ll !== undefined && number <= at.ll) return beyond('ll', 'alarm')
  if (at.h !== undefined && number >= at.h) return beyond('h', 'warning')
  if (at.l !== undefined && number <= at.l) return beyond('l', 'warning')
  return null
}

// ---------------------------------------------------------------------------------------------
// Units

/** The tag of one of a unit's points, by the `<plant>.<unit>.<point>` convention. */
export const pointTagId = (plantId: string, unitId: string, point: string): string =>
  `${plantId}.${unitId}.${point}`

/** A reading's setpoint, by convention: `…pressure` has `…pressure-setpoint`. */
export const setpointTagId = (tagId: string): string => `${tagId}-setpoint`

/** A unit's safety valve and the tag it guards: `<plant>.<unit>.pressure`, as the alarms read it. */
export type SafetyValve = { tagId: string; setpoint: number }

export function safetyValveOf(plantId: string, unit: UnitInfo): SafetyValve | null {
  return unit.safetyValveSetpoint === null
    ? null
    : { tagId: pointTagId(plantId, unit.id, 'pressure'), setpoint: unit.safetyValveSetpoint }
}

export type BoilerState = 'firing' | 'off' | 'tripped' | 'unknown'

export type BoilerStatus = {
  state: BoilerState
  mode: 'auto' | 'manual' | 'unknown'
  /** Combustion stability at or below its low limits: GL-001's explosion risk. */
  unstable: Excursion | null
}

/**
 * A boiler's state from its `tripped`, `running` (flame on) and `auto` flags: a trip outranks the
 * flame, and a flag that cannot be read leaves the state unknown rather than guessed.
 */
export function boilerStatus(
  plantId: string,
  unitId: string,
  valueOf: (tagId: string) => TagValue | undefined,
  stabilityLimits: Limits,
): BoilerStatus {
  const point = (name: string) => valueOf(pointTagId(plantId, unitId, name))
  const tripped = flagOf(point('tripped'))
  const flame = flagOf(point('running'))
  const auto = flagOf(point('auto'))
  return {
    state: tripped ? 'tripped' : flame === true ? 'firing' : flame === false ? 'off' : 'unknown',
    mode: auto === null ? 'unknown' : auto ? 'auto' : 'manual',
    // An unlit burner reads 0 stability: only a lit one can be unstable.
    unstable: flame === true ? excursionOf(point('combustion-stability'), stabilityLimits) : null,
  }
}

export type ConsumerGroup = { priorityClass: PriorityClass | null; consumers: UnitInfo[] }

/** Consumers by critical-heat priority, life safety first; consumers without a class last. */
export function consumersByClass(units: readonly UnitInfo[]): ConsumerGroup[] {
  const consumers = units.filter((unit) => unit.kind === 'consumer')
  const order: (PriorityClass | null)[] = [...priorityClasses, null]
  return order.flatMap((priorityClass) => {
    const members = consumers.filter((unit) => unit.priorityClass === priorityClass)
    return members.length > 0 ? [{ priorityClass, consumers: members }] : []
  })
}

/** The runbook's window to restore heat to a class, as an operator says it ("10 min", "4 h"). */
export function restorationWindow(priorityClass: PriorityClass): string {
  const minutes = heatRestorationMinutes[priorityClass]
  return minutes >= 120 ? `${minutes / 60} h` : `${minutes} min`
}

/** Numeric tags of a unit, for its trend: by the latest reading, else by a unit or limits. */
export function trendTagIds(
  tags: readonly TagInfo[],
  valueOf: (tagId: string) => TagValue | undefined,
): string[] {
  return tags
    .filter((tag) => {
      const value = valueOf(tag.id)?.value
      if (value === undefined || value === null) return tag.unit !== '' || tag.limits !== null
      return typeof value === 'number'
    })
    .map((tag) => tag.id)
}

/**
 * Tag names without the words every tag of the unit starts with ("Boiler 1 drum pressure" →
 * "Drum pressure" beside "Firing rate"), so a unit's card reads as a list of its points. A lone tag
 * keeps its name.
 */
export function shortNames(tags: readonly TagInfo[]): Map<string, string> {
  const words = tags.map((tag) => tag.name.split(' '))
  let shared = 0
  if (words.length > 1) {
    const first = words[0] ?? []
    // Keep at least one word of every name.
    const longest = Math.min(...words.map((name) => name.length - 1))
    while (shared < longest && words.every((name) => name[shared] === first[shared])) shared++
  }
  return new Map(
    tags.map((tag, index) => {
      const rest = (words[index] ?? []).slice(shared).join(' ')
      return [tag.id, rest.charAt(0).toUpperCase() + rest.slice(1)]
    }),
  )
}

// ---------------------------------------------------------------------------------------------
// Tags, alarms and sources per plant and unit

/** `<plant>.<unit>`: how alarms name the unit they belong to. */
export const unitKey = (plantId: string, unitId: string): string => `${plantId}.${unitId}`

export type TagIndex = {
  byId: Map<string, TagInfo>
  byUnit: Map<string, TagInfo[]>
  byPlant: Map<string, TagInfo[]>
  /** Tags of no plant the site declares: still values an operator must see. */
  unplaced: TagInfo[]
}

export function indexTags(tags: readonly TagInfo[]): TagIndex {
  const byId = new Map(tags.map((tag) => [tag.id, tag]))
  const byUnit = new Map<string, TagInfo[]>()
  const byPlant = new Map<string, TagInfo[]>()
  const unplaced: TagInfo[] = []
  const push = (map: Map<string, TagInfo[]>, key: string, tag: TagInfo): void => {
    const list = map.get(key)
    if (list) list.push(tag)
    else map.set(key, [tag])
  }
  for (const tag of tags) {
    if (tag.plantId === null) {
      unplaced.push(tag)
      continue
    }
    push(byPlant, tag.plantId, tag)
    if (tag.unitId !== null) push(byUnit, unitKey(tag.plantId, tag.unitId), tag)
  }
  return { byId, byUnit, byPlant, unplaced }
}

export type AlarmIndex = {
  /** By `<plant>.<unit>`. */
  byUnit: Map<string, AlarmSnapshot[]>
  /** Communication-loss alarms, by source: they belong to no unit. */
  bySource: Map<string, AlarmSnapshot[]>
}

export function indexAlarms(alarms: Record<string, AlarmSnapshot>): AlarmIndex {
  const byUnit = new Map<string, AlarmSnapshot[]>()
  const bySource = new Map<string, AlarmSnapshot[]>()
  for (const alarm of Object.values(alarms)) {
    const [map, key] = alarm.unit !== null ? [byUnit, alarm.unit] : [bySource, alarm.sourceId]
    if (key === null) continue
    const list = map.get(key)
    if (list) list.push(alarm)
    else map.set(key, [alarm])
  }
  return { byUnit, bySource }
}

/** What an alarm marker shows: annunciated alarms, how many wait for a person, the worst. */
export type AlarmTally = {
  annunciated: number
  unacknowledged: number
  highest: AlarmPriority | null
}

export function tallyAlarms(alarms: readonly AlarmSnapshot[]): AlarmTally {
  const summary = alarmSummary(alarms)
  return {
    annunciated: summary.annunciated,
    unacknowledged: summary.unacknowledged,
    highest: summary.highestAnnunciatedPriority,
  }
}

/** A plant's alarms: its units' (by `<plant>.`), and the communication loss of its sources. */
export function plantAlarms(
  index: AlarmIndex,
  plantId: string,
  sourceIds: readonly string[],
): AlarmSnapshot[] {
  const ofUnits = [...index.byUnit.entries()]
    .filter(([unit]) => unit.startsWith(`${plantId}.`))
    .flatMap(([, alarms]) => alarms)
  return [...ofUnits, ...sourceIds.flatMap((sourceId) => index.bySource.get(sourceId) ?? [])]
}

export type PlantComms = {
  sourceIds: string[]
  /** Disconnected: everything they serve is stale. */
  lost: string[]
  /** Not connected yet (or no status heard): values may not have arrived. */
  connecting: string[]
}

export function plantComms(tags: readonly TagInfo[], sources: readonly SourceStatus[]): PlantComms {
  const sourceIds = [...new Set(tags.map((tag) => tag.sourceId))].sort()
  const stateOf = (id: string) => sources.find((source) => source.id === id)?.state ?? 'connecting'
  return {
    sourceIds,
    lost: sourceIds.filter((id) => stateOf(id) === 'disconnected'),
    connecting: sourceIds.filter((id) => stateOf(id) === 'connecting'),
  }
}

/** A unit as the operator reads it: its name, or its id in words when the site names it not. */
export function unitName(unit: UnitInfo): string {
  if (unit.name !== unit.id) return unit.name
  const words = unit.id.replace(/[-_]+/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A plant's unit by id. */
export const unitOf = (plant: PlantInfo, unitId: string | null): UnitInfo | undefined =>
  plant.units.find((unit) => unit.id === unitId)

export const heatWords: Record<HeatState, string> = {
  normal: 'NORMAL',
  degraded: 'DEGRADED',
  lost: 'LOST',
  unknown: 'UNKNOWN',
}
