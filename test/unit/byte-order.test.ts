import { describe, expect, it } from 'vitest'
import { proposeEncodings } from '../../src/shared/field/byte-order'
import { encodeRegisters } from '../../src/shared/field/codec'

describe('byte-order helper', () => {
  it('finds a word-swapped float', () => {
    const words = [
      ...encodeRegisters({ table: 'holding', offset: 0, type: 'float32', order: 'CDAB' }, 12.5),
      0,
      0,
    ]
    const [best] = proposeEncodings(words, 12.5)
    expect(best).toMatchObject({ type: 'float32', order: 'CDAB', factor: 1, value: 12.5 })
  })

  it('finds an integer in tenths', () => {
    const words = [1913, 0, 0, 0]
    const proposals = proposeEncodings(words, 191.3)
    expect(proposals[0]).toMatchObject({ type: 'int16', order: 'AB', factor: 0.1 })
    expect(proposals.every((proposal) => Math.abs(proposal.value - 191.3) < 1)).toBe(true)
  })

  it('finds a little-endian double', () => {
    const words = encodeRegisters(
      { table: 'holding', offset: 0, type: 'float64', order: 'HGFEDCBA' },
      -3.25,
    )
    expect(proposeEncodings(words, -3.25)[0]).toMatchObject({ type: 'float64', order: 'HGFEDCBA' })
  })

  it('proposes nothing when no encoding matches', () => {
    expect(proposeEncodings([0x1234, 0x5678], 999.9)).toEqual([])
  })
})
