import { useMemo } from 'react'
import type { PlantInfo, UnitInfo } from '../../../../shared/api/contract'
import { priorityClassNames } from '../../../../shared/heat/priority-class'
import {
  consumersByClass,
  numberOf,
  plantAlarms,
  plantComms,
  restorationWindow,
  safetyValveOf,
  setpointTagId,
  shortNames,
  unitKey,
  unitName,
} from './overview-model'
import { AlarmMarker, CommsLine, ConsumerHeatWord, HeatReasons, HeatStatus } from './marks'
import { Reading, TagTable, useShownValues } from './readings'
import { noAlarms, noTags, type SiteView } from './site-view'
import { BoilerStateWords, Crumbs, SafetyValveNote, TrendButton, UnitLink } from './units'

// A plant in detail (ISA-101 level 2): its heat status with every reason, where its values come
// from, and every unit with all its readings; consumers under their priority class and the time
// the runbook gives to restore their heat.

const kindWords: Record<UnitInfo['kind'], string> = {
  boiler: 'boiler',
  header: 'steam header',
  furnace: 'furnace',
  consumer: 'consumer',
  other: 'unit',
}

function UnitCard({
  plant,
  unit,
  view,
  now,
}: {
  plant: PlantInfo
  unit: UnitInfo
  view: SiteView
  now: number
}): React.JSX.Element {
  const key = unitKey(plant.id, unit.id)
  const tags = view.tags.byUnit.get(key) ?? noTags
  const names = useMemo(() => shortNames(tags), [tags])
  const values = useShownValues(tags)
  const valve = safetyValveOf(plant.id, unit)
  const heat = view.heat[plant.id]?.consumers.find((consumer) => consumer.unitId === unit.id)
  const consumer = unit.kind === 'consumer'
  return (
    <section
      className="panel unit-card"
      data-testid={consumer ? 'consumer' : 'unit-card'}
      data-unit-id={unit.id}
      data-kind={unit.kind}
      data-priority-class={consumer ? (unit.priorityClass ?? 'none') : undefined}
      data-heat-state={heat?.state}
    >
      <h3 className="unit-card-head">
        <UnitLink plant={plant} unit={unit} />
        <span className="muted">{kindWords[unit.kind]}</span>
        {unit.kind === 'boiler' && (
          <BoilerStateWords plant={plant} unit={unit} view={view} values={values} />
        )}
        <ConsumerHeatWord heat={heat} />
        <AlarmMarker alarms={view.alarms.byUnit.get(key) ?? noAlarms} />
        <span className="plant-head-spacer" />
        <TrendButton name={`${plant.name} ${unitName(unit)}`} tags={tags} values={values} />
      </h3>
      {valve && <SafetyValveNote valve={valve} unit={view.tags.byId.get(valve.tagId)?.unit} />}
      {consumer && (
        <p className="unit-card-note class-note" data-testid="priority-class">
          {unit.priorityClass
            ? `${priorityClassNames[unit.priorityClass]}: heat back within ${restorationWindow(unit.priorityClass)}`
            : 'No priority class'}
        </p>
      )}
      <div className="reading-grid">
        {tags.map((tag) => (
          <Reading
            key={tag.id}
            tag={tag}
            value={values[tag.id]}
            now={now}
            label={names.get(tag.id)}
            safetyValveSetpoint={valve?.tagId === tag.id ? valve.setpoint : null}
            setpoint={numberOf(values[setpointTagId(tag.id)])}
          />
        ))}
      </div>
      {tags.length === 0 && <p className="muted">No tags are read for this unit.</p>}
    </section>
  )
}

export function PlantDetail({
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
  const alarms = plantAlarms(view.alarms, plant.id, comms.sourceIds)
  const heat = view.heat[plant.id]
  const loose = plantTags.filter((tag) => tag.unitId === null)
  const card = (unit: UnitInfo) => (
    <UnitCard key={unit.id} plant={plant} unit={unit} view={view} now={now} />
  )
  const ofKind = (kinds: UnitInfo['kind'][]) =>
    plant.units.filter((unit) => kinds.includes(unit.kind))
  const consumers = consumersByClass(plant.units).flatMap((group) => group.consumers)
  return (
    <main
      className="plant-page"
      data-testid="plant-detail"
      data-plant-id={plant.id}
      data-heat-state={heat?.state}
    >
      <Crumbs plant={plant} />
      <section
        className={`panel plant-summary plant-heat-${heat?.state ?? 'none'}`}
        aria-labelledby="plant-detail-name"
      >
        <header className="plant-head">
          <h2 id="plant-detail-name">{plant.name}</h2>
          {heat ? (
            <HeatStatus heat={heat} live={view.live} now={now} />
          ) : (
            <span className="muted">
              No heat status: the site file gives this plant no heatStatus rules
            </span>
          )}
          <span className="plant-head-spacer" />
          <AlarmMarker alarms={alarms} />
        </header>
        {heat && <HeatReasons heat={heat} />}
        {heat?.state === 'normal' && (
          <p className="muted">Header and every consumer within the plant&apos;s heat rules.</p>
        )}
        <CommsLine comms={comms} sources={view.sources} live={view.live} withErrors />
      </section>
      <div className="card-grid">
        {[...ofKind(['header']), ...ofKind(['boiler']), ...ofKind(['furnace', 'other'])].map(card)}
      </div>
      {consumers.length > 0 && (
        <section className="consumer-classes" aria-labelledby="plant-detail-consumers">
          <h3 className="class-heading" id="plant-detail-consumers">
            Consumers by critical heat priority{' '}
            <span className="muted">
              (GL-001: life safety within 10 min, product safety 30 min, equipment protection 60
              min, production 4 h)
            </span>
          </h3>
          <div className="card-grid">{consumers.map(card)}</div>
        </section>
      )}
      {loose.length > 0 && (
        <section className="panel">
          <h3>Tags of {plant.name} outside its units</h3>
          <TagTable tags={loose} now={now} />
        </section>
      )}
    </main>
  )
}
