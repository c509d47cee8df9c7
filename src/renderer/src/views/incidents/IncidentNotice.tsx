import './incidents.css'
import { useMemo } from 'react'
import { useConsole } from '../../store/console-store'
import { openIncident } from '../../store/navigation'
import { useNow } from '../use-now'
import { CountdownText, DrillMark, SeverityMark } from './incident-parts'
import { countdown, noticeLines } from './incident-view'

/**
 * Open incidents and waiting suggestions on every page, under the heat strip: one line each, the
 * most urgent clock counting down, one click from the incident. Nothing when all is quiet.
 */
export function IncidentNotice(): React.JSX.Element | null {
  const status = useConsole((state) => state.incidents)
  const now = useNow(1000)
  const lines = useMemo(() => (status ? noticeLines(status, now) : null), [status, now])
  if (!lines || lines.shown.length === 0) return null
  return (
    <section className="incident-notice" data-testid="incident-notice" aria-label="Incidents">
      <ul>
        {lines.shown.map((line) =>
          line.kind === 'suggestion' ? (
            <li key={line.key} data-testid="incident-notice-suggestion">
              <span className="incident-notice-text">
                <SeverityMark severity={line.suggestion.severity} compact />{' '}
                <strong>suggested:</strong> {line.suggestion.title} —{' '}
                {/* The runbook's immediate action beats the evidence on a one-line notice. */}
                {line.suggestion.prompt ? (
                  <strong className="incident-notice-prompt">{line.suggestion.prompt}</strong>
                ) : (
                  line.suggestion.reason
                )}
                {line.dueAt !== null && (
                  <>
                    {' '}
                    · acknowledge <CountdownText countdown={countdown(line.dueAt, now)} />
                  </>
                )}
              </span>
              <button type="button" onClick={() => openIncident(null)}>
                Open incidents
              </button>
            </li>
          ) : (
            <li key={line.key} data-testid="incident-notice-incident">
              <span className="incident-notice-text">
                <SeverityMark severity={line.view.incident.severity} compact />{' '}
                {line.view.incident.drill && <DrillMark />} <strong>{line.view.incident.id}</strong>{' '}
                {line.view.incident.title}
                {line.urgent && (
                  <>
                    {' '}
                    · {line.urgent.label}{' '}
                    <CountdownText countdown={countdown(line.urgent.targetAt, now)} />
                  </>
                )}
              </span>
              <button type="button" onClick={() => openIncident(line.view.incident.id)}>
                Open {line.view.incident.id}
              </button>
            </li>
          ),
        )}
      </ul>
      {lines.more > 0 && (
        <button type="button" className="link-button" onClick={() => openIncident(null)}>
          +{lines.more} more
        </button>
      )}
    </section>
  )
}
