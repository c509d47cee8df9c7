import './alarms.css'
import {
  Fragment,
  useId,
  useMemo,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react'
import { alarmList } from '../../../../shared/alarms/list'
import type { AlarmPriority } from '../../../../shared/alarms/definitions'
import type {
  AlarmSnapshot,
  AlarmState,
  FloodGroup,
  FloodStatus,
} from '../../../../shared/alarms/model'
import type { PlantInfo } from '../../../../shared/api/contract'
import type { Result } from '../../../../shared/result'
import { useApi } from '../../api/api-context'
import { applyAlarmChanges, useConsole } from '../../store/console-store'
import { openTrend } from '../../store/navigation'
import { formatAge, useNow } from '../use-now'
import {
  acknowledgeableIds,
  alarmInPlant,
  canShelve,
  causeLabels,
  clockTime,
  floodGroupLine,
  hiddenAlarms,
  inFloodGroup,
  isUnacknowledged,
  measureOf,
  pageOf,
  plantsBySource,
  priorityMarks,
  refusalText,
  shelveChoices,
  showsPrompt,
  stateLabels,
  unitLabel,
} from './alarm-view'

// The alarm page (ISA-18.2 alarm list, ISA-101 display): highest priority first, then newest, so
// a critical alarm is never below a flood of low ones; acknowledge one alarm or the page on
// screen, shelve, comment, trend. Shelved, out-of-service and suppressed alarms have a tab of their
// own: out of annunciation, never out of sight. The flood panel leads while a flood lasts.

type ActionAnswer = Result<{
  changed: AlarmSnapshot[]
  refused: { alarmId: string; message: string }[]
}>

type Notice = { kind: 'done' | 'refused'; text: string }

/** Every action's answer lands on screen at once; a refusal or error is said in words, never lost. */
function useAlarmAction(
  alarms: Record<string, AlarmSnapshot>,
  setNotice: (notice: Notice | null) => void,
) {
  const [busy, setBusy] = useState(false)
  const run = async (
    action: string,
    call: () => Promise<ActionAnswer>,
    done: string | null,
  ): Promise<boolean> => {
    setBusy(true)
    try {
      const result = await call()
      if (!result.ok) {
        setNotice({ kind: 'refused', text: `${action} failed: ${result.error.message}` })
        return false
      }
      applyAlarmChanges(result.value.changed)
      if (result.value.refused.length > 0) {
        setNotice({ kind: 'refused', text: refusalText(action, result.value.refused, alarms) })
        return false
      }
      setNotice(done === null ? null : { kind: 'done', text: done })
      return true
    } finally {
      setBusy(false)
    }
  }
  return { run, busy }
}

type OpenForm = { alarmId: string; kind: 'shelve' | 'comment' } | null
type GroupFilter = { label: string; group: FloodGroup } | null

export function Alarms(): React.JSX.Element {
  // Stable references from the store; everything derived is memoised (a fresh array from a
  // selector would re-render forever).
  const alarms = useConsole((state) => state.alarms)
  const flood = useConsole((state) => state.flood)
  const plants = useConsole((state) => state.plants)
  const tags = useConsole((state) => state.tags)
  const [tab, setTab] = useState<'list' | 'hidden'>('list')
  const [plantId, setPlantId] = useState<string>('all')
  const [group, setGroup] = useState<GroupFilter>(null)
  const [page, setPage] = useState(0)
  const [notice, setNotice] = useState<Notice | null>(null)
  const action = useAlarmAction(alarms, setNotice)
  const plantFilterId = useId()

  const everyAlarm = useMemo(() => Object.values(alarms), [alarms])
  const sourcePlants = useMemo(() => plantsBySource(tags), [tags])
  const inPlant = useMemo(
    () =>
      plantId === 'all'
        ? everyAlarm
        : everyAlarm.filter((alarm) => alarmInPlant(alarm, plantId, sourcePlants)),
    [everyAlarm, plantId, sourcePlants],
  )
  const rows = useMemo(
    () => alarmList(inPlant).filter((alarm) => group === null || inFloodGroup(alarm, group.group)),
    [inPlant, group],
  )
  const hidden = useMemo(() => hiddenAlarms(inPlant), [inPlant])
  const hiddenCount = hidden.shelved.length + hidden.outOfService.length
  const shown = pageOf(rows, page)

  const choosePlant = (id: string): void => {
    setPlantId(id)
    setGroup(null)
    setPage(0)
  }
  const showGroup = (filter: GroupFilter): void => {
    setGroup(filter)
    setPlantId('all')
    setPage(0)
    setTab('list')
  }

  return (
    <main className="alarms" data-testid="alarms">
      {flood && <FloodPanel flood={flood} alarms={alarms} plants={plants} onShow={showGroup} />}
      {notice && (
        <p
          className={`panel alarm-notice alarm-notice-${notice.kind}`}
          role={notice.kind === 'refused' ? 'alert' : 'status'}
          data-testid="alarm-notice"
          data-kind={notice.kind}
        >
          {notice.text}{' '}
          <button type="button" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      <section className="panel alarm-panel" aria-label="Alarms">
        <div className="alarm-toolbar">
          <div className="alarm-tabs" role="tablist" aria-label="Alarm views">
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'list'}
              className="page-tab"
              onClick={() => setTab('list')}
            >
              Alarm list ({rows.length})
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'hidden'}
              className="page-tab"
              onClick={() => setTab('hidden')}
            >
              Shelved and out of service ({hiddenCount})
              {hidden.suppressed.length > 0 && (
                <span className="muted"> · {hidden.suppressed.length} suppressed</span>
              )}
            </button>
          </div>
          <span className="alarm-plant-filter">
            <label htmlFor={plantFilterId}>Filter by plant</label>{' '}
            <select
              id={plantFilterId}
              value={plantId}
              onChange={(event) => choosePlant(event.target.value)}
            >
              <option value="all">All plants</option>
              {plants.map((plant) => (
                <option key={plant.id} value={plant.id}>
                  {plant.name}
                </option>
              ))}
            </select>
          </span>
        </div>
        {group && (
          <p className="alarm-group-filter" data-testid="alarm-group-filter">
            Showing flood group: <strong>{group.label}</strong>{' '}
            <button type="button" onClick={() => setGroup(null)}>
              Show all alarms
            </button>
          </p>
        )}
        {tab === 'list' ? (
          <AlarmTable
            rows={shown.rows}
            total={rows.length}
            page={shown.page}
            pageCount={shown.pageCount}
            onPage={setPage}
            plants={plants}
            action={action}
          />
        ) : (
          <HiddenAlarms hidden={hidden} plants={plants} action={action} />
        )}
      </section>
    </main>
  )
}

type AlarmAction = ReturnType<typeof useAlarmAction>

function AlarmTable({
  rows,
  total,
  page,
  pageCount,
  onPage,
  plants,
  action,
}: {
  rows: AlarmSnapshot[]
  total: number
  page: number
  pageCount: number
  onPage: (page: number) => void
  plants: PlantInfo[]
  action: AlarmAction
}): React.JSX.Element {
  const api = useApi()
  const tags = useConsole((state) => state.tags)
  const unitOf = useMemo(() => new Map(tags.map((tag) => [tag.id, tag.unit])), [tags])
  const [form, setForm] = useState<OpenForm>(null)
  // Roving focus (keyboard-first, DESIGN.md §5): one row is in the tab order, arrows move it.
  const [focused, setFocused] = useState(0)
  const rowRefs = useRef<(HTMLTableRowElement | null)[]>([])
  const pageIds = acknowledgeableIds(rows)

  const acknowledge = (ids: string[]): void => {
    void action.run('Acknowledge', () => api.acknowledgeAlarms({ alarmIds: ids }), null)
  }
  const toggleForm = (alarmId: string, kind: 'shelve' | 'comment'): void =>
    setForm((open) => (open?.alarmId === alarmId && open.kind === kind ? null : { alarmId, kind }))
  const moveFocus = (index: number): void => {
    const next = Math.min(Math.max(0, index), rows.length - 1)
    setFocused(next)
    rowRefs.current[next]?.focus()
  }
  const onRowKey = (event: KeyboardEvent<HTMLTableRowElement>, index: number): void => {
    // Keys belong to the row only when the row itself has focus, not a button or field inside it.
    if (event.target !== event.currentTarget || event.altKey || event.ctrlKey || event.metaKey)
      return
    const alarm = rows[index]
    if (!alarm) return
    const key = event.key.toLowerCase()
    if (event.key === 'ArrowDown') moveFocus(index + 1)
    else if (event.key === 'ArrowUp') moveFocus(index - 1)
    else if (key === 'a' && isUnacknowledged(alarm)) acknowledge([alarm.id])
    else if (key === 's' && canShelve(alarm)) toggleForm(alarm.id, 'shelve')
    else if (key === 'c') toggleForm(alarm.id, 'comment')
    else if (key === 't' && alarm.tagId !== null) openTrend([alarm.tagId])
    else return
    event.preventDefault()
  }

  return (
    <>
      <div className="alarm-page-bar">
        <button
          type="button"
          disabled={pageIds.length === 0 || action.busy}
          onClick={() => acknowledge(pageIds)}
        >
          Acknowledge page
        </button>
        <span className="muted" data-testid="alarm-page-unacknowledged">
          {pageIds.length === 0
            ? 'Nothing on this page awaits acknowledgement.'
            : `${pageIds.length} unacknowledged on this page`}
        </span>
        <span className="alarm-spacer" />
        <span className="muted alarm-keys">
          Keys on a row: ↑ ↓ move · A acknowledge · S shelve · C comment · T trend
        </span>
        <Pager page={page} pageCount={pageCount} total={total} onPage={onPage} />
      </div>
      {total === 0 ? (
        <p className="muted alarm-empty" data-testid="alarm-list-empty">
          No alarms: nothing is active or waiting for acknowledgement.
        </p>
      ) : (
        <table className="alarm-table">
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Raised</th>
              <th scope="col">Plant › unit</th>
              <th scope="col">First out</th>
              <th scope="col">Alarm</th>
              <th scope="col">Value</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((alarm, index) => {
              const measure = measureOf(alarm, alarm.tagId ? (unitOf.get(alarm.tagId) ?? '') : '')
              const open = form?.alarmId === alarm.id ? form.kind : null
              const tagId = alarm.tagId
              return (
                <Fragment key={alarm.id}>
                  <tr
                    ref={(row) => {
                      rowRefs.current[index] = row
                    }}
                    tabIndex={index === Math.min(focused, rows.length - 1) ? 0 : -1}
                    onFocus={() => setFocused(index)}
                    onKeyDown={(event) => onRowKey(event, index)}
                    className={`alarm-row alarm-${alarm.priority} alarm-state-${alarm.state}`}
                    data-testid="alarm-row"
                    data-alarm-id={alarm.id}
                    data-state={alarm.state}
                    data-priority={alarm.priority}
                    data-first-out={alarm.firstOut ? 'true' : 'false'}
                  >
                    <td className="alarm-priority">
                      <PriorityMark priority={alarm.priority} state={alarm.state} />
                    </td>
                    <td className="alarm-time">{clockTime(alarm.raisedAt)}</td>
                    <td className="alarm-unit">{unitLabel(alarm, plants)}</td>
                    <td className="alarm-first-out">
                      {alarm.firstOut && (
                        <span className="first-out-mark" title="First alarm of its trip group">
                          1st OUT
                        </span>
                      )}
                    </td>
                    <td className="alarm-message">
                      {alarm.message}
                      {showsPrompt(alarm) && <div className="alarm-prompt">→ {alarm.prompt}</div>}
                    </td>
                    <td className="alarm-measure">
                      <span className="alarm-value">{measure.value}</span>
                      {measure.threshold && <div className="muted">{measure.threshold}</div>}
                    </td>
                    <td
                      className="alarm-state"
                      title={
                        alarm.acknowledged && alarm.state === 'acknowledged'
                          ? `Acknowledged by ${alarm.acknowledged.by} at ${clockTime(alarm.acknowledged.at)}`
                          : undefined
                      }
                    >
                      {stateLabels[alarm.state]}
                    </td>
                    <td>
                      <div className="alarm-actions">
                        <span>
                          {isUnacknowledged(alarm) && (
                            <button
                              type="button"
                              disabled={action.busy}
                              onClick={() => acknowledge([alarm.id])}
                            >
                              Acknowledge
                            </button>
                          )}
                        </span>
                        <span>
                          {canShelve(alarm) && (
                            <button
                              type="button"
                              aria-expanded={open === 'shelve'}
                              onClick={() => toggleForm(alarm.id, 'shelve')}
                            >
                              Shelve
                            </button>
                          )}
                        </span>
                        <span>
                          <button
                            type="button"
                            aria-expanded={open === 'comment'}
                            onClick={() => toggleForm(alarm.id, 'comment')}
                          >
                            Comment
                          </button>
                        </span>
                        <span>
                          {tagId !== null && (
                            <button type="button" onClick={() => openTrend([tagId])}>
                              Trend
                            </button>
                          )}
                        </span>
                      </div>
                    </td>
                  </tr>
                  {open && (
                    <tr className="alarm-form-row">
                      <td colSpan={8}>
                        {open === 'shelve' ? (
                          <ShelveForm alarm={alarm} action={action} onClose={() => setForm(null)} />
                        ) : (
                          <CommentForm
                            alarm={alarm}
                            action={action}
                            onClose={() => setForm(null)}
                          />
                        )}
                      </td>
                    </tr>
                  )}
                </Fragment>
              )
            })}
          </tbody>
        </table>
      )}
    </>
  )
}

