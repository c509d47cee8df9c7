import { memo, useMemo } from 'react'
import type { PlantInfo, TagInfo, UnitInfo } from '../../../../shared/api/contract'
import type { TagValue } from '../../../../shared/field/values'
import { priorityClassNames } from '../../../../shared/heat/priority-class'
import { openPlant } from '../../store/navigation'
import {
  consumersByClass,
  numberOf,
  plantAlarms,
  plantComms,
  pointTagId,
  restorationWindow,
  safetyValveOf,
  setpointTagId,
  unitKey,
  unitName,
  type ConsumerGroup,
} from './overview-model'
import { AlarmMarker, CommsLine, ConsumerHeatWord, HeatReasons, HeatStatus } from './marks'
import { Reading, useShownValues } from './readings'
import { noAlarms, noTags, type SiteView } from './site-view'
import { BoilerFlags, TrendButton, UnitLink } from './units'

// One plant on the overview (ISA-101 level 1): heat status, header, boilers, consumers by priority
// class and communication, compact enough that every plant fits one screen. Grey unless abnormal.

type UnitProps = { plant: PlantInfo; unit: UnitInfo; view: SiteView; now: number }

/** A unit's tags by point, and the shown values of its tags alone, so a batch renders only it. */
function useUnitParts(plant: PlantInfo, unit: UnitInfo, view: SiteView) {
  const tags = view.tags.byUnit.get(unitKey(plant.id, unit.id)) ?? noTags
  const values = useShownValues(tags)
  return {
    values,
    tagOf: (point: string): TagInfo | undefined =>
      view.tags.byId.get(pointTagId(plant.id, unit.id, point)),
    setpointOf: (tag: TagInfo) => numberOf(values[setpointTagId(tag.id)]),
  }
}

/** The unit's link and alarm marker; given its values (boilers, headers), the way to its trend. */
function UnitName({
  plant,
  unit,
  view,
  values,
}: {
  plant: PlantInfo
  unit: UnitInfo
  view: SiteView
  values?: Record<string, TagValue>
}): React.JSX.Element {
  const key = unitKey(plant.id, unit.id)
  return (
    <span className="unit-title">
      <UnitLink plant={plant} unit={unit} />
      <AlarmMarker alarms={view.alarms.byUnit.get(key) ?? noAlarms} compact />
      {values && (
        <TrendButton
          name={`${plant.name} ${unitName(unit)}`}
          tags={view.tags.byUnit.get(key) ?? noTags}
          values={values}
          compact
        />
      )}
    </span>
  )
}

function HeaderBlock({ plant, unit, view, now }: UnitProps): React.JSX.Element {
  const { values, tagOf, setpointOf } = useUnitParts(plant, unit, view)
  const pressure = tagOf('pressure')
  const temperature = tagOf('temperature')
  return (
    <div className="unit-block header-block" data-testid="header" data-unit-id={unit.id}>
      <div className="unit-name">
        <UnitName plant={plant} unit={unit} view={view} values={values} />
      </div>
      {pressure && (
        <Reading
          tag={pressure}
          value={values[pressure.id]}
          now={now}
          label="Pressure"
          setpoint={setpointOf(pressure)}
        />
      )}
      {temperature && (
        <Reading tag={temperature} value={values[temperature.id]} now={now} label="Temp." />
      )}
    </div>
  )
}

function BoilerBlock({ plant, unit, view, now }: UnitProps): React.JSX.Element {
  const { values, tagOf, setpointOf } = useUnitParts(plant, unit, view)
  const firing = tagOf('firing-rate')
  const valve = safetyValveOf(plant.id, unit)
  const pressure = tagOf('pressure')
  return (
    <div className="unit-block boiler-block" data-testid="boiler" data-unit-id={unit.id}>
      <div className="unit-name">
        <UnitName plant={plant} unit={unit} view={view} values={values} />
        <BoilerFlags plant={plant} unit={unit} view={view} values={values} now={now} />
      </div>
      {firing && (
        <Reading
          tag={firing}
          value={values[firing.id]}
          now={now}
          label="Firing"
          setpoint={setpointOf(firing)}
        />
      )}
      {pressure && (
        <Reading
          tag={pressure}
          value={values[pressure.id]}
          now={now}
          label="Drum"
          safetyValveSetpoint={valve?.setpoint ?? null}
        />
      )}
    </div>
  )
}

