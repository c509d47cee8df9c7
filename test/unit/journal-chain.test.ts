import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chainHash, createChainWalker, sealEvent } from '../../src/shared/journal/chain'
import { genesisHash, type JournalEvent } from '../../src/shared/journal/event'

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** A sealed chain of `count` events, as a journal would write them. */
function chain(count: number): JournalEvent[] {
  const events: JournalEvent[] = []
  for (let seq = 1; seq <= count; seq++) {
    events.push(
      sealEvent(
        {
          id: `0190f5a2-7b3c-7d4e-8f01-${seq.toString(16).padStart(12, '0')}`,
          seq,
          ts: new Date(Date.UTC(2026, 10, 22, 8, 30, seq)).toISOString(),
          type: seq % 2 ? 'alarm.raised' : 'alarm.acknowledged',
          incidentId: seq % 3 ? 'inc-7' : null,
          actor: 'system',
          data: { tag: 'plant-001.boiler-1.pressure', value: 14 + seq / 10 },
          prevHash: events.at(-1)?.hash ?? genesisHash,
        },
        sha256Hex,
      ),
    )
  }
  return events
}

/** Walks `events` and returns the first problem. */
function firstProblem(events: unknown[]): { seq: number; message: string } | null {
  const walker = createChainWalker(sha256Hex)
  for (const event of events) {
    const problem = walker.next(event)
    if (problem) return problem
  }
  return null
}

describe('journal hash chain (DESIGN.md §3.4)', () => {
  it('hashes prevHash + canonical JSON of the event without hash', () => {
    // Computed independently: Python's json.dumps(sort_keys=True, separators=(',', ':')) and
    // hashlib.sha256 give the same bytes for this ASCII-only event.
    const first = {
      id: '0190f5a2-7b3c-7d4e-8f01-23456789abcd',
      seq: 1,
      ts: '2026-11-22T08:30:00.123Z',
      type: 'alarm.acknowledged',
      incidentId: null,
      actor: 'system',
      data: { tag: 'plant-001.boiler-1.pressure', value: 15.5, limits: { hh: 15.2 } },
      prevHash: genesisHash,
    }
    expect(chainHash(first, sha256Hex)).toBe(
      '4d556eaa4d1b42e36033ced7d7a924672a8638122bfc2350a07a6ef2b72ce463',
    )
    // A stray property is not part of the event and cannot change its hash.
    expect(sealEvent({ ...first, drill: true } as typeof first, sha256Hex)).not.toHaveProperty(
      'drill',
    )
  })

  it('accepts an intact chain and reports its head', () => {
    const events = chain(12)
    const walker = createChainWalker(sha256Hex)
    expect(events.map((event) => walker.next(event))).toEqual(Array(12).fill(null))
    expect(walker.linked()).toBe(12)
    expect(walker.head()).toEqual({ seq: 12, hash: events[11]?.hash })
  })

  it('names a changed field at its own seq', () => {
    const events = chain(6)
    const edited = { ...events[3], data: { tag: 'plant-001.boiler-1.pressure', value: 9 } }
    expect(firstProblem([...events.slice(0, 3), edited, ...events.slice(4)])).toEqual({
      seq: 4,
      message: `hash does not match its contents (event ${events[3]?.id}, alarm.acknowledged)`,
    })
  })

  it('names a missing event, a repeated one and a wrong first link', () => {
    const events = chain(6)
    expect(firstProblem([...events.slice(0, 2), ...events.slice(3)])).toEqual({
      seq: 3,
      message: 'missing (the journal goes from seq 2 to seq 4)',
    })
    expect(firstProblem(events.slice(1))?.message).toBe('missing (the journal starts at seq 2)')
    expect(firstProblem([...events.slice(0, 3), events[1]])?.seq).toBe(4)
    const swapped = [events[0], events[2], events[1], ...events.slice(3)]
    expect(firstProblem(swapped)?.seq).toBe(2)
    const relinked = { ...events[0], prevHash: 'f'.repeat(64) }
    expect(firstProblem([relinked])?.message).toMatch(/^prevHash does not match the genesis hash/)
  })

  it('names a prevHash that does not link and an id used twice', () => {
    const events = chain(5)
    const forged = sealEvent(
      { ...(events[2] as JournalEvent), prevHash: 'a'.repeat(64) },
      sha256Hex,
    )
    expect(firstProblem([...events.slice(0, 2), forged])?.message).toMatch(
      /^prevHash does not match seq 2's hash/,
    )
    const reused = sealEvent({ ...(events[2] as JournalEvent), id: events[0]?.id ?? '' }, sha256Hex)
    expect(firstProblem([...events.slice(0, 2), reused])).toEqual({
      seq: 3,
      message: `id ${events[0]?.id} was already used by an earlier event`,
    })
  })

  it('reports malformed events instead of throwing', () => {
    const events = chain(3)
    expect(firstProblem([events[0], { ...events[1], id: 'not-a-uuid' }])?.message).toMatch(
      /^malformed event \(id: a lower-case UUIDv7\)/,
    )
    expect(firstProblem([events[0], 'text'])).toMatchObject({ seq: 2 })
    expect(firstProblem([{ ...events[0], extra: 1 }])?.message).toMatch(/^malformed event/)
    expect(firstProblem([{ ...events[0], data: { note: '\ud800' } }])?.message).toMatch(
      /^data is not canonical JSON/,
    )
  })
})
