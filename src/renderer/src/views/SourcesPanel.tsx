import { useConsole } from '../store/console-store'
import { formatAge, useNow } from './use-now'

/** Where each value comes from, and whether that connection is alive. */
export function SourcesPanel(): React.JSX.Element | null {
  const sources = useConsole((state) => state.sources)
  const now = useNow(1000)
  if (sources.length === 0) return null
  return (
    <section className="panel sources">
      <h2>Connections</h2>
      <table className="tag-table">
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Protocol</th>
            <th scope="col">Endpoint</th>
            <th scope="col">State</th>
            <th scope="col">For</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((source) => (
            <tr
              key={source.id}
              className={`source-${source.state}`}
              data-testid="source-row"
              data-source-id={source.id}
            >
              <th scope="row">
                {source.id}
                {source.simulated && <span className="sim-badge">SIM</span>}
              </th>
              <td>{source.protocol}</td>
              <td>
                <code>{source.endpoint}</code>
              </td>
              <td className="source-state">{source.state}</td>
              <td>{formatAge(now - source.since)}</td>
              <td>{source.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
