import { describe, expect, it } from 'vitest'
import {
  addressProblem,
  applyScale,
  decodeBits,
  decodeRegisters,
  describeModbusException,
  encodeBits,
  encodeRegisters,
  registerCount,
  removeScale,
} from '../../src/shared/field/codec'
import type { ModbusAddress } from '../../src/shared/site/schema'

const holding = (
  type: ModbusAddress['type'],
  order = 'ABCD',
  extra: Partial<ModbusAddress> = {},
): ModbusAddress => ({
  table: 'holding',
  offset: 0,
  type,
  order,
  ...extra,
})

describe('float32 12.5 = 0x41480000 in each byte order', () => {
  it.each([
    ['ABCD', [0x4148, 0x0000]],
    ['CDAB', [0x0000, 0x4148]],
    ['BADC', [0x4841, 0x0000]],
    ['DCBA', [0x0000, 0x4841]],
  ])('%s', (order, words) => {
    const address = holding('float32', order)
    expect(decodeRegisters(address, words)).toBe(12.5)
    expect(encodeRegisters(address, 12.5)).toEqual(words)
  })
})

describe('32-bit integers', () => {
  // 0x12345678 = 305419896
  it.each([
    ['ABCD', [0x1234, 0x5678]],
    ['CDAB', [0x5678, 0x1234]],
    ['BADC', [0x3412, 0x7856]],
    ['DCBA', [0x7856, 0x3412]],
  ])('uint32 0x12345678 in %s', (order, words) => {
    expect(decodeRegisters(holding('uint32', order), words)).toBe(0x12345678)
    expect(encodeRegisters(holding('uint32', order), 0x12345678)).toEqual(words)
  })

  it('int32 is signed, uint32 is not', () => {
    expect(decodeRegisters(holding('int32'), [0xffff, 0xfffe])).toBe(-2)
    expect(decodeRegisters(holding('uint32'), [0xffff, 0xfffe])).toBe(0xfffffffe)
    expect(decodeRegisters(holding('int32', 'CDAB'), [0xfffe, 0xffff])).toBe(-2)
  })
})

describe('16-bit integers', () => {
  it('int16 and uint16 read the same word differently', () => {
    expect(decodeRegisters(holding('int16'), [0xff38])).toBe(-200)
    expect(decodeRegisters(holding('uint16'), [0xff38])).toBe(0xff38)
    expect(encodeRegisters(holding('int16'), -200)).toEqual([0xff38])
  })

  it('AB/BA and four-letter forms by their first two letters', () => {
    expect(decodeRegisters(holding('uint16', 'AB'), [0x1234])).toBe(0x1234)
    expect(decodeRegisters(holding('uint16', 'BA'), [0x1234])).toBe(0x3412)
    expect(decodeRegisters(holding('uint16', 'ABCD'), [0x1234])).toBe(0x1234)
    expect(decodeRegisters(holding('uint16', 'CDAB'), [0x1234])).toBe(0x1234)
    expect(decodeRegisters(holding('uint16', 'BADC'), [0x1234])).toBe(0x3412)
    expect(decodeRegisters(holding('uint16', 'DCBA'), [0x1234])).toBe(0x3412)
    expect(encodeRegisters(holding('int16', 'BA'), 1)).toEqual([0x0100])
  })

  it('encoding refuses values that do not fit instead of wrapping, and rounds scaling noise', () => {
    expect(() => encodeRegisters(holding('int16'), 40000)).toThrow(RangeError)
    expect(() => encodeRegisters(holding('uint16'), -1)).toThrow(RangeError)
    expect(() => encodeRegisters(holding('uint32'), 2 ** 32)).toThrow(RangeError)
    expect(() => encodeRegisters(holding('int16'), Number.NaN)).toThrow(RangeError)
    expect(encodeRegisters(holding('int16'), 1913.4999999)).toEqual([1913])
  })
})

