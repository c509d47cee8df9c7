import { useEffect, useState } from 'react'
import type { SourceDiagnostics } from '../../../../shared/field/diagnostics'
import type { SourceStatus } from '../../../../shared/field/values'
import { useApi } from '../../api/api-context'
import { ByteOrderHelper } from './ByteOrderHelper'
import { ModbusDetails } from './ModbusDetails'
import { OpcUaDetails } from './OpcUaDetails'

const refreshMs = 1000

function formatNumber(value: number | null, digits = 1): string {
  return value === null ? '—' : value.toFixed(digits)
}

/** Live figures of one source, refreshed every second while this page is open. */
export function SourceDetails({ source }: { source: SourceStatus }): React.JSX.Element {
  const api = useApi()
  const [diagnostics, setDiagnostics] = useState<SourceDiagnostics | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [version, setVersion] = useState(0)

  useEffect(() => {
    let active = true
    const load = async (): Promise<void> => {
      const result = await api.getSourceDiagnostics({ sourceId: source.id })
      if (!active) return
      if (result.ok) {
        setDiagnostics(result.value)
        setError(null)
      } else setError(result.error.message)
    }
    void load()
    const timer = setInterval(() => void load(), refreshMs)
    return () => {
      active = false
      clearInterval(timer)
    }
  }, [api, source.id, version])

  const stats = diagnostics?.stats
  return (
    <section
      className="panel source-details"
      data-testid="source-details"
      data-source-id={source.id}
    >
      <h2>
        {source.id}{' '}
        <span className="muted">
          ({source.protocol}, {source.endpoint})
        </span>
      </h2>
      {error && <p className="error-text">{error}</p>}
      {stats && (
        <dl className="stats" data-testid="source-stats">
          <div>
            <dt>Round trip</dt>
            <dd data-testid="stat-rtt">
              {stats.roundTripMs === null ? '—' : `${formatNumber(stats.roundTripMs)} ms`}
            </dd>
          </div>
          <div>
            <dt>Requests/s</dt>
            <dd>{formatNumber(stats.requestsPerSecond)}</dd>
          </div>
          <div>
            <dt>Requests</dt>
            <dd data-testid="stat-requests">{stats.requests}</dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd>{stats.errors}</dd>
          </div>
          <div>
            <dt>Timeouts</dt>
            <dd>{stats.timeouts}</dd>
          </div>
          <div>
            <dt>Frame loss</dt>
            <dd>{formatNumber(stats.frameLossPercent)} %</dd>
          </div>
        </dl>
      )}
      {diagnostics?.details.kind === 'modbus' && (
        <>
          <ModbusDetails details={diagnostics.details} />
          <ByteOrderHelper sourceId={source.id} />
        </>
      )}
      {diagnostics?.details.kind === 'opcua' && (
        <OpcUaDetails
          details={diagnostics.details}
          onTrusted={() => setVersion((value) => value + 1)}
        />
      )}
    </section>
  )
}
