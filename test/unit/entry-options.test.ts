import { describe, expect, it } from 'vitest'
import { parseEntryOptions } from '../../src/backend/entry/options'

describe('console start options', () => {
  it('runs the simulator in real time unless asked otherwise', () => {
    expect(parseEntryOptions([], {}).simSpeed).toBe(1)
    expect(parseEntryOptions(['--sim-speed', '10'], {}).simSpeed).toBe(10)
    expect(parseEntryOptions(['--sim-speed', '0.5'], {}).simSpeed).toBe(0.5)
  })

  it.each(['0', '-2', '101', 'fast', ''])('refuses --sim-speed %j with what it takes', (speed) => {
    expect(() => parseEntryOptions([`--sim-speed=${speed}`], {})).toThrow(
      `--sim-speed must be a number above 0 and up to 100, not "${speed}"`,
    )
  })
})