function ConsumerBlock({ plant, unit, view, now }: UnitProps): React.JSX.Element {
  const heat = view.heat[plant.id]?.consumers.find((consumer) => consumer.unitId === unit.id)
  const supply = view.tags.byId.get(
    heat?.tagId ?? pointTagId(plant.id, unit.id, 'supply-temperature'),
  )
  const supplyTags = useMemo(() => (supply ? [supply] : noTags), [supply])
  const values = useShownValues(supplyTags)
  return (
    <div
      className="unit-block consumer-block"
      data-testid="consumer"
      data-unit-id={unit.id}
      data-priority-class={unit.priorityClass ?? 'none'}
      data-heat-state={heat?.state}
    >
      <div className="unit-name">
        <UnitName plant={plant} unit={unit} view={view} />
      </div>
      {supply ? (
        <Reading
          tag={supply}
          value={values[supply.id]}
          now={now}
          label={<ConsumerHeatWord heat={heat} />}
        />
      ) : (
        <span className="reading-missing muted">no supply temperature</span>
      )}
    </div>
  )
}

// Memoised: a value batch renders only the blocks whose own values it changed.
const MemoHeaderBlock = memo(HeaderBlock)
const MemoBoilerBlock = memo(BoilerBlock)
const MemoConsumerBlock = memo(ConsumerBlock)

/** Units the overview has no compact form for (furnaces, areas): a link and their alarms each. */
function OtherUnits({
  plant,
  units,
  view,
}: {
  plant: PlantInfo
  units: UnitInfo[]
  view: SiteView
}): React.JSX.Element {
  return (
    <div className="other-units">
      <span className="group-heading">Other units</span>
      {units.map((unit) => (
        <span key={unit.id} data-testid="unit" data-unit-id={unit.id}>
          <UnitName plant={plant} unit={unit} view={view} />
        </span>
      ))}
    </div>
  )
}

export function PlantPanel({
  plant,
  view,
  now,
}: {
  plant: PlantInfo
  view: SiteView
  now: number
}): React.JSX.Element {
  const plantTags = view.tags.byPlant.get(plant.id) ?? noTags
  const comms = useMemo(() => plantComms(plantTags, view.sources), [plantTags, view.sources])
  const alarms = useMemo(
    () => plantAlarms(view.alarms, plant.id, comms.sourceIds),
    [view.alarms, plant.id, comms.sourceIds],
  )
  const heat = view.heat[plant.id]
  const ofKind = (kinds: UnitInfo['kind'][]) =>
    plant.units.filter((unit) => kinds.includes(unit.kind))
  const unit = (one: UnitInfo) => ({ plant, unit: one, view, now })
  const headingId = `plant-${plant.id}`
  return (
    <section
      className={`panel plant-panel plant-heat-${heat?.state ?? 'none'}`}
      data-testid="plant"
      data-plant-id={plant.id}
      data-heat-state={heat?.state}
      aria-labelledby={headingId}
    >
      <header className="plant-head">
        <h2 id={headingId}>
          <button
            type="button"
            className="link-button plant-link"
            onClick={() => openPlant(plant.id)}
          >
            {plant.name}
          </button>
        </h2>
        {heat ? (
          <HeatStatus heat={heat} live={view.live} now={now} brief />
        ) : (
          <span className="muted">no heat status rules</span>
        )}
        <span className="plant-head-spacer" />
        <AlarmMarker alarms={alarms} />
      </header>
      {heat && heat.state !== 'normal' && <HeatReasons heat={heat} most={3} />}
      <CommsLine comms={comms} sources={view.sources} live={view.live} />
      <div className="unit-grid">
        {ofKind(['header']).map((one) => (
          <MemoHeaderBlock key={one.id} {...unit(one)} />
        ))}
        {ofKind(['boiler']).map((one) => (
          <MemoBoilerBlock key={one.id} {...unit(one)} />
        ))}
        {consumersByClass(plant.units).map((group) => (
          <ConsumerGroupRows key={group.priorityClass ?? 'none'} group={group}>
            {group.consumers.map((one) => (
              <MemoConsumerBlock key={one.id} {...unit(one)} />
            ))}
          </ConsumerGroupRows>
        ))}
      </div>
      {ofKind(['furnace', 'other']).length > 0 && (
        <OtherUnits plant={plant} units={ofKind(['furnace', 'other'])} view={view} />
      )}
    </section>
  )
}

function ConsumerGroupRows({
  group,
  children,
}: {
  group: ConsumerGroup
  children: React.ReactNode
}): React.JSX.Element {
  const priorityClass = group.priorityClass
  return (
    <>
      <div className="group-heading" data-testid="priority-class">
        {priorityClass ? priorityClassNames[priorityClass] : 'no priority class'}
        {priorityClass && (
          <span className="muted"> · heat back within {restorationWindow(priorityClass)}</span>
        )}
      </div>
      {children}
    </>
  )
}
