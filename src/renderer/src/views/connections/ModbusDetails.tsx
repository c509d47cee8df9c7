import type { SourceDetails } from '../../../../shared/field/diagnostics'

type Details = Extract<SourceDetails, { kind: 'modbus' }>

function clock(ts: number): string {
  const time = new Date(ts)
  return `${time.toLocaleTimeString('en-GB', { hour12: false })}.${String(time.getMilliseconds()).padStart(3, '0')}`
}

/** The block plan the driver reads with, and the last frames on the wire. */
export function ModbusDetails({ details }: { details: Details }): React.JSX.Element {
  return (
    <>
      <h3>Block plan</h3>
      <table className="tag-table" data-testid="block-plan">
        <thead>
          <tr>
            <th scope="col">Unit</th>
            <th scope="col">Table</th>
            <th scope="col">Addresses</th>
            <th scope="col">Registers</th>
            <th scope="col">Tags</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {details.blocks.map((block) => (
            <tr
              key={`${block.unitId}-${block.table}-${block.start}`}
              className={block.lastError ? 'block-failed' : ''}
            >
              <td>{block.unitId}</td>
              <td>{block.table}</td>
              <td>
                {block.start}–{block.start + block.count - 1}
              </td>
              <td>{block.count}</td>
              <td>{block.tagIds.join(', ')}</td>
              <td>{block.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {details.unplanned.length > 0 && (
        <>
          <h3>Tags that cannot be read</h3>
          <ul>
            {details.unplanned.map((entry) => (
              <li key={entry.tagId}>
                <code>{entry.tagId}</code>: {entry.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Traffic (last {details.traffic.length} frames)</h3>
      <div className="traffic" data-testid="traffic">
        {details.traffic.map((frame, index) => (
          <div key={index} className={`frame frame-${frame.direction}`}>
            <span className="frame-time">{clock(frame.ts)}</span>
            <span className="frame-direction">
              {frame.direction === 'request' ? '→' : frame.direction === 'response' ? '←' : '✕'}{' '}
              unit {frame.unitId}
            </span>
            <code className="frame-hex">{frame.hex}</code>
            {frame.note && <span className="frame-note">{frame.note}</span>}
          </div>
        ))}
      </div>
    </>
  )
}
