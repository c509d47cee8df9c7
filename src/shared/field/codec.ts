import type { ModbusAddress, RegisterType } from '../site/schema'

// Turns Modbus register words and bits into tag values and back (DESIGN.md §3.2). Pure: no Node, no
// Buffer, so the renderer can use it to preview an address too.
//
// Wire facts this relies on (Modbus Application Protocol v1.1b3 §4.2): every register travels
// big-endian, high byte first. How a device spreads a wider value over several registers is not in
// the protocol, which is what the `order` letters describe: letter X at position i means byte X of
// the big-endian value is transmitted at position i (A is the most significant byte).

export type ModbusValue = number | boolean | string
export type ModbusTable = ModbusAddress['table']
export type Scale = { factor: number; offset: number }

/** Coils and discrete inputs hold single bits; input and holding registers hold 16-bit words. */
export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete'
}

const numericBytes = {
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
} as const satisfies Record<Exclude<RegisterType, 'bool' | 'string'>, number>
/**
 * How much of its table a tag occupies: registers for input/holding, bits (always 1) for coil and
 * discrete. Throws for addresses that cannot be read (see addressProblem).
 */
export function registerCount(address: ModbusAddress): number {
  const problem = addressProblem(address)
  if (problem) throw new Error(problem)
  return countOf(address)
}

function countOf(address: ModbusAddress): number {
  if (isBitTable(address.table) || address.type === 'bool') return 1
  if (address.type === 'string') return Math.ceil((address.length ?? 0) / 2)
  return numericBytes[address.type] / 2
}

