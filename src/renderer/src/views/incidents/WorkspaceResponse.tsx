import { useState, type FormEvent } from 'react'
import { priorityClassNames, type PriorityClass } from '../../../../shared/heat/priority-class'
import { clockState, type Clock } from '../../../../shared/incidents/clocks'
import type { EvaluatedItem } from '../../../../shared/incidents/checklists'
import type { EscalationStep } from '../../../../shared/incidents/escalation'
import {
  callOutcomeNames,
  callOutcomes,
  checkKey,
  type CallOutcome,
} from '../../../../shared/incidents/model'
import type { IncidentView } from '../../../../shared/incidents/view'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { useNow } from '../use-now'
import { CountdownText, NoticeLine, useIncidentAction } from './incident-parts'
import {
  clockText,
  countdown,
  escalationOrder,
  plantNames,
  timeToCritical,
  utcTime,
} from './incident-view'

// The response itself: the runbook's clocks, whom to call, and the checklists.

const clockStateWords = {
  running: 'running',
  overdue: 'OVERDUE',
  met: 'met',
  late: 'late',
} as const

function ClockRow({
  clock,
  now,
  children,
}: {
  clock: Clock
  now: number
  children?: React.ReactNode
}): React.JSX.Element {
  const state = clockState(clock, now)
  return (
    <li
      className={`incident-clock incident-clock-${state}`}
      data-testid="incident-clock"
      data-clock-id={clock.id}
      data-state={state}
    >
      <span className="incident-clock-state">{clockStateWords[state]}</span>
      <span className="incident-clock-label">{clock.label}</span>
      <CountdownText countdown={clockText(clock, now)} />
      {children}
    </li>
  )
}

export function Clocks({ view }: { view: IncidentView }): React.JSX.Element {
  const now = useNow(1000)
  const { clocks, incident } = view
  const conditions = useConsole((state) => state.incidents?.conditions ?? null)
  const plants = useConsole((state) => state.plants)
  return (
    <section className="panel incident-section">
      <h2>Clocks</h2>
      <ul className="incident-clocks">
        {clocks.acknowledge && <ClockRow clock={clocks.acknowledge} now={now} />}
        {clocks.action && (
          <ClockRow clock={clocks.action} now={now}>
            {incident.mitigations.length === 0 && !incident.resolved && (
              <MitigationForm view={view} />
            )}
            {incident.mitigations.map((mitigation) => (
              <div key={mitigation.at} className="muted incident-clock-detail">
                {utcTime(mitigation.at)} UTC {mitigation.by}: {mitigation.summary}
              </div>
            ))}
          </ClockRow>
        )}
        {!clocks.action && !incident.resolved && (
          <li className="incident-clock">
            <span className="incident-clock-state">—</span>
            <span className="incident-clock-label">
              No action target at {incident.severity}; record mitigation when it starts
            </span>
            <MitigationForm view={view} />
          </li>
        )}
        {clocks.update && (
          <li
            className={`incident-clock${clocks.update.dueAt < now ? ' incident-clock-overdue' : ''}`}
            data-testid="update-clock"
            data-kind={clocks.update.kind}
          >
            <span className="incident-clock-state">
              {clocks.update.dueAt < now ? 'OVERDUE' : 'due'}
            </span>
            <span className="incident-clock-label">
              {clocks.update.kind === 'initial'
                ? 'Initial status update'
                : clocks.update.kind === 'resolution'
                  ? 'Resolution message'
                  : `Status update (every ${clocks.update.everyMinutes} min)`}
            </span>
            <CountdownText countdown={countdown(clocks.update.dueAt, now)} />
          </li>
        )}
      </ul>
      {clocks.consumers.length > 0 && (
        <>
          <h3>Heat restoration per consumer</h3>
          <ul className="incident-clocks">
            {clocks.consumers.map((clock) => {
              const state = clockState(clock, now)
              return (
                <li
                  key={clock.id}
                  className={`incident-clock incident-clock-${state}`}
                  data-testid="consumer-clock"
                  data-unit-id={clock.unitId}
                  data-plant-id={clock.plantId}
                  data-state={state}
                >
                  <span className="incident-clock-state">{clockStateWords[state]}</span>
                  <span className="incident-clock-label">
                    {clock.label}
                    <span className="muted">
                      {' '}
                      · {plantNames([clock.plantId], plants)} ·{' '}
                      {priorityClassNames[clock.priorityClass as PriorityClass] ??
                        clock.priorityClass}
                    </span>
                  </span>
                  <CountdownText countdown={clockText(clock, now)} />
                  {clock.doneAt === null && (
                    <span className="incident-critical" data-testid="time-to-critical">
                      {timeToCritical(conditions, clock.plantId, clock.unitId)}
                    </span>
                  )}
                </li>
              )
            })}
          </ul>
        </>
      )}
    </section>
  )
}

