import type { JournalEvent } from '../../../../shared/journal/event'
import { useConsole } from '../../store/console-store'

// The journal as the operator sees it: every event once it is committed (never before), newest
// first, with drill events marked so rehearsal is never mistaken for reality.

/** Local time as control rooms write it: 2026-11-22 01:23:19, 24-hour, whatever the locale. */
function time(iso: string): string {
  const at = new Date(iso)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value
  // A list of records (a debrief, say) reads better counted than dumped; the export has it whole.
  if (Array.isArray(value) && value.some((item) => typeof item === 'object' && item !== null)) {
    return `${value.length} ${value.length === 1 ? 'entry' : 'entries'}`
  }
  return JSON.stringify(value)
}

/** The event's data in one line, without the bookkeeping the columns already show. */
function summary(event: JournalEvent): string {
  const { drill: _drill, drillId: _drillId, ...rest } = event.data
  const text = Object.entries(rest)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${describeValue(value)}`)
    .join(' · ')
  return text.length > 240 ? `${text.slice(0, 239)}…` : text
}

export function Journal(): React.JSX.Element {
  const events = useConsole((state) => state.journal)
  const recording = useConsole((state) => state.info?.recording)
  return (
    <main className="journal">
      <section className="panel" aria-labelledby="journal-title">
        <h2 id="journal-title">Journal</h2>
        <p className="muted">
          {recording?.state === 'recording'
            ? `Recording into ${recording.file}. Events appear here once they are committed.`
            : `Not recording: ${recording?.problem ?? 'the journal is not open'}`}
        </p>
        {events.length === 0 ? (
          <p className="muted">No events yet.</p>
        ) : (
          <table className="journal-table">
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">By</th>
                <th scope="col">Details</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr
                  key={event.id}
                  data-testid="journal-row"
                  data-type={event.type}
                  data-drill={event.data.drill === true ? 'true' : undefined}
                >
                  <td className="journal-seq">{event.seq}</td>
                  <td>{time(event.ts)}</td>
                  <td>
                    {event.data.drill === true && <span className="drill-tag">DRILL</span>}{' '}
                    {event.type}
                  </td>
                  <td>{event.actor}</td>
                  <td className="journal-summary">{summary(event)}</td>
                  <td className="journal-hash" title={event.hash}>
                    <code>{event.hash.slice(0, 12)}…</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  )
}