/** Why an address cannot be decoded, in words an engineer can act on, or null when it can. */
export function addressProblem(address: ModbusAddress): string | null {
  const { table, type } = address
  if (isBitTable(table) && type !== 'bool') {
    return `a ${table} holds a single bit, so its type must be bool (not ${type})`
  }
  if (address.bit !== undefined && (isBitTable(table) || type !== 'bool')) {
    return 'bit picks a bool inside an input or holding register; remove it or use type bool'
  }
  if (type === 'string' && address.length === undefined) {
    return 'a string needs a length (in characters, two per register)'
  }
  if (!isBitTable(table)) {
    try {
      bytePositions(address.order, type === 'string' || type === 'bool' ? 2 : numericBytes[type])
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }
  const last = address.offset + countOf(address) - 1
  if (last > 0xffff) return `the value would run past address 65535 (it ends at ${last})`
  return null
}

/** 64-bit meanings of the four-letter names, so a site can say CDAB for any word-swapped value. */
const wideForms: Record<string, string> = {
  ABCD: 'ABCDEFGH',
  CDAB: 'GHEFCDAB',
  BADC: 'BADCFEHG',
  DCBA: 'HGFEDCBA',
}

/**
 * For each transmitted byte position, which byte of the big-endian value travels there.
 *
 * 16-bit values accept AB or BA, or a four-letter form read by its first two letters (ABCD and
 * CDAB mean AB, BADC and DCBA mean BA: word swapping means nothing inside one register).
 * 32-bit values take a permutation of ABCD; 64-bit values a permutation of ABCDEFGH or one of the
 * four named four-letter forms, widened as word swaps and byte swaps of four registers.
 */
function bytePositions(order: string, size: number): number[] {
  let letters = order.toUpperCase()
  if (size === 2 && letters.length === 4) {
    letters = letters.charCodeAt(0) < letters.charCodeAt(1) ? 'AB' : 'BA'
  }
  if (size === 8 && letters.length === 4) {
    const wide = wideForms[letters]
    if (!wide)
      throw new Error(`byte order ${order} has no 64-bit meaning; use an eight-letter form`)
    letters = wide
  }
  if (letters.length !== size) {
    const forms =
      size === 2
        ? 'AB, BA or a four-letter form'
        : size === 4
          ? 'ABCD, CDAB, BADC or DCBA'
          : 'ABCDEFGH, GHEFCDAB, BADCFEHG or HGFEDCBA'
    throw new Error(`byte order ${order} does not fit a ${size * 8}-bit value; use ${forms}`)
  }
  const positions = [...letters].map((letter) => letter.charCodeAt(0) - 65)
  const seen = new Set(positions)
  if (seen.size !== size || positions.some((position) => position < 0 || position >= size)) {
    throw new Error(
      `byte order ${order} must use each of the letters A–${String.fromCharCode(64 + size)} once`,
    )
  }
  return positions
}

function wordsToBytes(words: readonly number[], count: number): Uint8Array {
  if (words.length < count) {
    throw new Error(`expected ${count} register${count === 1 ? '' : 's'}, got ${words.length}`)
  }
  const bytes = new Uint8Array(count * 2)
  for (let index = 0; index < count; index++) {
    const word = words[index] as number
    if (!Number.isInteger(word) || word < 0 || word > 0xffff) {
      throw new Error(`register word ${word} is not a 16-bit value`)
    }
    bytes[index * 2] = word >> 8
    bytes[index * 2 + 1] = word & 0xff
  }
  return bytes
}

function bytesToWords(bytes: Uint8Array): number[] {
  const words: number[] = []
  for (let index = 0; index < bytes.length; index += 2) {
    words.push(((bytes[index] as number) << 8) | (bytes[index + 1] as number))
  }
  return words
}

/** Puts transmitted bytes back into big-endian order. */
function toBigEndian(transmitted: Uint8Array, order: string): DataView {
  const positions = bytePositions(order, transmitted.length)
  const bigEndian = new Uint8Array(transmitted.length)
  positions.forEach((from, index) => {
    bigEndian[from] = transmitted[index] as number
  })
  return new DataView(bigEndian.buffer)
}

function fromBigEndian(view: DataView, order: string): Uint8Array {
  const bigEndian = new Uint8Array(view.buffer)
  const positions = bytePositions(order, bigEndian.length)
  return Uint8Array.from(positions, (from) => bigEndian[from] as number)
}

/**
 * Decodes a tag's value from its registers; `words` starts at the tag's own offset (extra words are
 * ignored). 64-bit integers come back as numbers, so values beyond ±2^53 lose their lowest digits
 * (a process value that large is a configuration error long before it is a precision problem).
 * A bool without `bit` is true when the register is non-zero.
 */
export function decodeRegisters(address: ModbusAddress, words: readonly number[]): ModbusValue {
  const problem = addressProblem(address)
  if (problem) throw new Error(problem)
  const { type, order } = address
  if (type === 'bool') {
    const word = toBigEndian(wordsToBytes(words, 1), order).getUint16(0)
    return address.bit === undefined ? word !== 0 : ((word >> address.bit) & 1) === 1
  }
  if (type === 'string') return decodeString(address, words)
  const view = toBigEndian(wordsToBytes(words, numericBytes[type] / 2), order)
  switch (type) {
    case 'int16':
      return view.getInt16(0)
    case 'uint16':
      return view.getUint16(0)
    case 'int32':
      return view.getInt32(0)
    case 'uint32':
      return view.getUint32(0)
    case 'float32':
      return view.getFloat32(0)
    case 'int64':
      return Number(view.getBigInt64(0))
    case 'uint64':
      return Number(view.getBigUint64(0))
    case 'float64':
      return view.getFloat64(0)
  }
}

/** Is the register's byte pair swapped (BA) rather than high byte first (AB)? */
function swapsBytes(order: string): boolean {
  return bytePositions(order, 2)[0] === 1
}

/** Two 8-bit characters per register, first character in the high byte unless the order swaps. */
function decodeString(address: ModbusAddress, words: readonly number[]): string {
  const length = address.length ?? 0
  const bytes = wordsToBytes(words, Math.ceil(length / 2))
  if (swapsBytes(address.order)) swapPairs(bytes)
  let text = ''
  for (let index = 0; index < length; index++) text += String.fromCharCode(bytes[index] as number)
  return text.replace(/\0+$/, '')
}

function swapPairs(bytes: Uint8Array): void {
  for (let index = 0; index + 1 < bytes.length; index += 2) {
    const high = bytes[index] as number
    bytes[index] = bytes[index + 1] as number
    bytes[index + 1] = high
  }
}

/** Decodes a coil or discrete input; `bits` starts at the tag's own offset. */
export function decodeBits(address: ModbusAddress, bits: readonly boolean[]): boolean {
  if (!isBitTable(address.table)) {
    throw new Error(`decodeBits reads coils and discrete inputs, not ${address.table} registers`)
  }
  const problem = addressProblem(address)
  if (problem) throw new Error(problem)
  const bit = bits[0]
  if (bit === undefined) throw new Error('expected 1 bit, got none')
  return bit
}

/** Engineering value from a raw one: `raw * factor + offset`; booleans and strings pass through. */
export function applyScale(value: ModbusValue, scale: Scale | undefined): ModbusValue {
  if (typeof value !== 'number' || !scale) return value
  return value * scale.factor + scale.offset
}

/** Raw value from an engineering one, the inverse of applyScale (for the simulator and writes). */
export function removeScale(value: ModbusValue, scale: Scale | undefined): ModbusValue {
  if (typeof value !== 'number' || !scale) return value
  if (scale.factor === 0) throw new Error('a scale factor of 0 cannot be inverted')
  return (value - scale.offset) / scale.factor
}

const integerRanges: Record<'int16' | 'uint16' | 'int32' | 'uint32', [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
}

/**
 * Encodes a raw value into the registers of its address, the inverse of decodeRegisters. Numbers
 * for integer types are rounded to the nearest integer (scaling leaves 191.49999…) and refused when
 * out of range, never wrapped: a wrapped setpoint is a wrong setpoint. A bool with `bit` gives a
 * word with only that bit set; writing it into a shared register needs a masked write (Modbus
 * Application Protocol v1.1b3 §6.16), not this word alone.
 */
export function encodeRegisters(address: ModbusAddress, value: ModbusValue): number[] {
  const problem = addressProblem(address)
  if (problem) throw new Error(problem)
  if (isBitTable(address.table)) {
    throw new Error(`a ${address.table} holds a bit, not registers: use encodeBits`)
  }
  const { type, order } = address
  if (type === 'bool') {
    if (typeof value !== 'boolean')
      throw new TypeError(`a bool needs true or false, not ${typeof value}`)
    const view = new DataView(new ArrayBuffer(2))
    view.setUint16(0, value ? 1 << (address.bit ?? 0) : 0)
    return bytesToWords(fromBigEndian(view, order))
  }
  if (type === 'string') return encodeString(address, value)
  if (typeof value !== 'number')
    throw new TypeError(`a ${type} needs a number, not ${typeof value}`)
  const view = new DataView(new ArrayBuffer(numericBytes[type]))
  switch (type) {
    case 'float32':
      view.setFloat32(0, value)
      break
    case 'float64':
      view.setFloat64(0, value)
      break
    case 'int64':
    case 'uint64': {
      const whole = BigInt(wholeNumber(value, type))
      const [low, high] = type === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n]
      if (whole < low || whole > high) throw new RangeError(`${value} does not fit a ${type}`)
      if (type === 'int64') view.setBigInt64(0, whole)
      else view.setBigUint64(0, whole)
      break
    }
    default: {
      const whole = wholeNumber(value, type)
      const [low, high] = integerRanges[type]
      if (whole < low || whole > high)
        throw new RangeError(`${value} does not fit a ${type} (${low}…${high})`)
      if (type === 'int16') view.setInt16(0, whole)
      else if (type === 'uint16') view.setUint16(0, whole)
      else if (type === 'int32') view.setInt32(0, whole)
      else view.setUint32(0, whole)
    }
  }
  return bytesToWords(fromBigEndian(view, order))
}

