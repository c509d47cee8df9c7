import { describe, expect, it } from 'vitest'
import { CanonicalJsonError, canonicalJson } from '../../src/shared/journal/canonical-json'

/** An IEEE 754 double from its 64 bits in hex, as RFC 8785 Appendix B lists them. */
function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${bits}`))
  return view.getFloat64(0)
}

describe('canonical JSON (RFC 8785)', () => {
  it('serialises numbers as Appendix B lists them', () => {
    const table: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'], // -0
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ]
    for (const [bits, text] of table) expect(canonicalJson(double(bits)), bits).toBe(text)
  })

  it('rejects NaN and the infinities (Appendix B), naming where they are', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000'])
      expect(() => canonicalJson({ reading: [1, double(bits)] })).toThrow(CanonicalJsonError)
    expect(() => canonicalJson({ reading: [1, Number.NaN] })).toThrow('$.reading[1]')
  })

  it('produces the §3.2.4 example output', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    )
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  it('sorts member names by UTF-16 code units, not code points (§3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }
    // Read the order from the text: JSON.parse would put "1", an array index, first again.
    const values = [...canonicalJson(input).matchAll(/"[^"]*":"([^"]*)"/g)].map((match) => match[1])
    expect(values).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ])
  })

  it('sorts nested objects, keeps array order, and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 2 }, 1], a: { d: null, c: 'x y' } })).toBe(
      '{"a":{"c":"x y","d":null},"b":[3,{"a":2,"z":1},1]}',
    )
  })

  it('escapes only what §3.2.2.2 says: quote, backslash and control characters', () => {
    expect(canonicalJson('\u0000\u0008\u0009\u000a\u000c\u000d\u001f')).toBe(
      '"\\u0000\\b\\t\\n\\f\\r\\u001f"',
    )
    expect(canonicalJson('"\\/\u007f\u2028\u00e9😀')).toBe('"\\"\\\\/\u007f\u2028\u00e9😀"')
  })

  it('refuses what JSON cannot hold exactly', () => {
    expect(() => canonicalJson('\ud800')).toThrow('lone UTF-16 surrogate')
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow('lone UTF-16 surrogate')
    expect(() => canonicalJson({ note: undefined })).toThrow('$.note: undefined')
    // eslint-disable-next-line no-sparse-arrays
    expect(() => canonicalJson([1, , 3])).toThrow('$[1]')
    expect(() => canonicalJson({ at: new Date(0) })).toThrow('only plain objects')
    expect(() => canonicalJson(10n)).toThrow('bigint')
    const loop: Record<string, unknown> = {}
    loop.self = loop
    expect(() => canonicalJson(loop)).toThrow('contain itself')
  })

  it('allows the same object twice when it is not inside itself', () => {
    const shared = { limit: 15.2 }
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"limit":15.2},"b":{"limit":15.2}}')
    expect(canonicalJson(Object.assign(Object.create(null), { x: 1 }))).toBe('{"x":1}')
  })
})
