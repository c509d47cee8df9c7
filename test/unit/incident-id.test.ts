import { describe, expect, it } from 'vitest'
import {
  consoleCode,
  formatIncidentId,
  incidentDay,
  nextIncidentId,
} from '../../src/shared/incidents/id'
import { incidentIdPattern, incidentIdSchema } from '../../src/shared/incidents/model'
import { t0 } from '../support/incident-fixtures'

describe('incidentDay', () => {
  it('is the UTC day as YYYYMMDD', () => {
    expect(incidentDay(t0)).toBe('20261122')
  })

  it('changes exactly at midnight UTC', () => {
    expect(incidentDay(Date.parse('2026-11-22T23:59:59.999Z'))).toBe('20261122')
    expect(incidentDay(Date.parse('2026-11-23T00:00:00.000Z'))).toBe('20261123')
  })

  it('is UTC, not local time: 01:30 at +02:00 is still the previous UTC day', () => {
    expect(incidentDay(Date.parse('2026-11-23T01:30:00.000+02:00'))).toBe('20261122')
  })

  it('crosses month and year ends', () => {
    expect(incidentDay(Date.parse('2026-12-31T23:59:59.999Z'))).toBe('20261231')
    expect(incidentDay(Date.parse('2027-01-01T00:00:00.000Z'))).toBe('20270101')
  })
})

describe('consoleCode', () => {
  it('takes the first six hex digits, upper-cased', () => {
    expect(consoleCode('7f3a9c21deadbeef')).toBe('7F3A9C')
    expect(consoleCode('ABCDEF')).toBe('ABCDEF')
    expect(consoleCode('0123456789abcdef'.repeat(4))).toBe('012345')
  })

  it('rejects a digest that does not start with six hex digits', () => {
    expect(() => consoleCode('7f3a9g21')).toThrow('consoleCode needs a hex digest')
    expect(() => consoleCode('7f3a9')).toThrow('consoleCode needs a hex digest')
    expect(() => consoleCode('')).toThrow('consoleCode needs a hex digest')
    expect(() => consoleCode('console-a')).toThrow('consoleCode needs a hex digest')
    expect(() => consoleCode(' 7f3a9c')).toThrow('consoleCode needs a hex digest')
  })
})

describe('formatIncidentId', () => {
  it('pads the number to three digits and matches the id pattern', () => {
    expect(formatIncidentId('20261122', 1, '7F3A9C')).toBe('INC-20261122-001-7F3A9C')
    expect(formatIncidentId('20261122', 42, '7F3A9C')).toBe('INC-20261122-042-7F3A9C')
    expect(formatIncidentId('20261122', 999, '7F3A9C')).toBe('INC-20261122-999-7F3A9C')
    expect(formatIncidentId('20261122', 7, consoleCode('00ff00aa'))).toMatch(incidentIdPattern)
    expect(incidentIdSchema.safeParse(formatIncidentId('20261122', 7, '00FF00')).success).toBe(true)
  })

  it.each([0, -1, 1000, 1.5, Number.NaN])('rejects the number %s', (number) => {
    expect(() => formatIncidentId('20261122', number, '7F3A9C')).toThrow('outside 1–999')
  })
})

describe('nextIncidentId', () => {
  const day = '20261122'
  const code = '7F3A9C'

  it('starts at 001 on a day with no ids', () => {
    expect(nextIncidentId([], day, code)).toBe('INC-20261122-001-7F3A9C')
  })

  it('follows the highest of this console for this day, not the count or the order', () => {
    expect(
      nextIncidentId(
        ['INC-20261122-003-7F3A9C', 'INC-20261122-001-7F3A9C', 'INC-20261122-007-7F3A9C'],
        day,
        code,
      ),
    ).toBe('INC-20261122-008-7F3A9C')
  })

  it("skips other consoles' ids and other days", () => {
    const existing = [
      'INC-20261122-002-7F3A9C',
      'INC-20261122-015-00FF00', // another console, same day
      'INC-20261121-040-7F3A9C', // this console, the day before
      'INC-20261123-050-7F3A9C', // this console, the day after
    ]
    expect(nextIncidentId(existing, day, code)).toBe('INC-20261122-003-7F3A9C')
    expect(nextIncidentId(existing, day, '00FF00')).toBe('INC-20261122-016-00FF00')
    expect(nextIncidentId(existing, '20261124', code)).toBe('INC-20261124-001-7F3A9C')
  })

  it('does not take a code that only ends like this one', () => {
    expect(nextIncidentId(['INC-20261122-009-17F3A9C'], day, code)).toBe('INC-20261122-001-7F3A9C')
  })

  it('reads any iterable, such as a Set of ids', () => {
    expect(nextIncidentId(new Set(['INC-20261122-004-7F3A9C']), day, code)).toBe(
      'INC-20261122-005-7F3A9C',
    )
  })

  it('throws after 999 incidents of a day on one console', () => {
    expect(nextIncidentId(['INC-20261122-998-7F3A9C'], day, code)).toBe('INC-20261122-999-7F3A9C')
    expect(() => nextIncidentId(['INC-20261122-999-7F3A9C'], day, code)).toThrow(
      'incident number 1000 is outside 1–999',
    )
    // Another console at its limit does not stop this one.
    expect(nextIncidentId(['INC-20261122-999-00FF00'], day, code)).toBe('INC-20261122-001-7F3A9C')
  })

  it('skips an id of this day and console whose number is not three digits', () => {
    expect(nextIncidentId(['INC-20261122-ab1-7F3A9C', 'INC-20261122-002-7F3A9C'], day, code)).toBe(
      'INC-20261122-003-7F3A9C',
    )
  })
})
