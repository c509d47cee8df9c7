import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react'
import type { UpdateKind } from '../../../../shared/incidents/model'
import {
  timelineCategories,
  timelineEntry,
  type TimelineCategory,
  type TimelineEntry,
} from '../../../../shared/incidents/timeline'
import type { IncidentView } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { useNow } from '../use-now'
import { CountdownText, NoticeLine, useIncidentAction } from './incident-parts'
import { countdown, firstLine, sinceDetection, utcTime } from './incident-view'

// The record: status updates as they went out, and the timeline of everything that happened, with
// the scribe's notes.

const updateKindNames: Record<UpdateKind, string> = {
  initial: 'initial',
  update: 'update',
  resolution: 'resolution',
}

export function StatusUpdates({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const now = useNow(1000)
  const { incident, clocks } = view
  // The kind of the last draft asked for; until then, the kind the update clock says is due next.
  const [drafted, setDrafted] = useState<UpdateKind | null>(null)
  const kind = drafted ?? clocks.update?.kind ?? 'update'
  const [text, setText] = useState('')
  const [drafting, setDrafting] = useState(false)

  const draft = async (wanted: UpdateKind): Promise<void> => {
    setDrafting(true)
    try {
      const result = await api.draftIncidentUpdate({ incidentId: incident.id, kind: wanted })
      if (!result.ok) {
        action.setNotice({ kind: 'refused', text: `Draft refused: ${result.error.message}` })
        return
      }
      setDrafted(wanted)
      setText(result.value.text)
      action.setNotice(null)
    } finally {
      setDrafting(false)
    }
  }

  const send = async (): Promise<void> => {
    // The console cannot send anything itself (offline): the operator pastes the text wherever the
    // site sends updates. It is recorded as sent either way; a refused clipboard is said aloud.
    let copied = true
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      copied = false
    }
    const done = await action.run(
      'Mark sent',
      () => api.sendIncidentUpdate({ incidentId: incident.id, kind, text: text.trim() }),
      copied
        ? 'Copied to the clipboard and recorded as sent.'
        : 'Recorded as sent. Not copied: select the text and copy it by hand.',
    )
    // Without the clipboard the operator still needs the text on screen to copy it by hand.
    if (done) setDrafted(null)
    if (done && copied) setText('')
  }

  const drafts: { kind: UpdateKind; label: string }[] = [
    { kind: 'initial', label: 'Draft initial' },
    { kind: 'update', label: 'Draft update' },
    { kind: 'resolution', label: 'Draft resolution' },
  ]
  return (
    <section className="panel incident-section">
      <h2>Status updates</h2>
      {clocks.update ? (
        <p data-testid="update-due">
          Next: {updateKindNames[clocks.update.kind]} due {utcTime(clocks.update.dueAt)} UTC{' '}
          <CountdownText countdown={countdown(clocks.update.dueAt, now)} />
        </p>
      ) : (
        <p className="muted">No status update is due at {incident.severity}.</p>
      )}
      <div className="incident-buttons">
        {drafts.map((option) => (
          <button
            key={option.kind}
            type="button"
            disabled={drafting}
            onClick={() => void draft(option.kind)}
          >
            {option.label}
          </button>
        ))}
      </div>
      <label className="incident-textarea">
        Status update
        <textarea value={text} rows={6} onChange={(event) => setText(event.target.value)} />
      </label>
      <div className="incident-buttons">
        <button
          type="button"
          disabled={action.busy || text.trim() === ''}
          onClick={() => void send()}
        >
          Copy and mark sent
        </button>
        <span className="muted">kept in the timeline as the {updateKindNames[kind]} update</span>
      </div>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
      {incident.updates.length > 0 && (
        <>
          <h3>Sent ({incident.updates.length})</h3>
          <ul className="incident-updates" data-testid="incident-updates">
            {[...incident.updates].reverse().map((update) => (
              <li key={update.at} data-testid="incident-update" data-kind={update.kind}>
                <details>
                  <summary>
                    {utcTime(update.at)} UTC · {updateKindNames[update.kind]} ·{' '}
                    {firstLine(update.text)}
                  </summary>
                  <pre className="incident-update-text">{update.text}</pre>
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

type TimelineLoad = { entries: TimelineEntry[]; truncated: boolean; problem: string | null }

export function Timeline({
  view,
  noteRef,
}: {
  view: IncidentView
  noteRef: RefObject<HTMLTextAreaElement | null>
}): React.JSX.Element {
  const api = useApi()
  const { incident } = view
  const newestJournalSeq = useConsole((state) => state.journal[0]?.seq ?? 0)
  const [load, setLoad] = useState<TimelineLoad | null>(null)
  const [hidden, setHidden] = useState<ReadonlySet<TimelineCategory>>(new Set())
  const loaded = useRef(false)

  // Live: any new journal event may belong to the incident's window (an alarm, a heat change), so
  // re-read on each, at most once a second while events pour in.
  useEffect(() => {
    let current = true
    const timer = setTimeout(
      () => {
        void api.getIncidentTimeline({ incidentId: incident.id }).then((result) => {
          if (!current) return
          loaded.current = true
          setLoad((previous) =>
            result.ok
              ? {
                  entries: result.value.events
                    .map(timelineEntry)
                    .filter((entry): entry is TimelineEntry => entry !== null)
                    .sort((a, b) => b.seq - a.seq),
                  truncated: result.value.truncated,
                  problem: null,
                }
              : {
                  entries: previous?.entries ?? [],
                  truncated: previous?.truncated ?? false,
                  problem: result.error.message,
                },
          )
        })
      },
      loaded.current ? 1000 : 0,
    )
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [api, incident.id, incident.lastSeq, newestJournalSeq])

  const counts = useMemo(() => {
    const byCategory = new Map<TimelineCategory, number>()
    for (const entry of load?.entries ?? []) {
      byCategory.set(entry.category, (byCategory.get(entry.category) ?? 0) + 1)
    }
    return byCategory
  }, [load])
  const shown = useMemo(
    () => (load?.entries ?? []).filter((entry) => !hidden.has(entry.category)),
    [load, hidden],
  )
  const toggle = (category: TimelineCategory): void =>
    setHidden((known) => {
      const next = new Set(known)
      if (next.has(category)) next.delete(category)
      else next.add(category)
      return next
    })

  return (
    <section className="panel incident-section">
      <h2>Timeline</h2>
      <NoteBox view={view} noteRef={noteRef} />
      <div className="incident-filters" role="group" aria-label="Show categories">
        {timelineCategories.map((category) => (
          <button
            key={category}
            type="button"
            className="incident-filter"
            data-testid="timeline-filter"
            data-category={category}
            aria-pressed={!hidden.has(category)}
            onClick={() => toggle(category)}
          >
            {category} ({counts.get(category) ?? 0})
          </button>
        ))}
      </div>
      {load?.problem && (
        <p className="error-text" role="alert">
          Timeline not read: {load.problem}
        </p>
      )}
      {load === null ? (
        <p className="muted">Reading the timeline…</p>
      ) : (
        <ol className="incident-timeline" data-testid="timeline">
          {shown.map((entry) => (
            <li
              key={entry.seq}
              className={`incident-entry incident-entry-${entry.category}`}
              data-testid="timeline-entry"
              data-category={entry.category}
            >
              <span className="incident-entry-time">{utcTime(entry.at)}</span>
              <span className="incident-entry-time muted">
                {sinceDetection(entry.at, incident.detectedAt)}
              </span>
              <span className="incident-entry-category">{entry.category}</span>
              <span className="incident-entry-text">
                {entry.text}
                {entry.actor !== 'system' && <span className="muted"> · {entry.actor}</span>}
              </span>
            </li>
          ))}
        </ol>
      )}
      {load?.truncated && (
        <p className="muted">The window holds more events than shown: the oldest are left out.</p>
      )}
    </section>
  )
}

function NoteBox({
  view,
  noteRef,
}: {
  view: IncidentView
  noteRef: RefObject<HTMLTextAreaElement | null>
}): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [text, setText] = useState('')
  const add = async (): Promise<void> => {
    if (text.trim() === '') return
    const done = await action.run('Add note', () =>
      api.addIncidentNote({ incidentId: view.incident.id, text: text.trim() }),
    )
    if (done) setText('')
  }
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      void add()
    }
  }
  return (
    <div className="incident-note">
      <label className="incident-textarea">
        Note
        <textarea
          ref={noteRef}
          value={text}
          rows={2}
          maxLength={20_000}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKey}
        />
      </label>
      <div className="incident-buttons">
        <button
          type="button"
          disabled={action.busy || text.trim() === ''}
          onClick={() => void add()}
        >
          Add note
        </button>
        <span className="muted">N: write a note · Ctrl+Enter: add it</span>
      </div>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </div>
  )
}