function Pager({
  page,
  pageCount,
  total,
  onPage,
}: {
  page: number
  pageCount: number
  total: number
  onPage: (page: number) => void
}): React.JSX.Element {
  return (
    <span className="alarm-pager" data-testid="alarm-pager">
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>
        ‹ Previous
      </button>
      <span>
        Page {page + 1} of {pageCount} · {total} alarm(s)
      </span>
      <button type="button" disabled={page >= pageCount - 1} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </span>
  )
}

function ShelveForm({
  alarm,
  action,
  onClose,
}: {
  alarm: AlarmSnapshot
  action: AlarmAction
  onClose: () => void
}): React.JSX.Element {
  const api = useApi()
  const [reason, setReason] = useState('')
  const [minutes, setMinutes] = useState<number>(shelveChoices[0].minutes)
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const label = shelveChoices.find((choice) => choice.minutes === minutes)?.label ?? ''
    const done = await action.run(
      'Shelve',
      () => api.shelveAlarm({ alarmId: alarm.id, reason: reason.trim(), minutes }),
      `Shelved for ${label}: ${alarm.message}. It returns to the list by itself when the time is up.`,
    )
    if (done) onClose()
  }
  return (
    <form
      className="inline-form alarm-form"
      aria-label={`Shelve ${alarm.message}`}
      onSubmit={(event) => void submit(event)}
    >
      <label>
        Reason (journalled)
        <input
          value={reason}
          required
          maxLength={2000}
          size={40}
          autoFocus
          onChange={(event) => setReason(event.target.value)}
        />
      </label>
      <label>
        For
        <select value={minutes} onChange={(event) => setMinutes(Number(event.target.value))}>
          {shelveChoices.map((choice) => (
            <option key={choice.minutes} value={choice.minutes}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy || reason.trim() === ''}>
        Shelve alarm
      </button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      <span className="muted">
        A shelved alarm is not annunciated; the site may set a shorter maximum.
      </span>
    </form>
  )
}

function CommentForm({
  alarm,
  action,
  onClose,
}: {
  alarm: AlarmSnapshot
  action: AlarmAction
  onClose: () => void
}): React.JSX.Element {
  const api = useApi()
  const [text, setText] = useState('')
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run(
      'Comment',
      () => api.commentAlarm({ alarmId: alarm.id, text: text.trim() }),
      `Comment saved to the journal: ${alarm.message}.`,
    )
    if (done) onClose()
  }
  return (
    <form
      className="inline-form alarm-form"
      aria-label={`Comment on ${alarm.message}`}
      onSubmit={(event) => void submit(event)}
    >
      <label>
        Comment (journalled)
        <input
          value={text}
          required
          maxLength={2000}
          size={60}
          autoFocus
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      <button type="submit" disabled={action.busy || text.trim() === ''}>
        Save comment
      </button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
    </form>
  )
}

