import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { uuidv7Pattern } from '../../src/shared/journal/event'
import { createUuidv7 } from '../../src/backend/store/uuidv7'

/** The Unix milliseconds in a UUIDv7's first 48 bits (RFC 9562 §5.7). */
const millisecondsOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16)

/** The 30-bit counter: rand_a and the top 18 bits of rand_b, variant bits skipped. */
function counterOf(id: string): number {
  const hex = id.replace(/-/g, '')
  const randA = parseInt(hex.slice(13, 16), 16)
  const randB = BigInt(`0x${hex.slice(16)}`) & ((1n << 62n) - 1n)
  return randA * 2 ** 18 + Number(randB >> 44n)
}

describe('UUIDv7 ids', () => {
  it('carry version 7, variant 10 and the clock’s milliseconds', () => {
    const at = Date.UTC(2026, 10, 22, 8, 30, 0, 123)
    const id = createUuidv7()(at)
    expect(id).toMatch(uuidv7Pattern)
    expect(millisecondsOf(id)).toBe(at)
    // Beyond 32 bits, where the 48-bit field needs both halves.
    expect(millisecondsOf(createUuidv7()(2 ** 47 + 5))).toBe(2 ** 47 + 5)
  })

  it('sort in the order they were made within one millisecond, and are unique', () => {
    const next = createUuidv7()
    const ids = Array.from({ length: 20_000 }, () => next(1_700_000_000_000))
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id) => uuidv7Pattern.test(id))).toBe(true)
    const counters = ids.map(counterOf)
    const steps = counters.slice(1).map((counter, index) => counter - (counters[index] as number))
    expect(new Set(steps)).toEqual(new Set([1]))
  })

  it('stay ordered when the clock steps back, keeping the last millisecond', () => {
    const next = createUuidv7()
    const before = next(1_700_000_000_500)
    const after = next(1_700_000_000_100)
    expect(after > before).toBe(true)
    expect(millisecondsOf(after)).toBe(1_700_000_000_500)
    expect(millisecondsOf(next(1_700_000_001_100))).toBe(1_700_000_001_100)
  })

  it('start each millisecond from a random counter in the lower half', () => {
    const next = createUuidv7()
    const counters = Array.from({ length: 200 }, (_, ms) => counterOf(next(1_700_000_000_000 + ms)))
    expect(counters.every((counter) => counter < 2 ** 29)).toBe(true)
    expect(new Set(counters).size).toBeGreaterThan(190)
  })

  it('take their randomness from the injected source', () => {
    const fixed = randomBytes(10)
    const a = createUuidv7(() => fixed)(5)
    const b = createUuidv7(() => fixed)(5)
    expect(a).toBe(b)
  })
})
