import './incidents.css'
import { useMemo, useState, type FormEvent } from 'react'
import type { IncidentMetrics } from '../../../../shared/incidents/metrics'
import { incidentSeverities } from '../../../../shared/incidents/severity'
import type { IncidentView, PendingSuggestion } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { openIncident, useNavigation } from '../../store/navigation'
import { formatAge, useNow } from '../use-now'
import { DeclareForm } from './DeclareForm'
import {
  CountdownText,
  DrillMark,
  NoticeLine,
  SeverityMark,
  useIncidentAction,
} from './incident-parts'
import {
  countdown,
  mostUrgentClock,
  minutesFigure,
  plantNames,
  raisableIncident,
  shareFigure,
  sortIncidents,
  suggestionDueAt,
  utcTime,
} from './incident-view'
import { Workspace } from './Workspace'

// The incidents page: what the console suggests declaring, every incident (open ones first), the
// metrics across them; or one incident's workspace.

export function Incidents(): React.JSX.Element {
  const incidentId = useNavigation((state) => state.incidentId)
  const status = useConsole((state) => state.incidents)
  const view = useMemo(
    () => status?.incidents.find((known) => known.incident.id === incidentId) ?? null,
    [status, incidentId],
  )
  if (incidentId !== null && view) return <Workspace view={view} />
  return <IncidentList missing={incidentId !== null && status !== null ? incidentId : null} />
}

type Declaring = { suggestion: PendingSuggestion | null } | null

function IncidentList({ missing }: { missing: string | null }): React.JSX.Element {
  const status = useConsole((state) => state.incidents)
  const [declaring, setDeclaring] = useState<Declaring>(null)
  const ordered = useMemo(() => (status ? sortIncidents(status.incidents) : []), [status])
  if (!status) {
    return (
      <main className="incidents" data-testid="incidents">
        <p className="panel muted">
          No incident status from the backend yet (it needs a loaded site file).
        </p>
      </main>
    )
  }
  return (
    <main className="incidents" data-testid="incidents">
      {missing && (
        <p className="panel error-text" role="alert">
          Incident {missing} is not known to this console.
        </p>
      )}
      <Suggestions
        suggestions={status.suggestions}
        incidents={status.incidents}
        onDeclare={(suggestion) => setDeclaring({ suggestion })}
      />
      {declaring ? (
        <DeclareForm
          key={declaring.suggestion?.id ?? 'by hand'}
          suggestion={declaring.suggestion}
          onClose={() => setDeclaring(null)}
        />
      ) : (
        <div className="incident-buttons incident-declare-bar">
          <button type="button" onClick={() => setDeclaring({ suggestion: null })}>
            Declare incident
          </button>
          <span className="muted">by hand, when the console has not suggested it</span>
        </div>
      )}
      <div className="incidents-columns">
        <IncidentCards incidents={ordered} />
        <Metrics metrics={status.metrics} />
      </div>
    </main>
  )
}