/**
 * Groups shown before "Show all": the first-outs lead, and the alarm list must stay on screen
 * below them at 1366×768.
 */
const floodGroupsShown = 4

function FloodPanel({
  flood,
  alarms,
  plants,
  onShow,
}: {
  flood: FloodStatus
  alarms: Record<string, AlarmSnapshot>
  plants: PlantInfo[]
  onShow: (filter: GroupFilter) => void
}): React.JSX.Element {
  const now = useNow()
  const [allGroups, setAllGroups] = useState(false)
  const rate = (
    <p className="alarm-rate" data-testid="alarm-rate">
      Alarm rate: <strong>{flood.ratePer10Minutes}</strong> in the last 10 min · a flood is more
      than {flood.threshold} in {flood.windowMinutes} min · time in flood{' '}
      {formatAge(flood.timeInFloodMs)} over {flood.floods} flood(s)
    </p>
  )
  if (!flood.inFlood) return <div className="alarm-rate-line">{rate}</div>
  const groupLabel = (group: FloodGroup): string => {
    const first = alarms[group.firstOutAlarmId]
    const where = first ? unitLabel(first, plants) : (group.unit ?? group.sourceId ?? '—')
    return `${where}, ${causeLabels[group.cause]}`
  }
  return (
    <section
      className="panel alarm-flood"
      aria-labelledby="alarm-flood-title"
      data-testid="alarm-flood"
    >
      <h2 id="alarm-flood-title">
        Alarm flood: {flood.countInWindow} alarms in the last {flood.windowMinutes} min (threshold{' '}
        {flood.threshold})
      </h2>
      <p>
        In flood for {flood.since === null ? '—' : formatAge(now - flood.since)} (since{' '}
        {clockTime(flood.since)}). {flood.groups.length} group(s) by unit and cause; start from each
        group&apos;s first out, usually the cause of the rest.
      </p>
      {rate}
      <table className="alarm-table flood-groups">
        <thead>
          <tr>
            <th scope="col">Worst</th>
            <th scope="col">Unit, cause</th>
            <th scope="col">Alarms</th>
            <th scope="col">First out</th>
            <th scope="col">
              <span className="visually-hidden">Show</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(allGroups ? flood.groups : flood.groups.slice(0, floodGroupsShown)).map((group) => {
            const line = floodGroupLine(group, alarms)
            const label = groupLabel(group)
            return (
              <tr key={line.key} data-testid="flood-group">
                <td>
                  <PriorityMark priority={group.highestPriority} />
                </td>
                <td>{label}</td>
                <td className="alarm-time">{line.count}</td>
                <td>
                  {line.firstOut
                    ? `${clockTime(line.firstOut.raisedAt)} ${line.firstOut.message}`
                    : group.firstOutAlarmId}
                </td>
                <td>
                  <button type="button" onClick={() => onShow({ label, group })}>
                    Show these alarms
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {flood.groups.length > floodGroupsShown && (
        <button type="button" aria-expanded={allGroups} onClick={() => setAllGroups(!allGroups)}>
          {allGroups
            ? `Show the first ${floodGroupsShown} groups only`
            : `Show all ${flood.groups.length} groups`}
        </button>
      )}
    </section>
  )
}

function HiddenAlarms({
  hidden,
  plants,
  action,
}: {
  hidden: ReturnType<typeof hiddenAlarms>
  plants: PlantInfo[]
  action: AlarmAction
}): React.JSX.Element {
  const api = useApi()
  const now = useNow()
  const common = (alarm: AlarmSnapshot): React.JSX.Element => (
    <>
      <td className="alarm-priority">
        <PriorityMark priority={alarm.priority} muted />
      </td>
      <td className="alarm-unit">{unitLabel(alarm, plants)}</td>
      <td className="alarm-message">{alarm.message}</td>
      <td>{alarm.active ? 'condition active' : 'condition clear'}</td>
    </>
  )
  const rowProps = (alarm: AlarmSnapshot) => ({
    'data-testid': 'hidden-alarm-row',
    'data-alarm-id': alarm.id,
    'data-state': alarm.state,
    'data-priority': alarm.priority,
  })
  return (
    <div data-testid="alarms-hidden">
      <h3>Shelved ({hidden.shelved.length})</h3>
      {hidden.shelved.length === 0 ? (
        <p className="muted">No alarm is shelved.</p>
      ) : (
        <table className="alarm-table">
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Plant › unit</th>
              <th scope="col">Alarm</th>
              <th scope="col">Condition</th>
              <th scope="col">Shelved by, why</th>
              <th scope="col">Until</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hidden.shelved.map((alarm) => (
              <tr key={alarm.id} {...rowProps(alarm)}>
                {common(alarm)}
                <td>
                  {alarm.shelved?.by} at {clockTime(alarm.shelved?.at ?? null)}:{' '}
                  {alarm.shelved?.reason}
                </td>
                <td className="alarm-time">
                  {clockTime(alarm.shelved?.until ?? null)}
                  {alarm.shelved && (
                    <div className="muted">in {formatAge(alarm.shelved.until - now)}</div>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(
                        'Unshelve',
                        () => api.unshelveAlarm({ alarmId: alarm.id }),
                        `Unshelved: ${alarm.message}.`,
                      )
                    }
                  >
                    Unshelve
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Out of service ({hidden.outOfService.length})</h3>
      {hidden.outOfService.length === 0 ? (
        <p className="muted">No alarm is out of service.</p>
      ) : (
        <table className="alarm-table">
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Plant › unit</th>
              <th scope="col">Alarm</th>
              <th scope="col">Condition</th>
              <th scope="col">Taken out by, why</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {hidden.outOfService.map((alarm) => (
              <tr key={alarm.id} {...rowProps(alarm)}>
                {common(alarm)}
                <td>
                  {alarm.outOfService?.by} at {clockTime(alarm.outOfService?.at ?? null)}:{' '}
                  {alarm.outOfService?.reason}
                </td>
                <td>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(
                        'Return to service',
                        () => api.returnAlarmToService({ alarmId: alarm.id }),
                        `Returned to service: ${alarm.message}.`,
                      )
                    }
                  >
                    Return to service
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="alarm-suppressed">
        <summary>
          <h3>Suppressed by design ({hidden.suppressed.length})</h3>
        </summary>
        <p className="muted">
          Suppressed while their plant state makes them meaningless (a boiler that is off, say);
          they come back by themselves. Nothing to do here.
        </p>
        {hidden.suppressed.length > 0 && (
          <table className="alarm-table">
            <thead>
              <tr>
                <th scope="col">Priority</th>
                <th scope="col">Plant › unit</th>
                <th scope="col">Alarm</th>
                <th scope="col">Condition</th>
              </tr>
            </thead>
            <tbody>
              {hidden.suppressed.map((alarm) => (
                <tr key={alarm.id} {...rowProps(alarm)}>
                  {common(alarm)}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </div>
  )
}

/**
 * The priority as colour, shape and word (ISA-101 redundant coding). With a state, it also says
 * whether the alarm awaits acknowledgement: blinking while unacknowledged, outlined once returned
 * unacknowledged (RTN), steady once acknowledged.
 */
export function PriorityMark({
  priority,
  state,
  muted = false,
}: {
  priority: AlarmPriority
  state?: AlarmState
  /** For alarms out of annunciation: grey (ISA-101), the shape and word still say the priority. */
  muted?: boolean
}): React.JSX.Element {
  const mark = priorityMarks[priority]
  return (
    <span
      className={`priority-mark priority-${priority} mark-${muted ? 'muted' : (state ?? 'steady')}`}
      title={`${mark.name} priority`}
    >
      <span aria-hidden="true">{mark.shape}</span> {mark.label}
      {state === 'returned-unacknowledged' && ' RTN'}
    </span>
  )
}