describe('64-bit values', () => {
  // 0x0011223344556677 (below 2^53, so exact as a number): bytes A=00 B=11 … H=77
  const value = Number(0x0011223344556677n)
  const bigEndian = [0x0011, 0x2233, 0x4455, 0x6677]
  const wordSwapped = [0x6677, 0x4455, 0x2233, 0x0011]
  const byteSwapped = [0x1100, 0x3322, 0x5544, 0x7766]
  const littleEndian = [0x7766, 0x5544, 0x3322, 0x1100]
  it.each([
    ['ABCDEFGH', bigEndian],
    ['GHEFCDAB', wordSwapped],
    ['BADCFEHG', byteSwapped],
    ['HGFEDCBA', littleEndian],
    // The four-letter names widen to the same word swaps and byte swaps.
    ['ABCD', bigEndian],
    ['CDAB', wordSwapped],
    ['BADC', byteSwapped],
    ['DCBA', littleEndian],
    // Any permutation: letter X at position i is byte X of the big-endian value.
    ['EFGHABCD', [0x4455, 0x6677, 0x0011, 0x2233]],
  ])('uint64 0x0011223344556677 in %s', (order, words) => {
    const address = holding('uint64', order)
    expect(decodeRegisters(address, words)).toBe(value)
    expect(encodeRegisters(address, value)).toEqual(words)
    expect(decodeRegisters(holding('int64', order), words)).toBe(value)
  })

  it('int64 is signed', () => {
    expect(decodeRegisters(holding('int64'), [0xffff, 0xffff, 0xffff, 0xfffb])).toBe(-5)
    expect(encodeRegisters(holding('int64', 'HGFEDCBA'), -5)).toEqual([
      0xfbff, 0xffff, 0xffff, 0xffff,
    ])
  })

  it('uint64 beyond 2^53 comes back as the nearest number (documented precision loss)', () => {
    expect(decodeRegisters(holding('uint64'), [0xffff, 0xffff, 0xffff, 0xffff])).toBe(2 ** 64)
    expect(decodeRegisters(holding('uint64'), [0x0020, 0x0000, 0x0000, 0x0001])).toBe(2 ** 53)
  })

  it('float64 π in big-endian and word-swapped forms', () => {
    const bigEndian = encodeRegisters(holding('float64'), Math.PI)
    expect(bigEndian).toEqual([0x4009, 0x21fb, 0x5444, 0x2d18])
    expect(decodeRegisters(holding('float64', 'GHEFCDAB'), [0x2d18, 0x5444, 0x21fb, 0x4009])).toBe(
      Math.PI,
    )
  })
})

describe('bools', () => {
  it('from coils and discrete inputs', () => {
    expect(
      decodeBits({ table: 'coil', offset: 3, type: 'bool', order: 'ABCD' }, [true, false]),
    ).toBe(true)
    expect(decodeBits({ table: 'discrete', offset: 3, type: 'bool', order: 'ABCD' }, [false])).toBe(
      false,
    )
    expect(encodeBits({ table: 'coil', offset: 0, type: 'bool', order: 'ABCD' }, true)).toEqual([
      true,
    ])
    expect(() => decodeBits({ table: 'coil', offset: 0, type: 'bool', order: 'ABCD' }, [])).toThrow(
      /1 bit/,
    )
  })

  it('from a bit inside a register, 0 = least significant', () => {
    expect(decodeRegisters(holding('bool', 'ABCD', { bit: 0 }), [0x0001])).toBe(true)
    expect(decodeRegisters(holding('bool', 'ABCD', { bit: 1 }), [0x0001])).toBe(false)
    expect(decodeRegisters(holding('bool', 'ABCD', { bit: 15 }), [0x8000])).toBe(true)
    expect(decodeRegisters(holding('bool', 'ABCD', { bit: 8 }), [0x0100])).toBe(true)
    // Byte-swapped registers move bit 8 into the low byte on the wire.
    expect(decodeRegisters(holding('bool', 'BA', { bit: 8 }), [0x0001])).toBe(true)
    expect(encodeRegisters(holding('bool', 'ABCD', { bit: 4 }), true)).toEqual([0x0010])
  })

  it('a register without bit is true when non-zero', () => {
    expect(decodeRegisters(holding('bool'), [0])).toBe(false)
    expect(decodeRegisters(holding('bool'), [0x0200])).toBe(true)
  })
})

