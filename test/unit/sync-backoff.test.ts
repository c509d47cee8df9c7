import { describe, expect, it } from 'vitest'
import { backoffDelay, retryAfterDelay } from '../../src/backend/sync/backoff'

const settings = { baseMs: 1_000, maxMs: 300_000 }

describe('backoffDelay (full jitter)', () => {
  it('draws from 0 up to a ceiling that doubles per failure', () => {
    const ceilings = [1, 2, 3, 4, 5].map((failures) =>
      backoffDelay(failures, settings, () => 0.999999),
    )
    expect(ceilings).toEqual([999, 1_999, 3_999, 7_999, 15_999])
    expect(backoffDelay(3, settings, () => 0)).toBe(0)
    expect(backoffDelay(3, settings, () => 0.5)).toBe(2_000)
  })

  it('stops growing at maxMs, however many failures', () => {
    expect(backoffDelay(9, settings, () => 0.5)).toBe(128_000)
    expect(backoffDelay(10, settings, () => 0.5)).toBe(150_000)
    expect(backoffDelay(10_000, settings, () => 0.5)).toBe(150_000)
  })

  it('treats a count below one as the first failure', () => {
    expect(backoffDelay(0, settings, () => 0.5)).toBe(500)
  })
})

describe('retryAfterDelay (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-11-22T08:00:00Z')

  it('reads delay-seconds', () => {
    expect(retryAfterDelay('120', now)).toBe(120_000)
    expect(retryAfterDelay(' 0 ', now)).toBe(0)
  })

  it('reads an HTTP-date, and a past one as now', () => {
    expect(retryAfterDelay('Sun, 22 Nov 2026 08:00:30 GMT', now)).toBe(30_000)
    expect(retryAfterDelay('Sunday, 22-Nov-26 08:01:00 GMT', now)).toBe(60_000)
    expect(retryAfterDelay('Sun, 22 Nov 2026 07:00:00 GMT', now)).toBe(0)
  })

  it('ignores what it cannot read', () => {
    expect(retryAfterDelay(null, now)).toBeNull()
    expect(retryAfterDelay('-5', now)).toBeNull()
    expect(retryAfterDelay('1.5', now)).toBeNull()
    expect(retryAfterDelay('soon', now)).toBeNull()
    expect(retryAfterDelay('2026-11-22', now)).toBeNull()
  })
})
