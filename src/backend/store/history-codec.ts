import type { Quality, TagValue } from '../../shared/field/values'
import { qualityByCode, qualityCode } from '../../shared/history/bucket'

// The packed form of raw samples. A row per sample with an index on (tag, time) costs about ten
// times the CPU at 10,000 tags (each flush would touch one index page per tag), so raw samples are
// stored packed: one blob per flush while they are recent (raw_recent), one blob per tag and
// minute once sealed (raw_block). Most samples take 10 to 12 bytes.
//
// A sample is a flags byte, then the zigzag varint of its time minus the previous sample's (or the
// stream's base), then its value, then the optional times:
//   flags bits 0-1  quality code (good 0, uncertain 1, stale 2, bad 3)
//         bits 2-4  value kind (below)
//         bit 5     received time differs from the sample's time: zigzag varint (ts - receivedTs)
//         bit 6     the device gave a time: zigzag varint (receivedTs - sourceTs)
// Values: float64 little-endian (8 bytes); a number that float32 holds exactly (4 bytes: Modbus
// float32 registers); false and true (no bytes); a string as varint length and UTF-8; null.

/** One raw sample as history stores it; times are integer ms since the epoch. */
export type Sample = {
  /** When the console recorded the reading: the time trends and tiers use. */
  ts: number
  value: TagValue['value']
  quality: Quality
  receivedTs: number
  sourceTs: number | null
}

const kind = { float64: 0, float32: 1, false: 2, true: 3, string: 4, null: 5 } as const
const hasReceivedLag = 0b0010_0000
const hasSourceTs = 0b0100_0000

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

/** The kind bits of a value, shared with the tier tables' last_flags. */
function kindOf(value: TagValue['value']): number {
  if (value === null) return kind.null
  switch (typeof value) {
    case 'boolean':
      return value ? kind.true : kind.false
    case 'string':
      return kind.string
    default:
      return Math.fround(value) === value || Number.isNaN(value) ? kind.float32 : kind.float64
  }
}

/** quality and kind of a value in one small integer, as the tier tables store the last reading. */
export function valueFlags(value: TagValue['value'], quality: Quality): number {
  return qualityCode[quality] | (kindOf(value) << 2)
}

export function qualityOfFlags(flags: number): Quality {
  return qualityByCode[flags & 0b11] as Quality
}

/** Rebuilds a value from the tier tables' (flags, number, text) columns. */
export function valueOfColumns(
  flags: number,
  number: number | null,
  text: string | null,
): TagValue['value'] {
  switch ((flags >> 2) & 0b111) {
    case kind.false:
      return false
    case kind.true:
      return true
    case kind.string:
      return text ?? ''
    case kind.null:
      return null
    default:
      return number
  }
}

/** A growable byte buffer with the few encodings samples need. */
export class ByteWriter {
  private bytes: Uint8Array
  private view: DataView
  length = 0

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer)
  }

  private reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return
    let capacity = this.bytes.length * 2
    while (capacity < this.length + size) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  byte(value: number): void {
    this.reserve(1)
    this.bytes[this.length++] = value
  }

  /** A non-negative integer up to 2^53, seven bits a byte, least significant first. */
  varint(value: number): void {
    this.reserve(8)
    let rest = value
    // Arithmetic rather than bit operators: those would cut times (about 2^41 ms) to 32 bits.
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest % 0x80) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    this.bytes[this.length++] = rest
  }

  /** A signed integer of magnitude up to 2^52 (time deltas and offsets): small either side of 0. */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1)
  }

  float64(value: number): void {
    this.reserve(8)
    this.view.setFloat64(this.length, value, true)
    this.length += 8
  }

  float32(value: number): void {
    this.reserve(4)
    this.view.setFloat32(this.length, value, true)
    this.length += 4
  }

  text(value: string): void {
    const encoded = utf8.encode(value)
    this.varint(encoded.length)
    this.reserve(encoded.length)
    this.bytes.set(encoded, this.length)
    this.length += encoded.length
  }

  /** The bytes written so far, without copying (SQLite copies a blob as it binds it). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }

  clear(): void {
    this.length = 0
  }
}

export class ByteReader {
  private offset = 0
  private readonly view: DataView

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.offset >= this.bytes.length
  }

  private take(size: number): number {
    const at = this.offset
    if (at + size > this.bytes.length) throw new Error('history: a packed sample is truncated')
    this.offset += size
    return at
  }

  byte(): number {
    return this.bytes[this.take(1)] as number
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (;;) {
      const byte = this.byte()
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 0x80
    }
  }

  zigzag(): number {
    const value = this.varint()
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2
  }

  float64(): number {
    return this.view.getFloat64(this.take(8), true)
  }

  float32(): number {
    return this.view.getFloat32(this.take(4), true)
  }

  text(): string {
    const length = this.varint()
    const at = this.take(length)
    return fromUtf8.decode(this.bytes.subarray(at, at + length))
  }
}

/** Appends `sample` to a stream whose previous sample (or base) was at `previousTs`. */
export function writeSample(writer: ByteWriter, sample: Sample, previousTs: number): void {
  const value = sample.value
  const valueKind = kindOf(value)
  const receivedLag = sample.ts - sample.receivedTs
  let flags = qualityCode[sample.quality] | (valueKind << 2)
  if (receivedLag !== 0) flags |= hasReceivedLag
  if (sample.sourceTs !== null) flags |= hasSourceTs
  writer.byte(flags)
  writer.zigzag(sample.ts - previousTs)
  if (valueKind === kind.float64) writer.float64(value as number)
  else if (valueKind === kind.float32) writer.float32(value as number)
  else if (valueKind === kind.string) writer.text(value as string)
  if (receivedLag !== 0) writer.zigzag(receivedLag)
  if (sample.sourceTs !== null) writer.zigzag(sample.receivedTs - sample.sourceTs)
}

export function readSample(reader: ByteReader, previousTs: number): Sample {
  const flags = reader.byte()
  const ts = previousTs + reader.zigzag()
  let value: TagValue['value']
  switch ((flags >> 2) & 0b111) {
    case kind.float64:
      value = reader.float64()
      break
    case kind.float32:
      value = reader.float32()
      break
    case kind.false:
      value = false
      break
    case kind.true:
      value = true
      break
    case kind.string:
      value = reader.text()
      break
    case kind.null:
      value = null
      break
    default:
      throw new Error(`history: unknown value kind in flags ${flags}`)
  }
  const receivedTs = flags & hasReceivedLag ? ts - reader.zigzag() : ts
  const sourceTs = flags & hasSourceTs ? receivedTs - reader.zigzag() : null
  return { ts, value, quality: qualityOfFlags(flags), receivedTs, sourceTs }
}

/** Every sample of one tag's block, which starts its time deltas at the block's start. */
export function readBlock(bytes: Uint8Array, start: number): Sample[] {
  const reader = new ByteReader(bytes)
  const samples: Sample[] = []
  let previousTs = start
  while (!reader.done) {
    const sample = readSample(reader, previousTs)
    samples.push(sample)
    previousTs = sample.ts
  }
  return samples
}

/** A flush's samples: each is the tag's id as a varint, then the sample; deltas start at 0. */
export function readBatch(bytes: Uint8Array): Array<{ tagId: number; sample: Sample }> {
  const reader = new ByteReader(bytes)
  const entries: Array<{ tagId: number; sample: Sample }> = []
  let previousTs = 0
  while (!reader.done) {
    const tagId = reader.varint()
    const sample = readSample(reader, previousTs)
    entries.push({ tagId, sample })
    previousTs = sample.ts
  }
  return entries
}
