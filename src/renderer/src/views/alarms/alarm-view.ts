import type { AlarmPriority } from '../../../../shared/alarms/definitions'
import type { AlarmSnapshot, AlarmState, FloodGroup } from '../../../../shared/alarms/model'
import type { PlantInfo, TagInfo } from '../../../../shared/api/contract'

// What the alarm page and the summary bar show, as plain functions of the store, so the rules an
// operator relies on (which alarms a page acknowledges, which plant an alarm belongs to, what can
// be shelved) are unit-tested apart from React.

/** Rows per page of the alarm list: one screen at 1366×768 without scrolling past the actions. */
export const alarmPageSize = 25

/**
 * Redundant coding (ISA-101): the priority is a colour, a shape and a word, so an operator who
 * cannot tell red from orange still reads it.
 */
export const priorityMarks: Record<AlarmPriority, { label: string; shape: string; name: string }> =
  {
    critical: { label: 'CRIT', shape: '◆', name: 'critical' },
    high: { label: 'HIGH', shape: '▲', name: 'high' },
    medium: { label: 'MED', shape: '■', name: 'medium' },
    low: { label: 'LOW', shape: '●', name: 'low' },
  }

export const stateLabels: Record<AlarmState, string> = {
  normal: 'Normal',
  unacknowledged: 'Unacknowledged',
  acknowledged: 'Acknowledged',
  'returned-unacknowledged': 'RTN, unacknowledged',
  shelved: 'Shelved',
  suppressed: 'Suppressed by design',
  'out-of-service': 'Out of service',
}

export const causeLabels: Record<AlarmSnapshot['cause'], string> = {
  'high-limit': 'high limit',
  'low-limit': 'low limit',
  'rate-of-change': 'rate of change',
  deviation: 'deviation',
  trip: 'trip',
  'flame-failure': 'flame failure',
  digital: 'digital',
  overpressure: 'overpressure',
  'combustion-instability': 'combustion instability',
  'communication-loss': 'communication loss',
}

/** Shelve durations an operator picks from; the site's maximum is the backend's to enforce. */
export const shelveChoices = [
  { minutes: 15, label: '15 min' },
  { minutes: 60, label: '1 h' },
  { minutes: 240, label: '4 h' },
  { minutes: 480, label: '8 h' },
] as const

/** ISA-18.2: an alarm awaits acknowledgement while active-unacknowledged or returned-unacknowledged. */
export const isUnacknowledged = (alarm: AlarmSnapshot): boolean =>
  alarm.state === 'unacknowledged' || alarm.state === 'returned-unacknowledged'

/**
 * Whether to offer Shelve. Critical alarms never: they are the runbook's safety alarms and the
 * engine refuses (an engineer takes a misbehaving one out of service instead). Only an alarm in the
 * list can be shelved; one already hidden has nothing to shelve.
 */
export const canShelve = (alarm: AlarmSnapshot): boolean =>
  alarm.priority !== 'critical' &&
  (alarm.state === 'unacknowledged' ||
    alarm.state === 'acknowledged' ||
    alarm.state === 'returned-unacknowledged')

/** Local wall-clock time, HH:MM:SS, 24-hour whatever the locale: a control room reads one format. */
export function clockTime(ms: number | null): string {
  if (ms === null) return '—'
  const time = new Date(ms)
  return [time.getHours(), time.getMinutes(), time.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':')
}

/** Which plants serve each source, for alarms that belong to a source (communication loss). */
export function plantsBySource(tags: readonly TagInfo[]): Map<string, Set<string>> {
  const plants = new Map<string, Set<string>>()
  for (const tag of tags) {
    if (tag.plantId === null) continue
    const set = plants.get(tag.sourceId) ?? new Set<string>()
    set.add(tag.plantId)
    plants.set(tag.sourceId, set)
  }
  return plants
}

/**
 * An alarm is in a plant when its unit (`<plant>.<unit>`) is, or, for a source's alarm, when the
 * source reads any of the plant's tags: losing that PLC blinds the operator to the plant.
 */
export function alarmInPlant(
  alarm: AlarmSnapshot,
  plantId: string,
  sourcePlants: ReadonlyMap<string, ReadonlySet<string>>,
): boolean {
  if (alarm.unit !== null) return alarm.unit === plantId || alarm.unit.startsWith(`${plantId}.`)
  return alarm.sourceId !== null && (sourcePlants.get(alarm.sourceId)?.has(plantId) ?? false)
}

export type ListPage<T> = { rows: T[]; page: number; pageCount: number }

/** One page of rows; a page number past the end (rows went away) shows the last page. */
export function pageOf<T>(rows: readonly T[], page: number, pageSize = alarmPageSize): ListPage<T> {
  const pageCount = Math.max(1, Math.ceil(rows.length / pageSize))
  const shown = Math.min(Math.max(0, page), pageCount - 1)
  return { rows: rows.slice(shown * pageSize, (shown + 1) * pageSize), page: shown, pageCount }
}

/** What "Acknowledge page" acknowledges: only the alarms on screen that await it (ISA-18.2). */
export const acknowledgeableIds = (rows: readonly AlarmSnapshot[]): string[] =>
  rows.filter(isUnacknowledged).map((alarm) => alarm.id)

const plantOf = (alarm: AlarmSnapshot, plants: readonly PlantInfo[]): PlantInfo | undefined =>
  plants.find((candidate) => alarm.unit?.startsWith(`${candidate.id}.`))

