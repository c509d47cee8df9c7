import { useConsole } from '../../store/console-store'
import { formatAge, useNow } from '../use-now'

/** Every source with its connection state; choosing one opens its details below. */
export function SourceList({
  selected,
  onSelect,
}: {
  selected: string | null
  onSelect: (sourceId: string) => void
}): React.JSX.Element {
  const sources = useConsole((state) => state.sources)
  const now = useNow(1000)
  return (
    <section className="panel sources">
      <h2>Sources</h2>
      {sources.length === 0 ? (
        <p>No sources: the site file defines none, or it could not be loaded.</p>
      ) : (
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
                aria-selected={selected === source.id}
              >
                <th scope="row">
                  <button type="button" className="link-button" onClick={() => onSelect(source.id)}>
                    {source.id}
                  </button>
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
      )}
    </section>
  )
}
