import { useMemo } from 'react'
import type { PlantInfo, UnitInfo } from '../../../../shared/api/contract'
import { alarmList } from '../../../../shared/alarms/list'
import { annunciatedStates, type AlarmSnapshot } from '../../../../shared/alarms/model'
import { priorityClassNames } from '../../../../shared/heat/priority-class'
import { formatAge } from '../use-now'
import {
  formatReading,
  plantComms,
  restorationWindow,
  safetyValveOf,
  unitKey,
  unitName,
} from './overview-model'
import { AlarmMarker, CommsLine, ConsumerHeatWord, PriorityMark } from './marks'
import { TagTable, useShownValues } from './readings'
import { noAlarms, noTags, type SiteView } from './site-view'
import { BoilerStateWords, Crumbs, SafetyValveNote, TrendButton } from './units'

// One unit in detail (ISA-101 level 3): every tag with its quality, age and source, bars against
// the limits, and the unit's alarms, with the way to its trend.

const stateWords: Record<AlarmSnapshot['state'], string> = {
  normal: 'normal',
  unacknowledged: 'UNACK',
  acknowledged: 'ACK',
  'returned-unacknowledged': 'RTN UNACK',
  shelved: 'shelved',
  suppressed: 'suppressed',
  'out-of-service': 'out of service',
}

const clock = (ms: number): string =>
  new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })

/** The unit's alarms: those annunciated in list order, then those taken out of annunciation. */
function UnitAlarms({
  alarms,
  now,
}: {
  alarms: readonly AlarmSnapshot[]
  now: number
}): React.JSX.Element {
  const annunciated = alarmList(alarms)
  const quiet = alarms.filter(
    (alarm) => alarm.state !== 'normal' && !annunciatedStates.includes(alarm.state),
  )
  return (
    <section className="panel" data-testid="unit-alarms" aria-labelledby="unit-alarms-heading">
      <h3 id="unit-alarms-heading">
        Alarms of this unit <AlarmMarker alarms={alarms} />
      </h3>
      {annunciated.length === 0 ? (
        <p className="muted">
          None annunciated ({alarms.length} configured
          {quiet.length > 0 ? `, ${quiet.length} shelved, suppressed or out of service` : ''}).
        </p>
      ) : (
        <table className="unit-alarm-table">
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">State</th>
              <th scope="col">Alarm</th>
              <th scope="col">Value</th>
              <th scope="col">Raised</th>
            </tr>
          </thead>
          <tbody>
            {annunciated.map((alarm) => (
              <tr
                key={alarm.id}
                data-testid="unit-alarm"
                data-alarm-id={alarm.id}
                data-priority={alarm.priority}
                data-state={alarm.state}
              >
                <td>
                  <PriorityMark priority={alarm.priority} />
                </td>
                <td className={alarm.state === 'acknowledged' ? '' : 'alarm-waiting'}>
                  {stateWords[alarm.state]}
                </td>
                <td>
                  {alarm.message}
                  {alarm.prompt && <div className="muted">{alarm.prompt}</div>}
                </td>
                <td className="alarm-value">
                  {alarm.value === null ? '—' : formatReading(alarm.value)}
                  {alarm.threshold !== null && (
                    <span className="muted"> (limit {alarm.threshold})</span>
                  )}
                </td>
                <td className="alarm-raised">
                  {alarm.raisedAt === null
                    ? '—'
                    : `${clock(alarm.raisedAt)} (${formatAge(now - alarm.raisedAt)})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {annunciated.length > 0 && quiet.length > 0 && (
        <p className="muted">
          Also {quiet.length} shelved, suppressed or out of service:{' '}
          {quiet.map((alarm) => `${alarm.message} (${stateWords[alarm.state]})`).join('; ')}
        </p>
      )}
    </section>
  )
}

export function UnitDetail({
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
  const values = useShownValues(tags)
  const comms = useMemo(() => plantComms(tags, view.sources), [tags, view.sources])
  const unitAlarms = view.alarms.byUnit.get(key) ?? noAlarms
  // A lost source's communication alarm belongs to every unit it serves.
  const alarms = useMemo(
    () => [
      ...unitAlarms,
      ...comms.sourceIds.flatMap((sourceId) => view.alarms.bySource.get(sourceId) ?? []),
    ],
    [unitAlarms, comms.sourceIds, view.alarms],
  )
  const valve = safetyValveOf(plant.id, unit)
  const heat = view.heat[plant.id]?.consumers.find((consumer) => consumer.unitId === unit.id)
  return (
    <main
      className="unit-page"
      data-testid="unit-detail"
      data-plant-id={plant.id}
      data-unit-id={unit.id}
    >
      <Crumbs plant={plant} unit={unit} />
      <section className="panel" aria-labelledby="unit-detail-name">
        <header className="plant-head">
          <h2 id="unit-detail-name">{unitName(unit)}</h2>
          <span className="muted">
            {unit.kind} of {plant.name}
          </span>
          {unit.kind === 'boiler' && (
            <BoilerStateWords plant={plant} unit={unit} view={view} values={values} />
          )}
          <ConsumerHeatWord heat={heat} />
          <span className="plant-head-spacer" />
          <TrendButton name={`${plant.name} ${unitName(unit)}`} tags={tags} values={values} />
        </header>
        {unit.priorityClass && (
          <p className="unit-card-note">
            Priority class <strong>{priorityClassNames[unit.priorityClass]}</strong>: heat back
            within {restorationWindow(unit.priorityClass)} (GL-001 critical heat priority levels).
          </p>
        )}
        {valve && <SafetyValveNote valve={valve} unit={view.tags.byId.get(valve.tagId)?.unit} />}
        <CommsLine comms={comms} sources={view.sources} live={view.live} withErrors />
        <TagTable tags={tags} now={now} safetyValve={valve} />
        {tags.length === 0 && <p className="muted">No tags are read for this unit.</p>}
      </section>
      <UnitAlarms alarms={alarms} now={now} />
    </main>
  )
}