/** "Plant 001 › Boiler 1" from `plant-001.boiler-1`; the raw key when the site does not name it. */
export function unitLabel(alarm: AlarmSnapshot, plants: readonly PlantInfo[]): string {
  if (alarm.unit === null) return alarm.sourceId ? `Source ${alarm.sourceId}` : '—'
  const plant = plantOf(alarm, plants)
  if (!plant) return alarm.unit
  const unitId = alarm.unit.slice(plant.id.length + 1)
  const unit = plant.units.find((candidate) => candidate.id === unitId)
  return `${plant.name} › ${unit?.name ?? unitId}`
}

/** Where, in a word, for the summary bar: the plant (the message names the unit), or the source. */
export function whereLabel(alarm: AlarmSnapshot, plants: readonly PlantInfo[]): string {
  if (alarm.unit === null) return alarm.sourceId ? `Source ${alarm.sourceId}` : '—'
  return plantOf(alarm, plants)?.name ?? alarm.unit
}

export function formatMeasure(value: AlarmSnapshot['value']): string {
  if (value === null) return '—'
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF'
  if (typeof value === 'string') return value
  // Enough digits to compare with a limit written with one or two decimals, no float noise.
  return Number(value.toPrecision(4)).toString()
}

/**
 * The value against what it is judged by, in the words of its condition: "15.31 bar" and
 * "limit ≥ 15.2 bar" for a high limit, "± 2 bar" for a deviation band, a rate per minute.
 */
export function measureOf(
  alarm: AlarmSnapshot,
  engineeringUnit: string,
): { value: string; threshold: string } {
  const unit = engineeringUnit ? ` ${engineeringUnit}` : ''
  const value = formatMeasure(alarm.value)
  const withUnit = typeof alarm.value === 'number' ? `${value}${unit}` : value
  const threshold = alarm.threshold === null ? null : formatMeasure(alarm.threshold)
  if (threshold === null) return { value: withUnit, threshold: '' }
  switch (alarm.cause) {
    case 'high-limit':
    case 'overpressure':
      return { value: withUnit, threshold: `limit ≥ ${threshold}${unit}` }
    case 'low-limit':
    case 'combustion-instability':
      return { value: withUnit, threshold: `limit ≤ ${threshold}${unit}` }
    case 'rate-of-change':
      return {
        value: typeof alarm.value === 'number' ? `${withUnit}/min` : withUnit,
        threshold: `rate ≥ ${threshold}${unit}/min`,
      }
    case 'deviation':
      return { value: `${withUnit} off setpoint`, threshold: `band ± ${threshold}${unit}` }
    default:
      return { value: withUnit, threshold: `limit ${threshold}${unit}` }
  }
}

/** The prompt is shown for the alarms whose response the runbook prescribes. */
export const showsPrompt = (alarm: AlarmSnapshot): boolean =>
  alarm.prompt !== null && (alarm.builtIn || alarm.priority === 'critical')

/** Refusals in the operator's words, naming each alarm by its message rather than its id. */
export function refusalText(
  action: string,
  refused: readonly { alarmId: string; message: string }[],
  alarms: Readonly<Record<string, AlarmSnapshot>>,
): string {
  const lines = refused.map(
    ({ alarmId, message }) => `${alarms[alarmId]?.message ?? alarmId}: ${message}`,
  )
  return `${action} refused for ${refused.length} alarm(s): ${lines.join('; ')}`
}

/** The shelved, out-of-service and suppressed alarms: out of annunciation, not out of mind. */
export function hiddenAlarms(alarms: readonly AlarmSnapshot[]): {
  shelved: AlarmSnapshot[]
  outOfService: AlarmSnapshot[]
  suppressed: AlarmSnapshot[]
} {
  const byId = (a: AlarmSnapshot, b: AlarmSnapshot): number => (a.id < b.id ? -1 : 1)
  // Soonest back first: that is the next alarm to return to the list.
  const shelved = alarms
    .filter((alarm) => alarm.state === 'shelved')
    .sort((a, b) => (a.shelved?.until ?? 0) - (b.shelved?.until ?? 0) || byId(a, b))
  return {
    shelved,
    outOfService: alarms.filter((alarm) => alarm.state === 'out-of-service').sort(byId),
    suppressed: alarms.filter((alarm) => alarm.state === 'suppressed').sort(byId),
  }
}

/**
 * Whether an alarm belongs to a flood group: same unit (or source) and cause. Matched by what the
 * group is rather than its alarm ids, so the filtered list keeps up as the flood grows.
 */
export const inFloodGroup = (
  alarm: AlarmSnapshot,
  group: Pick<FloodGroup, 'unit' | 'sourceId' | 'cause'>,
): boolean =>
  alarm.unit === group.unit && alarm.sourceId === group.sourceId && alarm.cause === group.cause

/** A flood group's line: its first-out alarm, how many alarms it holds, and the worst of them. */
export function floodGroupLine(
  group: FloodGroup,
  alarms: Readonly<Record<string, AlarmSnapshot>>,
): { key: string; firstOut: AlarmSnapshot | null; count: number } {
  return {
    key: `${group.unit ?? group.sourceId ?? ''}|${group.cause}`,
    firstOut: alarms[group.firstOutAlarmId] ?? null,
    count: group.alarmIds.length,
  }
}
