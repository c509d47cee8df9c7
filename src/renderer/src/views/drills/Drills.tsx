import { useCallback, useEffect, useState } from 'react'
import { formatDuration } from '../../../../shared/drills/debrief'
import { priorityClassNames } from '../../../../shared/heat/priority-class'
import type {
  DebriefRow,
  DrillCatalog,
  DrillState,
  ScenarioSummary,
} from '../../../../shared/drills/drill'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { useNow } from '../use-now'

// Drills: pick a runbook scenario, rehearse it on the simulator, read the debrief. Starting one
// changes the simulated plants for everyone watching this console, so it asks once more first.

const clock = (ms: number): string =>
  new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })

const outcomeText: Record<DebriefRow['outcome'], string> = {
  met: 'Met',
  late: 'Late',
  'not-done': 'Not done',
  open: 'Open',
  wrong: 'Wrong',
}

export function Drills(): React.JSX.Element {
  const api = useApi()
  const drill = useConsole((state) => state.drill)
  const [catalog, setCatalog] = useState<DrillCatalog | null>(null)
  const [error, setError] = useState<string | null>(null)

  const loadCatalog = useCallback(() => {
    setError(null)
    void api.getDrillCatalog({}).then((result) => {
      if (result.ok) setCatalog(result.value)
      else setError(`The drill scenarios could not be loaded: ${result.error.message}`)
    })
  }, [api])
  useEffect(loadCatalog, [loadCatalog])

  const start = async (scenario: ScenarioSummary): Promise<void> => {
    setError(null)
    const result = await api.startDrill({ scenarioId: scenario.id })
    if (result.ok) useConsole.setState({ drill: result.value.drill })
    else setError(result.error.message)
  }
  const stop = async (): Promise<void> => {
    setError(null)
    const result = await api.stopDrill({})
    if (result.ok) useConsole.setState({ drill: result.value.drill })
    else setError(result.error.message)
  }

  return (
    <main className="drills">
      {error && (
        <p className="panel error-text" role="alert">
          {error}{' '}
          {!catalog && (
            <button type="button" onClick={loadCatalog}>
              Try again
            </button>
          )}
        </p>
      )}
      {drill?.status === 'running' ? (
        <RunningDrill drill={drill} onStop={stop} />
      ) : (
        <>
          {catalog && <ScenarioList catalog={catalog} onStart={start} />}
          {drill && <Debrief drill={drill} />}
        </>
      )}
    </main>
  )
}

