import { useState, type FormEvent } from 'react'
import {
  incidentSeverities,
  severityDefinitions,
  type IncidentSeverity,
} from '../../../../shared/incidents/severity'
import type { PendingSuggestion } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { applyIncidentView, useConsole } from '../../store/console-store'
import { openIncident } from '../../store/navigation'
import { parseUtcTime } from './incident-view'

// Declaring an incident (runbook "Incident Declaration"): by hand, or from a suggestion with its
// severity, title and plants filled in. Choosing another severity than suggested is an override and
// the record keeps why.

export function DeclareForm({
  suggestion,
  onClose,
}: {
  suggestion: PendingSuggestion | null
  onClose: () => void
}): React.JSX.Element {
  const api = useApi()
  const plants = useConsole((state) => state.plants)
  const [severity, setSeverity] = useState<IncidentSeverity>(suggestion?.severity ?? 'P2')
  const [title, setTitle] = useState(suggestion?.title ?? '')
  const [chosen, setChosen] = useState<string[]>(suggestion?.plants ?? [])
  const [commander, setCommander] = useState('')
  const [technicalLead, setTechnicalLead] = useState('')
  const [communicationsLead, setCommunicationsLead] = useState('')
  const [scribe, setScribe] = useState('')
  const [overrideReason, setOverrideReason] = useState('')
  const [startedAt, setStartedAt] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const overriding = suggestion !== null && severity !== suggestion.severity

  const togglePlant = (plantId: string, on: boolean): void =>
    setChosen((known) =>
      on
        ? [...known.filter((id) => id !== plantId), plantId]
        : known.filter((id) => id !== plantId),
    )

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const started = startedAt.trim() === '' ? null : parseUtcTime(startedAt, Date.now())
    if (startedAt.trim() !== '' && started === null) {
      setProblem('Started at: give a time as HH:MM (UTC), or leave it empty.')
      return
    }
    setBusy(true)
    try {
      const result = await api.declareIncident({
        severity,
        title: title.trim(),
        // In the site file's order, however they were ticked.
        plants: plants.map((plant) => plant.id).filter((id) => chosen.includes(id)),
        roles: {
          commander: commander.trim(),
          technicalLead: technicalLead.trim() || null,
          communicationsLead: communicationsLead.trim() || null,
          scribe: scribe.trim() || null,
        },
        ...(suggestion ? { suggestionId: suggestion.id } : {}),
        ...(overriding ? { overrideReason: overrideReason.trim() } : {}),
        ...(started === null ? {} : { startedAt: started }),
      })
      if (!result.ok) {
        setProblem(`Not declared: ${result.error.message}`)
        return
      }
      applyIncidentView(result.value.incident)
      openIncident(result.value.incident.incident.id)
      onClose()
    } finally {
      setBusy(false)
    }
  }

  const person = (label: string, value: string, set: (value: string) => void, required = false) => (
    <label>
      {label}
      {required && ' (required)'}
      <input
        value={value}
        required={required}
        maxLength={200}
        onChange={(event) => set(event.target.value)}
      />
    </label>
  )

  return (
    <form
      className="panel incident-declare"
      data-testid="incident-declare"
      aria-label="Declare incident"
      onSubmit={(event) => void submit(event)}
    >
      <h2>{suggestion ? `Declare from suggestion: ${suggestion.title}` : 'Declare an incident'}</h2>
      <div className="incident-declare-grid">
        <label>
          Severity
          <select
            value={severity}
            autoFocus
            onChange={(event) => setSeverity(event.target.value as IncidentSeverity)}
          >
            {incidentSeverities.map((option) => (
              <option key={option} value={option}>
                {option} {severityDefinitions[option].name}
                {suggestion?.severity === option ? ' (suggested)' : ''}
              </option>
            ))}
          </select>
          <span className="incident-meaning">{severityDefinitions[severity].meaning}</span>
        </label>
        <label className="incident-declare-title">
          Title
          <input
            value={title}
            required
            maxLength={300}
            onChange={(event) => setTitle(event.target.value)}
          />
        </label>
        {overriding && (
          <label className="incident-declare-title">
            Why another severity (suggested {suggestion.severity}; required)
            <input
              value={overrideReason}
              required
              maxLength={2000}
              onChange={(event) => setOverrideReason(event.target.value)}
            />
          </label>
        )}
        <fieldset className="incident-plants">
          <legend>Plants affected</legend>
          {plants.map((plant) => (
            <label key={plant.id} className="incident-check">
              <input
                type="checkbox"
                checked={chosen.includes(plant.id)}
                onChange={(event) => togglePlant(plant.id, event.target.checked)}
              />
              {plant.name}
            </label>
          ))}
        </fieldset>
        {person('Incident commander', commander, setCommander, true)}
        {person('Technical lead', technicalLead, setTechnicalLead)}
        {person('Communications lead', communicationsLead, setCommunicationsLead)}
        {person('Scribe', scribe, setScribe)}
        <label>
          Started at (HH:MM UTC, optional)
          <input
            value={startedAt}
            placeholder="HH:MM"
            inputMode="numeric"
            size={6}
            onChange={(event) => setStartedAt(event.target.value)}
          />
        </label>
      </div>
      {problem && (
        <p className="error-text" role="alert" data-testid="incident-declare-problem">
          {problem}
        </p>
      )}
      <div className="incident-buttons">
        {/* Never disabled for a missing field: the form or the backend says what is missing. */}
        <button type="submit" disabled={busy}>
          Declare incident
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  )
}
