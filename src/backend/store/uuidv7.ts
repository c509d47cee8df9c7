import { randomBytes as cryptoRandomBytes } from 'node:crypto'

export type RandomBytes = (size: number) => Uint8Array

/** Bits of the monotonic counter: rand_a (12) and the top 18 bits of rand_b (RFC 9562 §6.2). */
const counterBits = 30
const counterLimit = 2 ** counterBits
/** A fresh counter starts in the lower half, so at least 2^29 ids fit in one millisecond. */
const counterSeedLimit = 2 ** (counterBits - 1)

/**
 * A UUIDv7 generator (RFC 9562 §5.7): 48 bits of the Unix milliseconds given, then a 30-bit
 * counter (§6.2 method 1, "fixed bit-length dedicated counter") seeded at random each new
 * millisecond, then 44 random bits. Ids from one generator sort in the order they were made, even
 * when the time stands still or steps back (then the last millisecond is kept); if a millisecond
 * ever runs out of counter, the timestamp moves on by one, as §6.2 allows.
 */
export function createUuidv7(
  randomBytes: RandomBytes = cryptoRandomBytes,
): (unixMs: number) => string {
  let lastMs = -1
  let counter = 0
  return (unixMs) => {
    // Bytes 0–3 seed the counter, byte 4's low half and bytes 5–9 are the id's random tail.
    const random = randomBytes(10)
    if (random.length < 10) throw new Error('randomBytes returned fewer bytes than asked for')
    const seed = new DataView(random.buffer, random.byteOffset, random.byteLength).getUint32(0)
    const now = Math.floor(unixMs)
    if (now > lastMs) {
      lastMs = now
      counter = seed % counterSeedLimit
    } else if (++counter >= counterLimit) {
      lastMs += 1
      counter = seed % counterSeedLimit
    }
    const bytes = new Uint8Array(16)
    // unix_ts_ms, big-endian over bytes 0–5 (48 bits: beyond 32, so split by division).
    const high = Math.floor(lastMs / 2 ** 32)
    const low = lastMs >>> 0
    bytes[0] = (high >>> 8) & 0xff
    bytes[1] = high & 0xff
    bytes[2] = (low >>> 24) & 0xff
    bytes[3] = (low >>> 16) & 0xff
    bytes[4] = (low >>> 8) & 0xff
    bytes[5] = low & 0xff
    // ver (0111) and counter bits 29–18 as rand_a.
    bytes[6] = 0x70 | ((counter >>> 26) & 0x0f)
    bytes[7] = (counter >>> 18) & 0xff
    // var (10), then counter bits 17–0, then 44 random bits.
    bytes[8] = 0x80 | ((counter >>> 12) & 0x3f)
    bytes[9] = (counter >>> 4) & 0xff
    bytes[10] = ((counter & 0x0f) << 4) | ((random[4] as number) & 0x0f)
    bytes.set(random.subarray(5, 10), 11)
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
}