function ScenarioList({
  catalog,
  onStart,
}: {
  catalog: DrillCatalog
  onStart: (scenario: ScenarioSummary) => Promise<void>
}): React.JSX.Element {
  const [confirming, setConfirming] = useState<string | null>(null)
  // One start at a time: a second click while the first is on its way would only be refused.
  const [starting, setStarting] = useState(false)
  const confirm = async (scenario: ScenarioSummary): Promise<void> => {
    setStarting(true)
    try {
      await onStart(scenario)
    } finally {
      setStarting(false)
      setConfirming(null)
    }
  }
  return (
    <section className="panel" aria-labelledby="drill-scenarios">
      <h2 id="drill-scenarios">Runbook drills</h2>
      {!catalog.available && <p className="muted">{catalog.reason}</p>}
      {catalog.problems.map((problem) => (
        <p key={`${problem.file}:${problem.line}:${problem.path}`} className="error-text">
          {problem.file}:{problem.line ?? '?'}: {problem.path} {problem.message}
        </p>
      ))}
      <table className="drill-table">
        <thead>
          <tr>
            <th scope="col">Scenario</th>
            <th scope="col">Severity</th>
            <th scope="col">Length</th>
            <th scope="col">Runbook</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {catalog.scenarios.map((scenario) => (
            <tr key={scenario.id} data-testid="drill-scenario" data-scenario-id={scenario.id}>
              <th scope="row">
                {scenario.title}
                <div className="muted drill-description">{scenario.description}</div>
              </th>
              <td>{scenario.severity}</td>
              <td>{formatDuration(scenario.durationSeconds)}</td>
              <td className="muted">{scenario.runbook}</td>
              <td className="drill-start">
                {confirming === scenario.id ? (
                  <span className="inline-form">
                    <span>Simulated plants will change for everyone on this console.</span>
                    <button
                      type="button"
                      disabled={starting}
                      onClick={() => void confirm(scenario)}
                    >
                      Start the drill
                    </button>
                    <button type="button" onClick={() => setConfirming(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    disabled={!catalog.available}
                    onClick={() => setConfirming(scenario.id)}
                  >
                    Start drill…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function RunningDrill({
  drill,
  onStop,
}: {
  drill: DrillState
  onStop: () => Promise<void>
}): React.JSX.Element {
  const now = useNow()
  const elapsedSeconds = Math.max(0, Math.round((now - drill.startedAt) / 1000))
  const shortOfHeat = drill.heatLosses.filter((loss) => loss.restoredAt === null)
  return (
    <section
      className="panel panel-drill"
      aria-labelledby="drill-running"
      data-testid="drill-running"
    >
      <h2 id="drill-running">
        DRILL running: {drill.scenario.title} ({drill.scenario.severity})
      </h2>
      <dl className="facts">
        <dt>Started</dt>
        <dd>{clock(drill.startedAt)}</dd>
        <dt>Elapsed</dt>
        <dd data-testid="drill-elapsed">
          {formatDuration(elapsedSeconds)} of {formatDuration(drill.scenario.durationSeconds)}
        </dd>
        <dt>Runbook</dt>
        <dd>{drill.scenario.runbook}</dd>
      </dl>
      <p>{drill.scenario.description}</p>
      <h3>What has happened</h3>
      {drill.log.length === 0 ? (
        <p className="muted">Nothing yet: the first fault is still to come.</p>
      ) : (
        <ul className="drill-log" data-testid="drill-log">
          {drill.log.map((entry, index) => (
            <li key={index}>
              t+{formatDuration(entry.atSeconds)}: {entry.action === 'fault' ? 'fault' : 'cleared'}{' '}
              <code>{entry.faultId}</code>
              {entry.error && <span className="error-text"> (refused: {entry.error})</span>}
            </li>
          ))}
        </ul>
      )}
      <h3>Consumers short of heat</h3>
      {shortOfHeat.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul>
          {shortOfHeat.map((loss) => (
            <li key={`${loss.plantId}.${loss.consumerId}`}>
              {loss.plantId} {loss.name} ({priorityClassNames[loss.priorityClass]}) since{' '}
              {clock(loss.lostAt)}
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => void onStop()}>
        End the drill
      </button>
    </section>
  )
}

function Debrief({ drill }: { drill: DrillState }): React.JSX.Element {
  return (
    <section className="panel" aria-labelledby="drill-debrief" data-testid="drill-debrief">
      <h2 id="drill-debrief">
        Debrief: {drill.scenario.title} (
        {drill.status === 'finished' ? 'ran to the end' : 'ended early'}
        {drill.endedAt !== null && `, ${clock(drill.startedAt)}–${clock(drill.endedAt)}`})
      </h2>
      {drill.debrief === null || drill.debrief.length === 0 ? (
        <p className="muted">
          The drill ended before its first fault, so there is nothing to judge.
        </p>
      ) : (
        <table className="drill-table">
          <thead>
            <tr>
              <th scope="col">Runbook target</th>
              <th scope="col">Outcome</th>
              <th scope="col">What happened</th>
            </tr>
          </thead>
          <tbody>
            {drill.debrief.map((row, index) => (
              <tr key={index} className={`debrief-${row.outcome}`} data-testid="debrief-row">
                <th scope="row">{row.target}</th>
                <td className="debrief-outcome">{outcomeText[row.outcome]}</td>
                <td>{row.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