describe('strings', () => {
  it('two characters per register, high byte first, trailing NULs trimmed', () => {
    const address = holding('string', 'ABCD', { length: 6 })
    expect(registerCount(address)).toBe(3)
    expect(decodeRegisters(address, [0x4231, 0x2d41, 0x0000])).toBe('B1-A')
    expect(encodeRegisters(address, 'B1-A')).toEqual([0x4231, 0x2d41, 0x0000])
  })

  it('odd lengths and byte-swapped devices', () => {
    const odd = holding('string', 'ABCD', { length: 3 })
    expect(registerCount(odd)).toBe(2)
    expect(decodeRegisters(odd, [0x4142, 0x4344])).toBe('ABC')
    const swapped = holding('string', 'BADC', { length: 4 })
    expect(decodeRegisters(swapped, [0x4241, 0x0043])).toBe('ABC')
    expect(encodeRegisters(swapped, 'ABC')).toEqual([0x4241, 0x0043])
  })

  it('refuses text that does not fit', () => {
    expect(() => encodeRegisters(holding('string', 'ABCD', { length: 2 }), 'ABC')).toThrow(
      RangeError,
    )
    expect(() => encodeRegisters(holding('string', 'ABCD', { length: 2 }), 'Ω')).toThrow(RangeError)
  })
})

describe('register counts and address problems', () => {
  it.each([
    ['bool', 1],
    ['int16', 1],
    ['uint16', 1],
    ['int32', 2],
    ['uint32', 2],
    ['float32', 2],
    ['int64', 4],
    ['uint64', 4],
    ['float64', 4],
  ] as const)('%s occupies %i register(s)', (type, count) => {
    expect(registerCount(holding(type, type.endsWith('64') ? 'ABCDEFGH' : 'ABCD'))).toBe(count)
  })

  it('a coil occupies one bit', () => {
    expect(registerCount({ table: 'coil', offset: 7, type: 'bool', order: 'ABCD' })).toBe(1)
  })

  it('names what is wrong', () => {
    expect(addressProblem({ table: 'coil', offset: 0, type: 'float32', order: 'ABCD' })).toMatch(
      /must be bool/,
    )
    expect(addressProblem(holding('string'))).toMatch(/needs a length/)
    expect(addressProblem(holding('float32', 'AB'))).toMatch(/does not fit a 32-bit value/)
    expect(addressProblem(holding('float32', 'ABCDEFGH'))).toMatch(/does not fit a 32-bit value/)
    expect(addressProblem(holding('float64', 'AABCDEFG'))).toMatch(/each of the letters/)
    expect(addressProblem(holding('int16', 'ABCD', { bit: 3 }))).toMatch(/bit picks a bool/)
    expect(
      addressProblem({ table: 'holding', offset: 65535, type: 'float32', order: 'ABCD' }),
    ).toMatch(/65535/)
    expect(addressProblem(holding('float64', 'CDAB'))).toBeNull()
    expect(() => decodeRegisters(holding('float32'), [0x4148])).toThrow(
      /expected 2 registers, got 1/,
    )
  })
})

describe('scaling', () => {
  it('raw * factor + offset, numbers only', () => {
    expect(applyScale(1913, { factor: 0.1, offset: 0 })).toBeCloseTo(191.3, 10)
    expect(applyScale(100, { factor: 2, offset: -5 })).toBe(195)
    expect(applyScale(100, undefined)).toBe(100)
    expect(applyScale(true, { factor: 2, offset: 1 })).toBe(true)
    expect(applyScale('B1', { factor: 2, offset: 1 })).toBe('B1')
  })

  it('removeScale inverts it', () => {
    expect(removeScale(195, { factor: 2, offset: -5 })).toBe(100)
    expect(() => removeScale(1, { factor: 0, offset: 0 })).toThrow(/factor of 0/)
  })
})

describe('round trips', () => {
  const cases: [ModbusAddress['type'], string, number][] = [
    ['int16', 'BA', -12345],
    ['uint16', 'AB', 54321],
    ['int32', 'CDAB', -123456789],
    ['uint32', 'DCBA', 3_000_000_000],
    ['float32', 'BADC', -0.15625],
    ['int64', 'GHEFCDAB', -9_007_199_254_740_991],
    ['uint64', 'BADCFEHG', 9_007_199_254_740_991],
    ['float64', 'HGFEDCBA', 1.2345678901234567e-200],
    ['float64', 'CDAB', -1e300],
  ]
  it.each(cases)('%s in %s keeps %d', (type, order, value) => {
    const address = holding(type, order)
    expect(decodeRegisters(address, encodeRegisters(address, value))).toBe(value)
  })
})

it('describes Modbus exceptions in words', () => {
  expect(describeModbusException(2)).toBe('illegal data address (exception 2)')
  expect(describeModbusException(11)).toBe('gateway target device failed to respond (exception 11)')
  expect(describeModbusException(99)).toBe('unknown exception (exception 99)')
})
