import './alarms.css'
import { useEffect, useMemo, useRef, useState } from 'react'
import { alarmPriorities } from '../../../../shared/alarms/definitions'
import { alarmList, alarmSummary } from '../../../../shared/alarms/list'
import { useConsole } from '../../store/console-store'
import { openPage } from '../../store/navigation'
import { clockTime, isUnacknowledged, priorityMarks, whereLabel } from './alarm-view'
import { PriorityMark } from './Alarms'
import { hornStep, quietHorn, silenceAll, soundingPriority, type HornState } from './annunciation'
import { createAnnunciator, type Annunciator, type AudioState } from './annunciator'

// The alarm summary under the status banner, on every page (ISA-101: alarms are visible whatever
// the operator is looking at): counts per priority, the newest most urgent alarm still waiting,
// the flood, and the horn with its Silence. ISA-18.2: silencing stops the sound and acknowledges
// nothing; the next new alarm sounds again. The bar owns the horn so that it sounds on any page.

export function AlarmSummaryBar(): React.JSX.Element {
  const alarms = useConsole((state) => state.alarms)
  const flood = useConsole((state) => state.flood)
  const plants = useConsole((state) => state.plants)
  const everyAlarm = useMemo(() => Object.values(alarms), [alarms])
  const summary = useMemo(() => alarmSummary(everyAlarm), [everyAlarm])
  const newest = useMemo(() => alarmList(everyAlarm).find(isUnacknowledged) ?? null, [everyAlarm])

  const [silenced, setSilenced] = useState<ReadonlySet<string>>(() => new Set())
  const [audio, setAudio] = useState<AudioState>('suspended')
  const [annunciator, setAnnunciator] = useState<Annunciator | null>(null)
  useEffect(() => {
    const created = createAnnunciator(setAudio)
    setAnnunciator(created)
    return () => {
      created.dispose()
      setAnnunciator(null)
    }
  }, [])
  // The horn's state belongs to one annunciator: a new one (a remount) starts from quiet, so
  // whatever still annunciates sounds again rather than being taken as already playing.
  const horn = useRef<{ annunciator: Annunciator | null; state: HornState }>({
    annunciator: null,
    state: quietHorn,
  })
  useEffect(() => {
    if (!annunciator) return
    const previous = horn.current.annunciator === annunciator ? horn.current.state : quietHorn
    const step = hornStep(previous, everyAlarm, silenced)
    horn.current = { annunciator, state: step.horn }
    annunciator.perform(step.action)
  }, [annunciator, everyAlarm, silenced])

  const sounding = soundingPriority(everyAlarm, silenced)
  const hornText =
    sounding !== null
      ? `Horn: ${priorityMarks[sounding].label}`
      : summary.unacknowledged > 0
        ? 'Horn silenced'
        : 'Horn quiet'

  return (
    <div
      className={`alarm-summary${summary.unacknowledged > 0 ? ' alarm-summary-waiting' : ''}`}
      role="region"
      aria-label="Alarm summary"
      data-testid="alarm-summary"
      data-unacknowledged={summary.unacknowledged}
      data-sounding={sounding ?? ''}
      data-audio={audio}
    >
      <button type="button" className="alarm-summary-open" onClick={() => openPage('alarms')}>
        Alarms
      </button>
      <ul className="alarm-counts" aria-label="Alarms by priority">
        {alarmPriorities.map((priority) => {
          const counts = summary.byPriority[priority]
          return (
            <li
              key={priority}
              className={`alarm-count${counts.annunciated > 0 ? ` alarm-count-active priority-${priority}` : ''}`}
              data-testid={`alarm-count-${priority}`}
              data-annunciated={counts.annunciated}
              data-unacknowledged={counts.unacknowledged}
            >
              <span className="alarm-count-label">
                <span aria-hidden="true">{priorityMarks[priority].shape}</span>{' '}
                {priorityMarks[priority].label}
              </span>{' '}
              <span className="alarm-count-total">{counts.annunciated}</span>
              {counts.unacknowledged > 0 && (
                <strong className="alarm-count-unack">{counts.unacknowledged} unack</strong>
              )}
            </li>
          )
        })}
      </ul>
      <span className="alarm-summary-newest" data-testid="alarm-summary-newest">
        {newest ? (
          <button
            type="button"
            className="link-button"
            title={`${newest.message}: open the alarm list`}
            onClick={() => openPage('alarms')}
          >
            <PriorityMark priority={newest.priority} state={newest.state} />{' '}
            {clockTime(newest.raisedAt)} {whereLabel(newest, plants)}: {newest.message}
          </button>
        ) : (
          <span className="muted">
            {summary.annunciated > 0
              ? `No alarm awaits acknowledgement (${summary.annunciated} active)`
              : 'No alarms'}
          </span>
        )}
      </span>
      {flood?.inFlood && (
        <span className="alarm-summary-flood" data-testid="alarm-summary-flood">
          FLOOD {flood.countInWindow} in {flood.windowMinutes} min
        </span>
      )}
      <span
        className={`alarm-horn alarm-horn-${sounding === null ? 'quiet' : 'sounding'}`}
        data-testid="alarm-horn"
        title={
          sounding === null && summary.unacknowledged > 0
            ? 'Silenced until a new alarm annunciates; the alarms are still unacknowledged'
            : undefined
        }
      >
        {hornText}
      </span>
      <button
        type="button"
        disabled={sounding === null}
        onClick={() => setSilenced(silenceAll(everyAlarm))}
      >
        Silence
      </button>
      {audio !== 'running' && (
        <span className="alarm-sound-blocked" role="alert" data-testid="alarm-sound-blocked">
          {audio === 'suspended'
            ? 'Sound blocked: click anywhere to enable'
            : 'No sound: this browser cannot play the horn'}
        </span>
      )}
    </div>
  )
}
