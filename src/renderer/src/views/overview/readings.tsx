import { useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { TagInfo } from '../../../../shared/api/contract'
import type { TagValue } from '../../../../shared/field/values'
import { useConsole } from '../../store/console-store'
import { formatAge } from '../use-now'
import {
  barGeometry,
  excursionOf,
  formatReading,
  numberOf,
  setpointTagId,
  type BarMarkKind,
  type SafetyValve,
} from './overview-model'

// Readings as the overview, plant and unit pages draw them. Every value carries its quality, age
// and source (DESIGN.md §4) and the same test ids wherever it appears (tag-row, tag-value, tag-age).

/** Without the backend nothing on screen is live any more: show every value as stale, saying why. */
function asSeenWithoutBackend(value: TagValue): TagValue {
  return { ...value, quality: 'stale', reason: 'console backend lost' }
}

/**
 * The values of these tags and their setpoints as the screen may show them: frozen ones look stale
 * while the backend is lost. Only a change to one of them renders the caller again, so a value batch
 * touches just the readings it carries rather than every panel (DESIGN.md §7).
 */
export function useShownValues(tags: readonly TagInfo[]): Record<string, TagValue> {
  // The ids once, not per store update: the selector runs for every batch (up to 60 a second).
  const tagIds = useMemo(() => tags.flatMap((tag) => [tag.id, setpointTagId(tag.id)]), [tags])
  const picked = useConsole(
    useShallow((state) => {
      const shown: Record<string, TagValue> = {}
      for (const tagId of tagIds) {
        const value = state.values[tagId]
        if (value) shown[tagId] = value
      }
      return shown
    }),
  )
  const live = useConsole((state) => state.link.status === 'connected')
  return useMemo(
    () =>
      live
        ? picked
        : Object.fromEntries(
            Object.entries(picked).map(([tagId, value]) => [tagId, asSeenWithoutBackend(value)]),
          ),
    [picked, live],
  )
}

const qualityText = (value: TagValue | undefined): string => {
  const quality = value?.quality ?? 'bad'
  if (quality === 'good') return 'good'
  return `${quality.toUpperCase()}${value?.reason ? `: ${value.reason}` : value ? '' : ': no reading yet'}`
}

/** The hover text of a reading: everything about it in one line. */
function describe(tag: TagInfo, value: TagValue | undefined, now: number): string {
  const age = value ? `${formatAge(now - value.receivedTs)} ago` : 'never read'
  const shown = `${formatReading(value?.value)}${tag.unit ? ` ${tag.unit}` : ''}`
  return `${tag.name}: ${shown} · ${qualityText(value)} · ${age} · via ${tag.sourceId}`
}

const markTitles: Record<BarMarkKind, string> = {
  ll: 'LL limit',
  l: 'L limit',
  h: 'H limit',
  hh: 'HH limit',
  'safety-valve-95': '95 % of the safety valve setpoint: shut down above this (GL-001)',
  'safety-valve': 'Safety valve setpoint',
  setpoint: 'Setpoint',
}

/**
 * A moving analog indicator (ISA-101): a grey scale, the normal band lighter, limits as ticks, a dark
 * pointer. Colour appears only when the reading is beyond a limit. Null when no scale is known.
 */
export function AnalogBar({
  tag,
  value,
  safetyValveSetpoint = null,
  setpoint = null,
}: {
  tag: TagInfo
  value: TagValue | undefined
  safetyValveSetpoint?: number | null
  setpoint?: number | null
}): React.JSX.Element | null {
  const number = numberOf(value)
  const geometry = barGeometry({
    value: number,
    unit: tag.unit,
    limits: tag.limits,
    safetyValveSetpoint,
    setpoint,
  })
  if (!geometry) return null
  const excursion = excursionOf(value, tag.limits, safetyValveSetpoint)
  const quality = value?.quality ?? 'bad'
  const { scale, pointer, band, marks, offScale } = geometry
  const classes = [
    'analog-bar',
    `bar-quality-${quality}`,
    excursion ? `bar-${excursion.severity}` : '',
    offScale ? `bar-off-scale-${offScale}` : '',
  ]
  return (
    <span
      className={classes.filter(Boolean).join(' ')}
      data-testid="analog-bar"
      data-tag-id={tag.id}
      data-value={number ?? ''}
      role="meter"
      aria-label={tag.name}
      aria-valuemin={scale.min}
      aria-valuemax={scale.max}
      aria-valuenow={number ?? undefined}
    >
      {band && (
        <span
          className="bar-band"
          style={{ left: `${band.from}%`, width: `${band.to - band.from}%` }}
        />
      )}
      {pointer !== null && <span className="bar-fill" style={{ width: `${pointer}%` }} />}
      {marks.map((mark) => (
        <span
          key={mark.kind}
          className={`bar-mark bar-mark-${mark.kind}`}
          style={{ left: `${mark.percent}%` }}
          title={`${markTitles[mark.kind]}: ${mark.value}${tag.unit ? ` ${tag.unit}` : ''}`}
        />
      ))}
      {pointer !== null && <span className="bar-pointer" style={{ left: `${pointer}%` }} />}
    </span>
  )
}

/**
 * One reading in a row of the grid around it: label, bar, limit mark, value, unit, age; its quality
 * over the bar when it is not good. The limit mark has a column of its own, so nothing on the plant
 * moves when a reading crosses a limit. Its source is in the plant's
 * communication line and, per reading, in the hover text and for screen readers.
 */
export function Reading({
  tag,
  value,
  now,
  label,
  safetyValveSetpoint = null,
  setpoint = null,
}: {
  tag: TagInfo
  value: TagValue | undefined
  now: number
  label?: React.ReactNode
  safetyValveSetpoint?: number | null
  setpoint?: number | null
}): React.JSX.Element {
  const quality = value?.quality ?? 'bad'
  const excursion = excursionOf(value, tag.limits, safetyValveSetpoint)
  return (
    <div
      className={`reading quality-${quality}${excursion ? ` reading-${excursion.severity}` : ''}`}
      data-testid="tag-row"
      data-tag-id={tag.id}
      data-quality={quality}
      data-received={value?.receivedTs}
      title={describe(tag, value, now)}
    >
      <span className="reading-label">{label}</span>
      <span className="reading-bar">
        <AnalogBar
          tag={tag}
          value={value}
          safetyValveSetpoint={safetyValveSetpoint}
          setpoint={setpoint}
        />
        {quality !== 'good' && <span className="tag-quality">{qualityText(value)}</span>}
      </span>
      <span className="reading-excursion">
        {excursion && (
          <span className="excursion" title={excursion.meaning}>
            {excursion.label}
          </span>
        )}
      </span>
      <span className="tag-value" data-testid="tag-value">
        {formatReading(value?.value)}
      </span>
      <span className="tag-unit">{tag.unit}</span>
      <span className="tag-age" data-testid="tag-age">
        {value ? formatAge(now - value.receivedTs) : '—'}
      </span>
      <span className="visually-hidden">
        via <span className="tag-source">{tag.sourceId}</span>
      </span>
    </div>
  )
}

/**
 * A flag in a unit's state line (flame ON, AUTO, TRIPPED), in words. A stale or bad flag is struck
 * through with a "?"; its age and source are in the hover text.
 */
export function Flag({
  tag,
  value,
  now,
  label,
  word,
  className = '',
}: {
  tag: TagInfo
  value: TagValue | undefined
  now: number
  label?: string
  word: string
  className?: string
}): React.JSX.Element {
  const quality = value?.quality ?? 'bad'
  return (
    <span
      className={`flag quality-${quality}${className ? ` ${className}` : ''}`}
      data-testid="tag-row"
      data-tag-id={tag.id}
      data-quality={quality}
      data-received={value?.receivedTs}
      title={describe(tag, value, now)}
    >
      {label && <span className="flag-label">{label} </span>}
      <span className="tag-value" data-testid="tag-value">
        {word}
      </span>
      {quality !== 'good' && (
        <span className="flag-doubt" aria-label={qualityText(value)}>
          ?
        </span>
      )}
    </span>
  )
}

/** One reading, never without its quality, age and source (DESIGN.md §4). */
function TagRow({
  tag,
  value,
  now,
  safetyValveSetpoint,
  setpoint,
}: {
  tag: TagInfo
  value: TagValue | undefined
  now: number
  safetyValveSetpoint: number | null
  setpoint: number | null
}): React.JSX.Element {
  const quality = value?.quality ?? 'bad'
  const excursion = excursionOf(value, tag.limits, safetyValveSetpoint)
  return (
    <tr
      className={`tag-row quality-${quality}${excursion ? ` reading-${excursion.severity}` : ''}`}
      data-testid="tag-row"
      data-tag-id={tag.id}
      data-quality={quality}
      data-received={value?.receivedTs}
    >
      <th scope="row">{tag.name}</th>
      <td className="tag-bar">
        <AnalogBar
          tag={tag}
          value={value}
          safetyValveSetpoint={safetyValveSetpoint}
          setpoint={setpoint}
        />
      </td>
      <td className="tag-excursion">
        {excursion && (
          <span className="excursion" title={excursion.meaning}>
            {excursion.label}
          </span>
        )}
      </td>
      <td className="tag-value" data-testid="tag-value">
        {formatReading(value?.value)}
      </td>
      <td className="tag-unit">{tag.unit}</td>
      <td className="tag-quality" title={value?.reason ?? ''}>
        {qualityText(value)}
      </td>
      <td className="tag-age" data-testid="tag-age">
        {value ? formatAge(now - value.receivedTs) : '—'}
      </td>
      <td className="tag-source">{tag.sourceId}</td>
    </tr>
  )
}

/**
 * Every tag given, one row each, with a bar where a scale is known. A tag's setpoint (the tag of the
 * same id with `-setpoint`) is marked on its bar; the unit's pressure is drawn against its safety
 * valve.
 */
export function TagTable({
  tags,
  now,
  safetyValve = null,
}: {
  tags: readonly TagInfo[]
  now: number
  safetyValve?: SafetyValve | null
}): React.JSX.Element {
  const values = useShownValues(tags)
  return (
    <table className="tag-table">
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col" className="tag-bar">
            <span className="visually-hidden">Bar</span>
          </th>
          <th scope="col">
            <span className="visually-hidden">Limit</span>
          </th>
          <th scope="col" className="tag-value">
            Value
          </th>
          <th scope="col">Unit</th>
          <th scope="col">Quality</th>
          <th scope="col">Age</th>
          <th scope="col">Source</th>
        </tr>
      </thead>
      <tbody>
        {tags.map((tag) => (
          <TagRow
            key={tag.id}
            tag={tag}
            value={values[tag.id]}
            now={now}
            safetyValveSetpoint={safetyValve?.tagId === tag.id ? safetyValve.setpoint : null}
            setpoint={numberOf(values[setpointTagId(tag.id)])}
          />
        ))}
      </tbody>
    </table>
  )
}
