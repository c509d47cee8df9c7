import type { AlarmPriority } from '../../../../shared/alarms/definitions'
import type { AlarmSnapshot } from '../../../../shared/alarms/model'
import type { SourceStatus } from '../../../../shared/field/values'
import type { ConsumerHeat, PlantHeat } from '../../../../shared/heat/status'
import { formatAge } from '../use-now'
import { heatWords, tallyAlarms, type PlantComms } from './overview-model'

// The small status marks the overview, plant and unit pages share: alarm counts, heat status and
// the communication state of a plant's sources. Each says itself in words as well as colour.

/** The same redundant coding as the alarm page: colour, shape and word per priority. */
export const priorityMarks: Record<AlarmPriority, { shape: string; word: string }> = {
  critical: { shape: '◆', word: 'CRIT' },
  high: { shape: '▲', word: 'HIGH' },
  medium: { shape: '■', word: 'MED' },
  low: { shape: '●', word: 'LOW' },
}

export function PriorityMark({
  priority,
  filled = true,
  compact = false,
  children,
}: {
  priority: AlarmPriority
  filled?: boolean
  /** Shape and colour without the word, where a row has no room for it. */
  compact?: boolean
  children?: React.ReactNode
}): React.JSX.Element {
  const mark = priorityMarks[priority]
  return (
    <span className={`unit-alarm-mark unit-alarm-${priority}${filled ? ' unit-alarm-filled' : ''}`}>
      <span aria-hidden="true">{mark.shape}</span>
      {compact ? <span className="visually-hidden">{mark.word}</span> : ` ${mark.word}`}
      {children}
    </span>
  )
}

/**
 * How many alarms a unit or plant annunciates, marked with the worst priority (ISA-101: colour,
 * shape and word). Filled while any waits for acknowledgement, outlined once all are acknowledged.
 */
export function AlarmMarker({
  alarms,
  compact = false,
}: {
  alarms: readonly AlarmSnapshot[]
  compact?: boolean
}): React.JSX.Element | null {
  const tally = tallyAlarms(alarms)
  if (tally.highest === null) return null
  const waiting = tally.unacknowledged > 0
  return (
    <span
      className="unit-alarms"
      data-testid="alarm-marker"
      data-priority={tally.highest}
      data-count={tally.annunciated}
      title={
        `${tally.annunciated} alarm${tally.annunciated === 1 ? '' : 's'}, highest ${tally.highest}` +
        (waiting ? `, ${tally.unacknowledged} unacknowledged` : ', all acknowledged')
      }
    >
      <PriorityMark priority={tally.highest} filled={waiting} compact={compact}>
        {' '}
        {tally.annunciated}
      </PriorityMark>
    </span>
  )
}

const clock = (ms: number): string =>
  new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })

/**
 * A plant's heat status word, coloured only when it is not normal, and since when. While the backend
 * is lost the status is the last one heard and looks it.
 */
export function HeatStatus({
  heat,
  live,
  now,
  brief = false,
}: {
  heat: PlantHeat
  live: boolean
  now: number
  /** How long only, the clock time on hover: for the overview's narrow panels. */
  brief?: boolean
}): React.JSX.Element {
  return (
    <span
      className={`heat-status${live ? '' : ' heat-frozen'}`}
      data-testid="heat-status"
      data-heat-state={heat.state}
      title={live ? undefined : 'Last status heard: the console backend is lost'}
    >
      <span className="heat-label">Heat</span>{' '}
      <span className={`heat-word heat-${heat.state}`}>{heatWords[heat.state]}</span>
      {heat.state !== 'normal' && (
        <span className="heat-since" title={`since ${clock(heat.since)}`}>
          {' '}
          {brief
            ? `for ${formatAge(now - heat.since)}`
            : `since ${clock(heat.since)} (${formatAge(now - heat.since)})`}
        </span>
      )}
    </span>
  )
}

/**
 * Why a plant's heat is not normal, one line per rule, in the backend's words. With `most`, the
 * first few and how many more (the plant page has them all), so one plant cannot push the others
 * off the overview.
 */
export function HeatReasons({
  heat,
  most = Infinity,
}: {
  heat: PlantHeat
  most?: number
}): React.JSX.Element | null {
  if (heat.reasons.length === 0) return null
  const hidden = heat.reasons.length - most
  return (
    <ul className="heat-reasons" data-testid="heat-reasons" title={heat.reasons.join('\n')}>
      {heat.reasons.slice(0, most).map((reason) => (
        <li key={reason}>{reason}</li>
      ))}
      {hidden > 0 && <li className="muted">and {hidden} more (open the plant)</li>}
    </ul>
  )
}

/**
 * Where a plant's values come from and whether they still do: a lost source makes everything it
 * serves stale, and the plant says so by name before anyone reads a frozen number.
 */
export function CommsLine({
  comms,
  sources,
  live,
  withErrors = false,
}: {
  comms: PlantComms
  sources: readonly SourceStatus[]
  live: boolean
  /** Each troubled source's last error in words, where there is room (plant and unit pages). */
  withErrors?: boolean
}): React.JSX.Element {
  const errorOf = (id: string): string | undefined =>
    sources.find((source) => source.id === id)?.lastError ?? undefined
  if (!live) {
    return (
      <p className="comms comms-backend-lost" data-testid="comms" data-comms-state="backend-lost">
        <span className="comms-alarm">BACKEND LOST: values frozen</span>{' '}
        <span className="muted">via {comms.sourceIds.join(', ')}</span>
      </p>
    )
  }
  const settled = comms.sourceIds.filter(
    (id) => !comms.lost.includes(id) && !comms.connecting.includes(id),
  )
  const state =
    comms.lost.length > 0 ? 'lost' : comms.connecting.length > 0 ? 'connecting' : 'connected'
  return (
    <p className={`comms comms-${state}`} data-testid="comms" data-comms-state={state}>
      {comms.lost.map((id) => (
        <span key={id} title={errorOf(id)}>
          <span className="comms-alarm">COMMS LOST: {id}</span>
          {withErrors && errorOf(id) && <span className="muted"> {errorOf(id)}</span>}{' '}
        </span>
      ))}
      {comms.connecting.map((id) => (
        <span key={id} title={errorOf(id)}>
          <span className="comms-waiting">CONNECTING: {id}</span>
          {withErrors && errorOf(id) && <span className="muted"> {errorOf(id)}</span>}{' '}
        </span>
      ))}
      {settled.length > 0 && <span className="muted">{settled.join(', ')} connected</span>}
      {comms.sourceIds.length === 0 && <span className="muted">No tags read for this plant</span>}
    </p>
  )
}

/** A consumer's heat as the plant's rules judge it; a word in colour only when short of heat. */
export function ConsumerHeatWord({
  heat,
}: {
  heat: ConsumerHeat | undefined
}): React.JSX.Element | null {
  if (!heat) return null
  return (
    <span className={`heat-word heat-${heat.state}`} data-testid="consumer-heat">
      {heat.state === 'normal' ? 'ok' : heatWords[heat.state]}
    </span>
  )
}
