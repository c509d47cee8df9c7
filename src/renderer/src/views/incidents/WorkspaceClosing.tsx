import { useEffect, useState, type FormEvent } from 'react'
import type { IncidentReview } from '../../../../shared/incidents/model'
import type { IncidentView } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { NoticeLine, useIncidentAction } from './incident-parts'
import { utcMinutes } from './incident-view'

// Closing the incident: resolve against the runbook's exit criteria, then the post-incident review.

const criterionWords = { met: 'MET', 'not-met': 'NOT MET', unknown: 'UNKNOWN' } as const

export function Resolve({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [summary, setSummary] = useState('')
  const [reason, setReason] = useState('')
  const criteria = view.checklists.find((checklist) => checklist.id === 'exit-criteria')
  const open = criteria?.items.filter((item) => !item.done) ?? []

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    await action.run('Resolve', () =>
      api.resolveIncident({
        incidentId: view.incident.id,
        summary: summary.trim(),
        ...(open.length > 0 ? { openCriteriaReason: reason.trim() } : {}),
      }),
    )
  }
  return (
    <section className="panel incident-section">
      <h2>Resolve</h2>
      {criteria ? (
        <ul className="incident-checklist" data-testid="exit-criteria">
          {criteria.items.map((item) => (
            <li
              key={item.id}
              className={`incident-item incident-item-${item.done ? 'met' : 'not-met'}`}
            >
              <span className="incident-item-state">
                {item.judged
                  ? criterionWords[item.state ?? 'unknown']
                  : item.done
                    ? 'DONE'
                    : 'OPEN'}
              </span>{' '}
              {item.label}
              {item.evidence && <span className="muted"> · {item.evidence}</span>}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No exit criteria have been judged for this incident.</p>
      )}
      <form aria-label="Resolve incident" onSubmit={(event) => void submit(event)}>
        <label className="incident-textarea">
          Resolution summary
          <textarea
            value={summary}
            required
            rows={3}
            maxLength={20_000}
            onChange={(event) => setSummary(event.target.value)}
          />
        </label>
        {open.length > 0 && (
          <label className="incident-textarea">
            Why resolve with criteria open ({open.length} not met; required)
            <input
              value={reason}
              required
              maxLength={2000}
              onChange={(event) => setReason(event.target.value)}
            />
          </label>
        )}
        <div className="incident-buttons">
          <button type="submit" disabled={action.busy}>
            Resolve incident
          </button>
        </div>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </section>
  )
}

type TextSection = Exclude<keyof IncidentReview, 'actionItems' | 'approvals'>

const reviewSections: { key: TextSection; label: string }[] = [
  { key: 'summary', label: 'Summary' },
  { key: 'impact', label: 'Impact' },
  { key: 'timeline', label: 'Timeline' },
  { key: 'rootCause', label: 'Root cause' },
  { key: 'contributingFactors', label: 'Contributing factors' },
  { key: 'whyNotCaught', label: 'Why it was not caught' },
  { key: 'wentWell', label: 'What went well' },
  { key: 'wentPoorly', label: 'What went poorly' },
  { key: 'preventiveShortTerm', label: 'Short-term measures' },
  { key: 'preventiveLongTerm', label: 'Long-term measures' },
]

export function Review({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const incidentId = view.incident.id
  const [review, setReview] = useState<IncidentReview | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const saved = view.incident.review

  // Read once per incident: later pushes must not overwrite what the operator is typing.
  useEffect(() => {
    let current = true
    void api.getIncidentReview({ incidentId }).then((result) => {
      if (!current) return
      if (result.ok) setReview(result.value.review)
      else setProblem(result.error.message)
    })
    return () => {
      current = false
    }
  }, [api, incidentId])

  if (!review) {
    return (
      <section className="panel incident-section" data-testid="incident-review">
        <h2>Post-incident review</h2>
        {problem ? (
          <p className="error-text" role="alert">
            Review not read: {problem}
          </p>
        ) : (
          <p className="muted">Reading the review…</p>
        )}
      </section>
    )
  }

  const setItem = (index: number, change: Partial<IncidentReview['actionItems'][number]>): void =>
    setReview({
      ...review,
      actionItems: review.actionItems.map((item, at) =>
        at === index ? { ...item, ...change } : item,
      ),
    })
  const setApproval = (index: number, change: Partial<IncidentReview['approvals'][number]>): void =>
    setReview({
      ...review,
      approvals: review.approvals.map((item, at) => (at === index ? { ...item, ...change } : item)),
    })
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    await action.run('Save review', () => api.saveIncidentReview({ incidentId, review }))
  }

  return (
    <section className="panel incident-section incident-review" data-testid="incident-review">
      <h2>Post-incident review</h2>
      <p data-testid="incident-review-saved">
        {saved
          ? `Saved (version ${saved.version}) at ${utcMinutes(saved.at)} UTC by ${saved.by}`
          : 'Not saved yet: a draft filled from the record.'}
      </p>
      <form aria-label="Post-incident review" onSubmit={(event) => void submit(event)}>
        {reviewSections.map(({ key, label }) => (
          <label key={key} className="incident-textarea">
            {label}
            <textarea
              value={review[key]}
              rows={3}
              maxLength={20_000}
              onChange={(event) => setReview({ ...review, [key]: event.target.value })}
            />
          </label>
        ))}
        <h3>Action items</h3>
        <table className="incident-table">
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Owner</th>
              <th scope="col">Due (YYYY-MM-DD)</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {review.actionItems.map((item, index) => (
              <tr key={index} data-testid="review-action-item">
                <td>
                  <input
                    aria-label={`Action item ${index + 1}`}
                    value={item.action}
                    maxLength={2000}
                    onChange={(event) => setItem(index, { action: event.target.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Owner of item ${index + 1}`}
                    value={item.owner}
                    maxLength={200}
                    size={14}
                    onChange={(event) => setItem(index, { owner: event.target.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Due date of item ${index + 1}`}
                    value={item.due}
                    placeholder="YYYY-MM-DD"
                    pattern="\d{4}-\d{2}-\d{2}"
                    size={11}
                    onChange={(event) => setItem(index, { due: event.target.value })}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Status of item ${index + 1}`}
                    value={item.status}
                    onChange={(event) =>
                      setItem(index, { status: event.target.value === 'done' ? 'done' : 'open' })
                    }
                  >
                    <option value="open">open</option>
                    <option value="done">done</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="incident-buttons">
          <button
            type="button"
            disabled={review.actionItems.length >= 100}
            onClick={() =>
              setReview({
                ...review,
                actionItems: [
                  ...review.actionItems,
                  { action: '', owner: '', due: '', status: 'open' },
                ],
              })
            }
          >
            Add action item
          </button>
        </div>
        <h3>Approvals</h3>
        <table className="incident-table">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Name</th>
              <th scope="col">Approved on (YYYY-MM-DD)</th>
            </tr>
          </thead>
          <tbody>
            {review.approvals.map((approval, index) => (
              <tr key={index} data-testid="review-approval">
                <td>
                  <input
                    aria-label={`Approver role ${index + 1}`}
                    value={approval.role}
                    maxLength={200}
                    onChange={(event) => setApproval(index, { role: event.target.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Approver name ${index + 1}`}
                    value={approval.name}
                    maxLength={200}
                    onChange={(event) => setApproval(index, { name: event.target.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Approved on ${index + 1}`}
                    value={approval.approvedOn}
                    placeholder="YYYY-MM-DD"
                    pattern="\d{4}-\d{2}-\d{2}"
                    size={11}
                    onChange={(event) => setApproval(index, { approvedOn: event.target.value })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="incident-buttons">
          <button
            type="button"
            disabled={review.approvals.length >= 10}
            onClick={() =>
              setReview({
                ...review,
                approvals: [...review.approvals, { role: '', name: '', approvedOn: '' }],
              })
            }
          >
            Add approver
          </button>
          <button type="submit" disabled={action.busy}>
            Save review
          </button>
        </div>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </section>
  )
}
