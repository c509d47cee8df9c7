import type { PlantInfo, TagInfo, UnitInfo } from '../../../../shared/api/contract'
import type { TagValue } from '../../../../shared/field/values'
import { openPlant, openTrend } from '../../store/navigation'
import {
  boilerStatus,
  flagOf,
  formatReading,
  pointTagId,
  safetyValveLimit,
  trendTagIds,
  unitName,
  type BoilerStatus,
  type SafetyValve,
} from './overview-model'
import { Flag } from './readings'
import type { SiteView } from './site-view'

// Pieces of a unit every level shows the same way: its link, its trend, and a boiler's state line.

export function UnitLink({ plant, unit }: { plant: PlantInfo; unit: UnitInfo }): React.JSX.Element {
  return (
    <button
      type="button"
      className="link-button unit-link"
      onClick={() => openPlant(plant.id, unit.id)}
    >
      {unitName(unit)}
    </button>
  )
}

/**
 * Opens the trend of every numeric tag of a unit; disabled when it has none. Compact (the overview)
 * shows only its icon; its name still says Trend.
 */
export function TrendButton({
  name,
  tags,
  values,
  compact = false,
}: {
  name: string
  tags: readonly TagInfo[]
  values: Record<string, TagValue>
  compact?: boolean
}): React.JSX.Element {
  const tagIds = trendTagIds(tags, (tagId) => values[tagId])
  return (
    <button
      type="button"
      className="trend-button"
      aria-label={`Trend of ${name}`}
      title={`Trend of ${name}: ${tagIds.length} tags`}
      disabled={tagIds.length === 0}
      onClick={() => openTrend(tagIds)}
    >
      <svg viewBox="0 0 16 12" aria-hidden="true">
        <polyline
          points="1,10 5,5 8,7 12,2 15,4"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.6"
        />
      </svg>
      {!compact && 'Trend'}
    </button>
  )
}

/**
 * A boiler's state in words: flame ON/OFF, AUTO/MAN, and only when abnormal TRIPPED and UNSTABLE
 * (combustion stability at its low limit). Each flag keeps its quality; missing flags are left out.
 */
export function BoilerFlags({
  plant,
  unit,
  view,
  values,
  now,
}: {
  plant: PlantInfo
  unit: UnitInfo
  view: SiteView
  values: Record<string, TagValue>
  now: number
}): React.JSX.Element {
  const point = (name: string) => {
    const tag = view.tags.byId.get(pointTagId(plant.id, unit.id, name))
    return tag ? { tag, value: values[tag.id] } : null
  }
  const flame = point('running')
  const auto = point('auto')
  const tripped = point('tripped')
  const stability = point('combustion-stability')
  const status = boilerStatus(
    plant.id,
    unit.id,
    (tagId) => values[tagId],
    stability?.tag.limits ?? null,
  )
  const word = (value: TagValue | undefined, on: string, off: string): string => {
    const flag = flagOf(value)
    return flag === null ? '—' : flag ? on : off
  }
  return (
    <span className="boiler-flags" data-state={status.state} data-mode={status.mode}>
      {flame && <Flag {...flame} now={now} label="Flame" word={word(flame.value, 'ON', 'OFF')} />}
      {auto && <Flag {...auto} now={now} word={word(auto.value, 'AUTO', 'MAN')} />}
      {tripped && status.state === 'tripped' && (
        <Flag {...tripped} now={now} word="TRIPPED" className="flag-alarm" />
      )}
      {stability && status.unstable && (
        <span
          className={`flag flag-${status.unstable.severity}`}
          title={`Combustion stability ${formatReading(stability.value?.value)}: ${status.unstable.meaning}`}
        >
          UNSTABLE
        </span>
      )}
    </span>
  )
}

const stateWords: Record<BoilerStatus['state'], string> = {
  firing: 'FIRING',
  off: 'OFF',
  tripped: 'TRIPPED',
  unknown: 'STATE UNKNOWN',
}

/**
 * A boiler's state as a summary in words, for pages that list its flags as readings below it: the
 * same words as the overview, without repeating each flag's quality and age.
 */
export function BoilerStateWords({
  plant,
  unit,
  view,
  values,
}: {
  plant: PlantInfo
  unit: UnitInfo
  view: SiteView
  values: Record<string, TagValue>
}): React.JSX.Element {
  const stability = view.tags.byId.get(pointTagId(plant.id, unit.id, 'combustion-stability'))
  const status = boilerStatus(
    plant.id,
    unit.id,
    (tagId) => values[tagId],
    stability?.limits ?? null,
  )
  return (
    <span
      className="boiler-flags"
      data-testid="boiler-state"
      data-state={status.state}
      data-mode={status.mode}
    >
      <span className={`flag${status.state === 'tripped' ? ' flag-alarm' : ''}`}>
        {stateWords[status.state]}
      </span>
      {status.mode !== 'unknown' && (
        <span className="flag">{status.mode === 'auto' ? 'AUTO' : 'MAN'}</span>
      )}
      {status.unstable && <span className={`flag flag-${status.unstable.severity}`}>UNSTABLE</span>}
    </span>
  )
}

/** Where the operator is, and the way back up: all plants › plant › unit. */
export function Crumbs({
  plant,
  unit = null,
}: {
  plant: PlantInfo
  unit?: UnitInfo | null
}): React.JSX.Element {
  return (
    <nav className="crumbs" aria-label="Where you are">
      <button type="button" className="link-button" onClick={() => openPlant(null)}>
        ← All plants
      </button>
      <span aria-hidden="true"> › </span>
      {unit ? (
        <button type="button" className="link-button" onClick={() => openPlant(plant.id)}>
          {plant.name}
        </button>
      ) : (
        <span aria-current="page">{plant.name}</span>
      )}
      {unit && (
        <>
          <span aria-hidden="true"> › </span>
          <span aria-current="page">{unitName(unit)}</span>
        </>
      )}
    </nav>
  )
}

/** GL-001: shut a boiler down above 95 % of its safety valve setpoint. */
export function SafetyValveNote({
  valve,
  unit = '',
}: {
  valve: SafetyValve
  unit?: string | undefined
}): React.JSX.Element {
  const withUnit = (value: number) => `${value}${unit ? ` ${unit}` : ''}`
  return (
    <p className="unit-card-note muted" data-testid="safety-valve">
      Safety valve {withUnit(valve.setpoint)}; shut down above 95 %:{' '}
      {withUnit(safetyValveLimit(valve.setpoint))} (GL-001)
    </p>
  )
}