function wholeNumber(value: number, type: RegisterType): number {
  if (!Number.isFinite(value)) throw new RangeError(`${value} does not fit a ${type}`)
  return Math.round(value)
}

function encodeString(address: ModbusAddress, value: ModbusValue): number[] {
  if (typeof value !== 'string') throw new TypeError(`a string needs text, not ${typeof value}`)
  const length = address.length ?? 0
  if (value.length > length) throw new RangeError(`"${value}" is longer than ${length} characters`)
  const bytes = new Uint8Array(Math.ceil(length / 2) * 2)
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code > 0xff) throw new RangeError(`"${value[index]}" is not an 8-bit character`)
    bytes[index] = code
  }
  if (swapsBytes(address.order)) swapPairs(bytes)
  return bytesToWords(bytes)
}

/** The bits of a coil or discrete input, the inverse of decodeBits. */
export function encodeBits(address: ModbusAddress, value: ModbusValue): boolean[] {
  if (!isBitTable(address.table)) {
    throw new Error(`encodeBits writes coils and discrete inputs, not ${address.table} registers`)
  }
  if (typeof value !== 'boolean') throw new TypeError(`a ${address.table} needs true or false`)
  return [value]
}

/** Exception codes of Modbus Application Protocol v1.1b3 §7, as an operator would read them. */
const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge (busy with a long command)',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
}

/** "illegal data address (exception 2)" */
export function describeModbusException(code: number): string {
  return `${exceptionNames[code] ?? 'unknown exception'} (exception ${code})`
}
