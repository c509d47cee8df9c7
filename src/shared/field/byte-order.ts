import type { ModbusAddress, RegisterType } from '../site/schema'
import { decodeRegisters } from './codec'

// The byte-order helper: a commissioning engineer reads the value a field instrument shows (say
// 12.5 bar on the transmitter's display), points at the register, and the console tries every type,
// byte order and common scaling to say which encoding the PLC uses.

export type EncodingProposal = {
  type: RegisterType
  order: string
  /** Shown value = raw × factor (PLCs often send tenths or hundredths as integers). */
  factor: number
  value: number
  /** |value − expected|, for ranking. */
  error: number
}

const orders: Record<16 | 32 | 64, string[]> = {
  16: ['AB', 'BA'],
  32: ['ABCD', 'CDAB', 'BADC', 'DCBA'],
  64: ['ABCDEFGH', 'GHEFCDAB', 'BADCFEHG', 'HGFEDCBA'],
}
const numericTypes: Array<{ type: RegisterType; bits: 16 | 32 | 64 }> = [
  { type: 'int16', bits: 16 },
  { type: 'uint16', bits: 16 },
  { type: 'int32', bits: 32 },
  { type: 'uint32', bits: 32 },
  { type: 'float32', bits: 32 },
  { type: 'int64', bits: 64 },
  { type: 'uint64', bits: 64 },
  { type: 'float64', bits: 64 },
]
const factors = [1, 0.1, 0.01, 0.001, 10]

/**
 * Every decoding of `words` (registers starting at the tag's address) within `tolerance` of the
 * value the instrument shows, best first. Floats with factor 1 are preferred over scaled integers at
 * equal error, because a match by scaling is likelier to be a coincidence.
 */
export function proposeEncodings(
  words: readonly number[],
  expected: number,
  tolerance = Math.max(Math.abs(expected) * 0.005, 0.001),
): EncodingProposal[] {
  const proposals: EncodingProposal[] = []
  for (const { type, bits } of numericTypes) {
    if (words.length < bits / 16) continue
    for (const order of orders[bits]) {
      const address: ModbusAddress = { table: 'holding', offset: 0, type, order }
      const raw = decodeRegisters(address, words.slice(0, bits / 16))
      if (typeof raw !== 'number' || !Number.isFinite(raw)) continue
      for (const factor of type.startsWith('float') ? [1] : factors) {
        const value = raw * factor
        const error = Math.abs(value - expected)
        if (error <= tolerance) proposals.push({ type, order, factor, value, error })
      }
    }
  }
  const rank = (proposal: EncodingProposal): number =>
    (proposal.factor === 1 ? 0 : 1) + (proposal.type.endsWith('64') ? 0.5 : 0)
  return proposals.sort((a, b) => a.error - b.error || rank(a) - rank(b))
}
