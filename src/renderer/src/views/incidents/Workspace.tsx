import { useEffect, useRef, useState, type FormEvent } from 'react'
import { incidentRoleNames, type IncidentRoles } from '../../../../shared/incidents/model'
import {
  incidentSeverities,
  severityDefinitions,
  type IncidentSeverity,
} from '../../../../shared/incidents/severity'
import type { IncidentView } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { openIncident, openTrend } from '../../store/navigation'
import { useNow } from '../use-now'
import { DrillMark, NoticeLine, SeverityMark, useIncidentAction } from './incident-parts'
import { affectedTrendTags, duration, plantNames, utcTime } from './incident-view'
import { Checklists, Clocks, Escalation } from './WorkspaceResponse'
import { Resolve, Review } from './WorkspaceClosing'
import { StatusUpdates, Timeline } from './WorkspaceRecord'

// One incident's workspace: who leads it, its clocks, whom to call, the runbook's checklists, the
// status updates, the timeline and, at the end, resolution and review. Laid out for a 1366×768
// laptop: sections scroll inside themselves, so the header and the clocks never leave the screen.

export function Workspace({ view }: { view: IncidentView }): React.JSX.Element {
  const { incident } = view
  const noteRef = useRef<HTMLTextAreaElement>(null)
  const state = incident.resolved ? 'resolved' : 'open'

  // "n" anywhere on the workspace opens the note box: the scribe writes without reaching for a mouse.
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key !== 'n' || event.ctrlKey || event.altKey || event.metaKey) return
      if (isTextEntry(event.target)) return
      event.preventDefault()
      noteRef.current?.focus()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  return (
    <main
      className={`incidents incident-workspace incident-${state}`}
      data-testid="incident-workspace"
      data-incident-id={incident.id}
      data-severity={incident.severity}
      data-state={state}
    >
      <WorkspaceHeader view={view} />
      <div className="incident-columns">
        <div className="incident-column">
          <Clocks view={view} />
          <Escalation view={view} />
          <Checklists view={view} />
        </div>
        <div className="incident-column">
          <StatusUpdates view={view} />
          <Timeline view={view} noteRef={noteRef} />
          {incident.resolved ? <Review view={view} /> : <Resolve view={view} />}
        </div>
      </div>
    </main>
  )
}

function WorkspaceHeader({ view }: { view: IncidentView }): React.JSX.Element {
  const { incident } = view
  const now = useNow(1000)
  const plants = useConsole((state) => state.plants)
  const tags = useConsole((state) => state.tags)
  const [editingRoles, setEditingRoles] = useState(false)
  const [editingPlants, setEditingPlants] = useState(false)
  const trendTags = affectedTrendTags(view, tags)
  return (
    <header className="panel incident-header">
      <div className="incident-title-line">
        <button type="button" onClick={() => openIncident(null)}>
          ‹ All incidents
        </button>
        <h2>
          <span className="incident-id">{incident.id}</span>{' '}
          <SeverityMark severity={incident.severity} /> {incident.drill && <DrillMark />}{' '}
          {incident.title}
        </h2>
      </div>
      <div className="incident-facts">
        <span>
          Plants: <strong>{plantNames(incident.plants, plants)}</strong>
        </span>
        <span data-testid="incident-elapsed">
          {incident.resolved ? (
            <>
              <strong>RESOLVED</strong> at {utcTime(incident.resolved.at)} UTC, after{' '}
              {duration(incident.resolved.at - incident.detectedAt)}
            </>
          ) : (
            <>
              Detected {utcTime(incident.detectedAt)} UTC · elapsed{' '}
              <strong>{duration(now - incident.detectedAt)}</strong>
            </>
          )}
        </span>
        <span className="incident-roles" data-testid="incident-roles">
          {(Object.keys(incidentRoleNames) as (keyof IncidentRoles)[]).map((role) => (
            <span key={role}>
              {incidentRoleNames[role]}: <strong>{incident.roles[role] ?? '—'}</strong>
            </span>
          ))}
        </span>
      </div>
      <div className="incident-buttons">
        <button
          type="button"
          aria-expanded={editingRoles}
          onClick={() => setEditingRoles(!editingRoles)}
        >
          Change roles…
        </button>
        {!incident.resolved && (
          <button
            type="button"
            aria-expanded={editingPlants}
            onClick={() => setEditingPlants(!editingPlants)}
          >
            Change plants…
          </button>
        )}
        <button
          type="button"
          disabled={trendTags.length === 0}
          title={trendTags.length === 0 ? 'No header pressure or supply tag for these plants' : ''}
          onClick={() => openTrend(trendTags)}
        >
          Trend affected
        </button>
        {!incident.resolved && <SeverityForm key={incident.severity} view={view} />}
      </div>
      {editingRoles && <RolesForm view={view} onClose={() => setEditingRoles(false)} />}
      {editingPlants && !incident.resolved && (
        <PlantsForm view={view} onClose={() => setEditingPlants(false)} />
      )}
    </header>
  )
}