function MitigationForm({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [summary, setSummary] = useState('')
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run('Record mitigation', () =>
      api.startIncidentMitigation({ incidentId: view.incident.id, summary: summary.trim() }),
    )
    if (done) setSummary('')
  }
  return (
    <div className="incident-clock-detail">
      <form
        className="inline-form"
        aria-label="Mitigation started"
        onSubmit={(event) => void submit(event)}
      >
        <label>
          What was done
          <input
            value={summary}
            required
            maxLength={2000}
            size={36}
            onChange={(event) => setSummary(event.target.value)}
          />
        </label>
        <button type="submit" disabled={action.busy || summary.trim() === ''}>
          Record mitigation
        </button>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </div>
  )
}

const stepStateWords: Record<EscalationStep['state'], string> = {
  due: 'CALL NOW',
  upcoming: 'next',
  reached: 'reached',
  missed: 'MISSED',
}

export function Escalation({ view }: { view: IncidentView }): React.JSX.Element {
  const now = useNow(1000)
  const levels = useConsole((state) => state.incidents?.escalationPlan.levels.length ?? 0)
  const steps = escalationOrder(view.escalation)
  return (
    <section className="panel incident-section">
      <h2>Escalation: who to call</h2>
      {levels === 0 ? (
        <p className="muted" data-testid="escalation-empty">
          The site file names no escalation levels: call as the site&apos;s own procedure says, and
          note each call.
        </p>
      ) : steps.length === 0 ? (
        <p className="muted">Nobody must be called at {view.incident.severity}.</p>
      ) : (
        <ol className="incident-steps">
          {steps.map((step) => (
            <li
              key={step.levelId}
              className={`incident-step incident-step-${step.state}`}
              data-testid="escalation-step"
              data-level-id={step.levelId}
              data-state={step.state}
            >
              <div>
                <span className="incident-step-state">{stepStateWords[step.state]}</span>{' '}
                <strong>{step.name}</strong> — {step.why}
              </div>
              <div className="muted">
                Due {utcTime(step.dueAt)} UTC
                {step.state === 'due' || step.state === 'upcoming' ? (
                  <>
                    {' '}
                    <CountdownText countdown={countdown(step.dueAt, now)} />
                  </>
                ) : null}{' '}
                · {step.attempts} call(s)
                {step.lastCall &&
                  ` · last: ${step.lastCall.contact} at ${utcTime(step.lastCall.at)} UTC, ${
                    callOutcomeNames[step.lastCall.outcome as CallOutcome] ?? step.lastCall.outcome
                  }${step.lastCall.note ? ` (${step.lastCall.note})` : ''}`}
              </div>
              <ul className="incident-contacts">
                {step.contacts.map((contact) => (
                  <li key={contact.name}>
                    <span className="incident-contact-name">{contact.name}</span>{' '}
                    <span className="incident-phone">{contact.phone}</span>
                    {contact.note && <span className="muted"> {contact.note}</span>}
                  </li>
                ))}
              </ul>
              {!view.incident.resolved && <CallForm view={view} step={step} />}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

function CallForm({ view, step }: { view: IncidentView; step: EscalationStep }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  const [contact, setContact] = useState(step.contacts[0]?.name ?? '')
  const [outcome, setOutcome] = useState<CallOutcome>('reached')
  const [note, setNote] = useState('')
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const done = await action.run(
      'Record call',
      () =>
        api.recordIncidentCall({
          incidentId: view.incident.id,
          levelId: step.levelId,
          contact,
          outcome,
          note: note.trim(),
        }),
      `Call to ${contact} recorded: ${callOutcomeNames[outcome]}.`,
    )
    if (done) setNote('')
  }
  return (
    <>
      <form
        className="inline-form"
        aria-label={`Record a call to ${step.name}`}
        onSubmit={(event) => void submit(event)}
      >
        <label>
          Called
          <select value={contact} onChange={(event) => setContact(event.target.value)}>
            {step.contacts.map((known) => (
              <option key={known.name} value={known.name}>
                {known.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select
            value={outcome}
            onChange={(event) => setOutcome(event.target.value as CallOutcome)}
          >
            {callOutcomes.map((known) => (
              <option key={known} value={known}>
                {callOutcomeNames[known]}
              </option>
            ))}
          </select>
        </label>
        <label>
          What was said (optional)
          <input
            value={note}
            maxLength={2000}
            size={24}
            onChange={(event) => setNote(event.target.value)}
          />
        </label>
        <button type="submit" disabled={action.busy || contact === ''}>
          Record call
        </button>
      </form>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
    </>
  )
}

const checkWords = { met: 'MET', 'not-met': 'NOT MET', unknown: 'UNKNOWN' } as const

export function Checklists({ view }: { view: IncidentView }): React.JSX.Element {
  const api = useApi()
  const action = useIncidentAction()
  // The box shows the operator's click at once; the backend's answer (or a refusal) settles it.
  const [pending, setPending] = useState<Readonly<Record<string, boolean>>>({})
  const tick = async (checklistId: string, item: EvaluatedItem, done: boolean): Promise<void> => {
    const key = checkKey(checklistId, item.id)
    setPending((known) => ({ ...known, [key]: done }))
    await action.run('Tick', () =>
      api.tickIncidentItem({ incidentId: view.incident.id, checklistId, itemId: item.id, done }),
    )
    setPending(({ [key]: _settled, ...rest }) => rest)
  }
  return (
    <section className="panel incident-section">
      <h2>Checklists</h2>
      <NoticeLine notice={action.notice} onDismiss={() => action.setNotice(null)} />
      {view.checklists.map((checklist) => {
        const done = checklist.items.filter((item) => item.done).length
        return (
          <div key={checklist.id} data-testid="checklist" data-checklist-id={checklist.id}>
            <h3>
              {checklist.title}{' '}
              <span className="muted">
                ({checklist.when}) · {done} of {checklist.items.length} done
              </span>
            </h3>
            <ul className="incident-checklist">
              {checklist.items.map((item) => (
                <li
                  key={item.id}
                  className={`incident-item${item.judged ? ` incident-item-${item.state ?? 'unknown'}` : ''}`}
                  data-testid="checklist-item"
                  data-item-id={item.id}
                  data-judged={item.judged ? 'true' : 'false'}
                  data-state={item.state ?? 'ticked'}
                  data-done={item.done ? 'true' : 'false'}
                >
                  {item.judged ? (
                    <>
                      <span className="incident-item-state">
                        {checkWords[item.state ?? 'unknown']}
                      </span>{' '}
                      {item.label}
                      {item.evidence && <div className="muted">{item.evidence}</div>}
                    </>
                  ) : (
                    <>
                      <label className="incident-check">
                        <input
                          type="checkbox"
                          checked={pending[checkKey(checklist.id, item.id)] ?? item.done}
                          disabled={view.incident.resolved !== null}
                          onChange={(event) => void tick(checklist.id, item, event.target.checked)}
                        />
                        {item.label}
                      </label>
                      {item.tick && (
                        <span className="muted">
                          {' '}
                          ({item.tick.done ? 'ticked' : 'unticked'} by {item.tick.by} at{' '}
                          {utcTime(item.tick.at)} UTC)
                        </span>
                      )}
                    </>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )
      })}
    </section>
  )
}
