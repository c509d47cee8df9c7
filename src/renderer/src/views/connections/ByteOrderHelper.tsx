import { useState, type FormEvent } from 'react'
import type { ResponseOf } from '../../../../shared/api/contract'
import { useApi } from '../../api/api-context'

type Answer = ResponseOf<'proposeByteOrder'>

/**
 * Commissioning aid: read a register and the value the field instrument shows, and the console says
 * which type, byte order and scaling turn one into the other.
 */
export function ByteOrderHelper({ sourceId }: { sourceId: string }): React.JSX.Element {
  const api = useApi()
  const [table, setTable] = useState<'holding' | 'input'>('holding')
  const [offset, setOffset] = useState('')
  const [unitId, setUnitId] = useState('')
  const [expected, setExpected] = useState('')
  const [answer, setAnswer] = useState<Answer | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault()
    const offsetNumber = Number(offset)
    const expectedNumber = Number(expected.replace(',', '.'))
    if (
      offset.trim() === '' ||
      !Number.isInteger(offsetNumber) ||
      offsetNumber < 0 ||
      offsetNumber > 65535
    ) {
      setError('Offset must be a whole number from 0 to 65535 (the 0-based protocol address).')
      return
    }
    if (expected.trim() === '' || !Number.isFinite(expectedNumber)) {
      setError('Enter the value the instrument shows, as a number.')
      return
    }
    setBusy(true)
    setError(null)
    const result = await api.proposeByteOrder({
      sourceId,
      table,
      offset: offsetNumber,
      expected: expectedNumber,
      ...(unitId.trim() ? { unitId: Number(unitId) } : {}),
    })
    setBusy(false)
    if (result.ok) setAnswer(result.value)
    else {
      setAnswer(null)
      setError(result.error.message)
    }
  }

  return (
    <div className="byte-order" data-testid="byte-order-helper">
      <h3>Byte-order helper</h3>
      <form onSubmit={(event) => void submit(event)} className="inline-form">
        <label>
          Table
          <select
            value={table}
            onChange={(event) => setTable(event.target.value as 'holding' | 'input')}
          >
            <option value="holding">holding</option>
            <option value="input">input</option>
          </select>
        </label>
        <label>
          Offset
          <input
            name="offset"
            inputMode="numeric"
            value={offset}
            onChange={(event) => setOffset(event.target.value)}
            size={6}
          />
        </label>
        <label>
          Unit id
          <input
            name="unitId"
            inputMode="numeric"
            placeholder="source's"
            value={unitId}
            onChange={(event) => setUnitId(event.target.value)}
            size={6}
          />
        </label>
        <label>
          Instrument shows
          <input
            name="expected"
            inputMode="decimal"
            value={expected}
            onChange={(event) => setExpected(event.target.value)}
            size={9}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Reading…' : 'Propose'}
        </button>
      </form>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <div data-testid="byte-order-answer">
          <p>
            Registers read:{' '}
            <code>{answer.words.map((word) => word.toString(16).padStart(4, '0')).join(' ')}</code>
          </p>
          {answer.proposals.length === 0 ? (
            <p>
              No type, byte order or common scaling gives that value. Check the address and unit id.
            </p>
          ) : (
            <table className="tag-table">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Order</th>
                  <th scope="col">Scale factor</th>
                  <th scope="col">Decoded</th>
                </tr>
              </thead>
              <tbody>
                {answer.proposals.slice(0, 8).map((proposal) => (
                  <tr
                    key={`${proposal.type}-${proposal.order}-${proposal.factor}`}
                    data-testid="byte-order-proposal"
                  >
                    <td>{proposal.type}</td>
                    <td>{proposal.order}</td>
                    <td>{proposal.factor}</td>
                    <td>{Number(proposal.value.toPrecision(7))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  )
}