function RolesForm({
  view,
  onClose,
}: {
  view: IncidentView
  onClose: () => void
}): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [roles, setRoles] = useState(view.incident.roles)
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run('Assign roles', () =>
      api.assignIncidentRoles({
        incidentId: view.incident.id,
        roles: {
          commander: roles.commander.trim(),
          technicalLead: roles.technicalLead?.trim() || null,
          communicationsLead: roles.communicationsLead?.trim() || null,
          scribe: roles.scribe?.trim() || null,
        },
      }),
    )
    if (done) onClose()
  }
  return (
    <>
      <form
        className="inline-form"
        aria-label="Incident roles"
        onSubmit={(event) => void submit(event)}
      >
        {(Object.keys(incidentRoleNames) as (keyof IncidentRoles)[]).map((role) => (
          <label key={role}>
            {incidentRoleNames[role]}
            <input
              value={roles[role] ?? ''}
              required={role === 'commander'}
              maxLength={200}
              onChange={(event) => setRoles({ ...roles, [role]: event.target.value })}
            />
          </label>
        ))}
        <button type="submit" disabled={action.busy}>
          Assign roles
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </>
  )
}

function PlantsForm({
  view,
  onClose,
}: {
  view: IncidentView
  onClose: () => void
}): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const plants = useConsole((state) => state.plants)
  const [chosen, setChosen] = useState<readonly string[]>(view.incident.plants)
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run('Change plants', () =>
      api.setIncidentPlants({
        incidentId: view.incident.id,
        plants: plants.map((plant) => plant.id).filter((id) => chosen.includes(id)),
      }),
    )
    if (done) onClose()
  }
  return (
    <>
      <form
        className="inline-form"
        aria-label="Plants affected"
        onSubmit={(event) => void submit(event)}
      >
        {plants.map((plant) => (
          <label key={plant.id} className="incident-check">
            <input
              type="checkbox"
              checked={chosen.includes(plant.id)}
              onChange={(event) =>
                setChosen(
                  event.target.checked
                    ? [...chosen, plant.id]
                    : chosen.filter((id) => id !== plant.id),
                )
              }
            />
            {plant.name}
          </label>
        ))}
        <button type="submit" disabled={action.busy}>
          Change plants
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </>
  )
}

function SeverityForm({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [severity, setSeverity] = useState<IncidentSeverity>(view.incident.severity)
  const [reason, setReason] = useState('')
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run('Change severity', () =>
      api.changeIncidentSeverity({ incidentId: view.incident.id, severity, reason: reason.trim() }),
    )
    if (done) setReason('')
  }
  return (
    <>
      <form
        className="inline-form incident-severity-form"
        aria-label="Change severity"
        onSubmit={(event) => void submit(event)}
      >
        <label>
          Severity
          <select
            value={severity}
            title={severityDefinitions[severity].meaning}
            onChange={(event) => setSeverity(event.target.value as IncidentSeverity)}
          >
            {incidentSeverities.map((option) => (
              <option key={option} value={option}>
                {option} {severityDefinitions[option].name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason (journalled)
          <input
            value={reason}
            required
            maxLength={2000}
            size={30}
            onChange={(event) => setReason(event.target.value)}
          />
        </label>
        <button type="submit" disabled={action.busy || severity === view.incident.severity}>
          Change severity
        </button>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </>
  )
}

/** The key "n" belongs to a text field when one has focus; elsewhere it opens the note box. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true
  return (
    target instanceof HTMLInputElement &&
    !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type)
  )
}