function Suggestions({
  suggestions,
  incidents,
  onDeclare,
}: {
  suggestions: PendingSuggestion[]
  incidents: IncidentView[]
  onDeclare: (suggestion: PendingSuggestion) => void
}): React.JSX.Element {
  const now = useNow(1000)
  const plants = useConsole((state) => state.plants)
  if (suggestions.length === 0) {
    return (
      <section className="panel" aria-label="Suggestions">
        <h2>Suggested incidents</h2>
        <p className="muted">The console sees nothing that calls for an incident.</p>
      </section>
    )
  }
  return (
    <section className="panel incident-suggestions" aria-label="Suggestions">
      <h2>Suggested incidents ({suggestions.length}): confirm or dismiss</h2>
      <ul>
        {suggestions.map((suggestion) => {
          const dueAt = suggestionDueAt(suggestion)
          return (
            <li
              key={suggestion.id}
              className={`incident-suggestion incident-suggestion-${suggestion.severity}`}
              data-testid="incident-suggestion"
              data-suggestion-id={suggestion.id}
              data-severity={suggestion.severity}
              data-rule={suggestion.rule}
            >
              <div>
                <SeverityMark severity={suggestion.severity} /> <strong>{suggestion.title}</strong>{' '}
                <span className="muted">({plantNames(suggestion.plants, plants)})</span>
              </div>
              <div>{suggestion.reason}</div>
              {suggestion.prompt && <div className="incident-prompt">→ {suggestion.prompt}</div>}
              <div className="muted">
                Seen {formatAge(now - suggestion.since)} ago (since {utcTime(suggestion.since)} UTC)
                {dueAt !== null && (
                  <>
                    {' '}
                    · acknowledge <CountdownText countdown={countdown(dueAt, now)} />
                  </>
                )}
              </div>
              <SuggestionActions
                suggestion={suggestion}
                raise={raisableIncident(incidents, suggestion)}
                onDeclare={() => onDeclare(suggestion)}
              />
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function SuggestionActions({
  suggestion,
  raise,
  onDeclare,
}: {
  suggestion: PendingSuggestion
  raise: IncidentView | null
  onDeclare: () => void
}): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [dismissing, setDismissing] = useState(false)
  const [reason, setReason] = useState('')
  const [problem, setProblem] = useState<string | null>(null)

  const dismiss = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const result = await api.dismissIncidentSuggestion({
      suggestionId: suggestion.id,
      reason: reason.trim(),
    })
    if (!result.ok) setProblem(`Not dismissed: ${result.error.message}`)
    else if (!result.value.dismissed) setProblem('Not dismissed: the suggestion is no longer open.')
    else setDismissing(false)
  }

  return (
    <>
      <div className="incident-buttons">
        <button type="button" onClick={onDeclare}>
          Declare…
        </button>
        {raise && (
          <button
            type="button"
            disabled={action.busy}
            onClick={() =>
              void action.run(
                'Raise severity',
                () =>
                  api.changeIncidentSeverity({
                    incidentId: raise.incident.id,
                    severity: suggestion.severity,
                    reason: suggestion.reason,
                  }),
                `${raise.incident.id} raised to ${suggestion.severity}.`,
              )
            }
          >
            Raise {raise.incident.id} to {suggestion.severity}
          </button>
        )}
        <button type="button" aria-expanded={dismissing} onClick={() => setDismissing(!dismissing)}>
          Dismiss…
        </button>
      </div>
      {dismissing && (
        <form
          className="inline-form"
          aria-label={`Dismiss ${suggestion.title}`}
          onSubmit={(event) => void dismiss(event)}
        >
          <label>
            Why dismiss (journalled)
            <input
              value={reason}
              required
              maxLength={2000}
              size={50}
              autoFocus
              onChange={(event) => setReason(event.target.value)}
            />
          </label>
          <button type="submit" disabled={reason.trim() === ''}>
            Dismiss suggestion
          </button>
          <button type="button" onClick={() => setDismissing(false)}>
            Cancel
          </button>
        </form>
      )}
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </>
  )
}

function IncidentCards({ incidents }: { incidents: IncidentView[] }): React.JSX.Element {
  const now = useNow(1000)
  const plants = useConsole((state) => state.plants)
  return (
    <section className="panel incident-cards" aria-label="Incidents">
      <h2>Incidents ({incidents.length})</h2>
      {incidents.length === 0 && <p className="muted">No incident has been declared.</p>}
      <ul>
        {incidents.map((view) => {
          const { incident } = view
          const urgent = incident.resolved ? null : mostUrgentClock(view)
          return (
            <li
              key={incident.id}
              className={`incident-card${incident.resolved ? ' incident-card-resolved' : ''}`}
              data-testid="incident-card"
              data-incident-id={incident.id}
              data-severity={incident.severity}
              data-state={incident.resolved ? 'resolved' : 'open'}
            >
              <button
                type="button"
                className="link-button incident-card-open"
                onClick={() => openIncident(incident.id)}
              >
                {incident.id}
              </button>{' '}
              <SeverityMark severity={incident.severity} /> {incident.drill && <DrillMark />}{' '}
              <strong>{incident.title}</strong>
              <div className="muted">
                {plantNames(incident.plants, plants)} · detected {utcTime(incident.detectedAt)} UTC
                · commander {incident.roles.commander}
              </div>
              <div>
                {incident.resolved ? (
                  <>
                    <strong>RESOLVED</strong> at {utcTime(incident.resolved.at)} UTC after{' '}
                    {formatAge(incident.resolved.at - incident.detectedAt)}
                    {incident.review ? ` · review v${incident.review.version}` : ' · no review yet'}
                  </>
                ) : (
                  <>
                    <strong>OPEN</strong> for {formatAge(now - incident.detectedAt)}
                    {urgent && (
                      <>
                        {' '}
                        · {urgent.label}{' '}
                        <CountdownText countdown={countdown(urgent.targetAt, now)} />
                      </>
                    )}
                  </>
                )}
              </div>
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function Metrics({ metrics }: { metrics: IncidentMetrics }): React.JSX.Element {
  const rows: { label: string; stats: IncidentMetrics['timeToDetect'] }[] = [
    { label: 'Time to detect', stats: metrics.timeToDetect },
    { label: 'Time to acknowledge', stats: metrics.timeToAcknowledge },
    { label: 'Time to mitigate', stats: metrics.timeToMitigate },
    { label: 'Time to resolve', stats: metrics.timeToResolve },
  ]
  return (
    <section
      className="panel incident-metrics"
      data-testid="incident-metrics"
      aria-labelledby="incident-metrics-title"
    >
      <h2 id="incident-metrics-title">Metrics</h2>
      <dl className="stats">
        <div>
          <dt>Incidents</dt>
          <dd>{metrics.incidents}</dd>
        </div>
        <div>
          <dt>Open</dt>
          <dd>{metrics.open}</dd>
        </div>
        {incidentSeverities.map((severity) => (
          <div key={severity} data-testid="incident-metric-severity" data-severity={severity}>
            <dt>{severity}</dt>
            <dd>{metrics.bySeverity[severity] ?? 0}</dd>
          </div>
        ))}
      </dl>
      <table className="incident-table">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col">Mean</th>
            <th scope="col">Median</th>
            <th scope="col">Incidents</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ label, stats }) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{minutesFigure(stats.meanMinutes)}</td>
              <td>{minutesFigure(stats.medianMinutes)}</td>
              <td>{stats.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="stats incident-shares">
        <div>
          <dt>Acknowledged within target</dt>
          <dd>{shareFigure(metrics.acknowledgedWithinTarget)}</dd>
        </div>
        <div>
          <dt>Mitigation started within target</dt>
          <dd>{shareFigure(metrics.mitigatedWithinTarget)}</dd>
        </div>
        <div>
          <dt>Consumers restored within target</dt>
          <dd>{shareFigure(metrics.restoredWithinTarget)}</dd>
        </div>
      </dl>
    </section>
  )
}
