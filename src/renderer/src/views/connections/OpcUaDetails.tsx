import { useState } from 'react'
import type { CertificateInfo, SourceDetails } from '../../../../shared/field/diagnostics'
import { useApi } from '../../api/api-context'

type Details = Extract<SourceDetails, { kind: 'opcua' }>

/** Session, subscriptions and the server's certificate, with the way to trust it. */
export function OpcUaDetails({
  details,
  onTrusted,
}: {
  details: Details
  onTrusted: () => void
}): React.JSX.Element {
  return (
    <>
      <h3>Session</h3>
      <dl className="facts">
        <dt>Security</dt>
        <dd>
          {details.securityMode} / {details.securityPolicy}
        </dd>
        <dt>Session</dt>
        <dd data-testid="opcua-session">
          {details.session.state}
          {details.session.sessionId ? ` (${details.session.sessionId})` : ''}
          {details.session.timeoutMs
            ? `, timeout ${Math.round(details.session.timeoutMs / 1000)} s`
            : ''}
        </dd>
      </dl>
      <h3>Subscriptions</h3>
      <table className="tag-table" data-testid="opcua-subscriptions">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Publishing interval</th>
            <th scope="col">Monitored items</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {details.subscriptions.map((subscription, index) => (
            <tr key={subscription.id ?? `pending-${index}`}>
              <td>{subscription.id ?? '—'}</td>
              <td>{subscription.publishingIntervalMs} ms</td>
              <td>{subscription.monitoredItems}</td>
              <td>{subscription.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Server certificate</h3>
      {details.serverCertificate ? (
        <CertificateCard certificate={details.serverCertificate} onTrusted={onTrusted} />
      ) : (
        <p>None received (security mode None, or not connected yet).</p>
      )}
    </>
  )
}

function CertificateCard({
  certificate,
  onTrusted,
}: {
  certificate: CertificateInfo
  onTrusted: () => void
}): React.JSX.Element {
  const api = useApi()
  const [error, setError] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const trust = async (): Promise<void> => {
    const result = await api.trustServerCertificate({ thumbprint: certificate.thumbprint })
    setConfirming(false)
    if (result.ok) onTrusted()
    else setError(result.error.message)
  }
  return (
    <div
      className={`certificate certificate-${certificate.status}`}
      data-testid="server-certificate"
    >
      <dl className="facts">
        <dt>Subject</dt>
        <dd>{certificate.subject}</dd>
        <dt>Thumbprint</dt>
        <dd>
          <code>{certificate.thumbprint}</code>
        </dd>
        <dt>Valid</dt>
        <dd>
          {certificate.validFrom} to {certificate.validTo}
        </dd>
        <dt>Status</dt>
        <dd data-testid="certificate-status">{certificate.status}</dd>
      </dl>
      {certificate.status === 'rejected' && !confirming && (
        <button type="button" onClick={() => setConfirming(true)}>
          Trust this certificate…
        </button>
      )}
      {confirming && (
        <p className="confirm">
          Trust only if the thumbprint matches the one shown on the server itself.{' '}
          <button type="button" onClick={() => void trust()}>
            Trust {certificate.thumbprint.slice(0, 8)}…
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </p>
      )}
      {error && <p className="error-text">{error}</p>}
    </div>
  )
}
