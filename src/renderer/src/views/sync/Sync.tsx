import { useCallback, useEffect, useState } from 'react'
import type { QuarantineItem } from '../../../../shared/sync/status'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { formatAge, useNow } from '../use-now'

// Sync to the central system (DESIGN.md §3.5): where it stands, and the quarantine, which only an
// operator empties, by sending items again once the central team has fixed what refused them.

const at = (ms: number | null, now: number): string =>
  ms === null
    ? 'never'
    : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC (${formatAge(now - ms)} ago)`

export function Sync(): React.JSX.Element {
  const api = useApi()
  const sync = useConsole((state) => state.sync)
  const storage = useConsole((state) => state.storage)
  const now = useNow()
  const [items, setItems] = useState<QuarantineItem[]>([])
  const [message, setMessage] = useState<string | null>(null)

  const loadQuarantine = useCallback(() => {
    void api.getQuarantine({}).then((result) => {
      if (result.ok) setItems(result.value.items)
      else setMessage(result.error.message)
    })
  }, [api])
  // The list follows the count the backend pushes with every status.
  useEffect(loadQuarantine, [loadQuarantine, sync?.quarantineCount])

  const retry = async (ids: string[] | 'all'): Promise<void> => {
    const result = await api.retryQuarantined({ ids })
    setMessage(
      result.ok
        ? `${result.value.released} item(s) released to be sent again.`
        : result.error.message,
    )
    loadQuarantine()
  }
  const exportAll = async (): Promise<void> => {
    const result = await api.exportQuarantine({})
    if (!result.ok) {
      setMessage(result.error.message)
      return
    }
    // A download in browser mode; Electron's window saves it through its download handler.
    const url = URL.createObjectURL(
      new Blob([result.value.ndjson], { type: 'application/x-ndjson' }),
    )
    const link = document.createElement('a')
    link.href = url
    link.download = result.value.fileName
    link.click()
    URL.revokeObjectURL(url)
  }

  if (!sync) return <main className="sync" />
  return (
    <main className="sync">
      <section className="panel" aria-labelledby="sync-title" data-testid="sync-panel">
        <h2 id="sync-title">Sync to the central system</h2>
        {sync.state === 'disabled' ? (
          <p className="muted">
            This site names no central system (<code>central.url</code> in the site file): the
            journal is kept on this machine only.
          </p>
        ) : (
          <>
            <dl className="facts">
              <dt>Central system</dt>
              <dd>{sync.target}</dd>
              <dt>State</dt>
              <dd data-testid="sync-state">
                {sync.state === 'backing-off' ? 'retrying' : sync.state}
              </dd>
              <dt>Journal waiting</dt>
              <dd data-testid="sync-backlog">
                {sync.backlog.count} event(s)
                {sync.backlog.oldestTs !== null &&
                  `, oldest ${formatAge(now - sync.backlog.oldestTs)}`}
              </dd>
              <dt>History waiting</dt>
              <dd>
                {sync.history.enabled
                  ? `${sync.history.count ?? 'an unknown number of'} sample(s), sent once the journal is through`
                  : 'not synced'}
              </dd>
              <dt>Last success</dt>
              <dd>{at(sync.lastSuccessAt, now)}</dd>
              <dt>Last error</dt>
              <dd className={sync.lastError ? 'error-text' : undefined} data-testid="sync-error">
                {sync.lastError
                  ? `${sync.lastError.message} (${at(sync.lastError.at, now)})`
                  : 'none'}
              </dd>
              {sync.nextAttemptAt !== null && (
                <>
                  <dt>Next attempt</dt>
                  <dd>in {formatAge(sync.nextAttemptAt - now)}</dd>
                </>
              )}
            </dl>
            <button type="button" onClick={() => void api.syncNow({})}>
              Try now
            </button>
          </>
        )}
      </section>
      {storage && (
        <section className="panel" aria-labelledby="storage-title" data-testid="storage">
          <h2 id="storage-title">Disk budget</h2>
          <dl className="facts">
            <dt>Used</dt>
            <dd>
              {Math.round(storage.fraction * 100)} % of {Math.round(storage.budgetBytes / 1048576)}{' '}
              MB
            </dd>
            <dt>Journal</dt>
            <dd>{(storage.journalBytes / 1048576).toFixed(1)} MB (never pruned)</dd>
            <dt>Tag history</dt>
            <dd>
              {storage.historyBytes === null
                ? 'not kept'
                : `${(storage.historyBytes / 1048576).toFixed(1)} MB (oldest raw data pruned first)`}
            </dd>
            {storage.droppedUnsynced > 0 && (
              <>
                <dt>Pruned before sync</dt>
                <dd>{storage.droppedUnsynced} history samples</dd>
              </>
            )}
          </dl>
        </section>
      )}
      <section className="panel" aria-labelledby="quarantine-title" data-testid="quarantine">
        <h2 id="quarantine-title">Quarantine ({sync.quarantineCount})</h2>
        <p className="muted">
          What the central system refused. Nothing here is deleted: export it for the central team,
          and send it again once they have fixed the cause.
        </p>
        {message && <p role="status">{message}</p>}
        {items.length < sync.quarantineCount && (
          <p className="muted">
            Showing {items.length} of {sync.quarantineCount}; the export holds them all.
          </p>
        )}
        {items.length > 0 && (
          <>
            <p className="inline-form">
              <button type="button" onClick={() => void retry('all')}>
                Send all again
              </button>
              <button type="button" onClick={() => void exportAll()}>
                Export (NDJSON)
              </button>
            </p>
            <table className="journal-table">
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Refused</th>
                  <th scope="col">Reason</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={`${item.kind}-${item.id}`} data-testid="quarantine-item">
                    <td>
                      {item.kind === 'event'
                        ? `Event ${item.seq}: ${item.type}`
                        : `History batch: ${item.sampleCount} samples`}
                    </td>
                    <td>{at(item.quarantinedAt, now)}</td>
                    <td>{item.reason}</td>
                    <td>
                      <button type="button" onClick={() => void retry([item.id])}>
                        Send again
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </main>
  )
}
