import { describe, expect, it } from 'vitest'
import {
  ByteReader,
  ByteWriter,
  readBatch,
  readBlock,
  readSample,
  valueFlags,
  valueOfColumns,
  qualityOfFlags,
  writeSample,
  type Sample,
} from '../../src/backend/store/history-codec'

const t0 = Date.UTC(2026, 10, 22, 8, 0, 0)

const sample = (overrides: Partial<Sample>): Sample => ({
  ts: t0,
  value: 1.5,
  quality: 'good',
  receivedTs: overrides.ts ?? t0,
  sourceTs: null,
  ...overrides,
})

function packBlock(samples: readonly Sample[], start: number): Uint8Array {
  const writer = new ByteWriter(4)
  let previous = start
  for (const entry of samples) {
    writeSample(writer, entry, previous)
    previous = entry.ts
  }
  return writer.written()
}

describe('history sample packing', () => {
  it('round-trips every kind of value, quality and time', () => {
    const samples: Sample[] = [
      sample({ value: 14.73, quality: 'good' }),
      sample({ ts: t0 + 1000, value: 0.5, quality: 'uncertain', sourceTs: t0 + 990 }),
      sample({ ts: t0 + 2000, value: true, quality: 'good' }),
      sample({ ts: t0 + 3000, value: false, quality: 'stale', receivedTs: t0 - 4000 }),
      sample({ ts: t0 + 4000, value: 'Brenner Störung ✓', quality: 'good' }),
      sample({ ts: t0 + 5000, value: '', quality: 'good' }),
      sample({ ts: t0 + 6000, value: null, quality: 'bad' }),
      sample({ ts: t0 + 7000, value: -1e300, quality: 'good', sourceTs: t0 + 9000 }),
      sample({ ts: t0 + 8000, value: Number.MAX_SAFE_INTEGER, quality: 'good' }),
      // The clock stepped back: a negative delta.
      sample({ ts: t0 + 500, value: 3, quality: 'good', receivedTs: t0 + 520 }),
    ]
    expect(readBlock(packBlock(samples, t0), t0)).toEqual(samples)
  })

  it('keeps float64 values exact and float32-exact ones in four bytes', () => {
    const float32 = packBlock([sample({ value: Math.fround(14.73) })], t0)
    const float64 = packBlock([sample({ value: 14.73 })], t0)
    // flags + zero delta + value
    expect(float32.length).toBe(1 + 1 + 4)
    expect(float64.length).toBe(1 + 1 + 8)
    expect(readBlock(float64, t0)[0]?.value).toBe(14.73)
  })

  it('packs a 1 Hz reading in 7 bytes and the times of a stale mark in a few more', () => {
    const previous = t0
    const writer = new ByteWriter()
    writeSample(writer, sample({ ts: t0 + 1000, value: Math.fround(2.5) }), previous)
    expect(writer.length).toBe(7)
    writer.clear()
    writeSample(
      writer,
      sample({
        ts: t0 + 1000,
        value: Math.fround(2.5),
        receivedTs: t0 - 5000,
        sourceTs: t0 - 5100,
      }),
      previous,
    )
    expect(writer.length).toBe(7 + 2 + 2)
  })

  it('round-trips a flush batch with tag ids', () => {
    const writer = new ByteWriter()
    const entries = [
      { tagId: 1, sample: sample({ value: 1 }) },
      { tagId: 300, sample: sample({ value: 'x' }) },
      { tagId: 2 ** 40, sample: sample({ ts: t0 + 250, value: null, quality: 'bad' }) },
    ]
    let previous = 0
    for (const entry of entries) {
      writer.varint(entry.tagId)
      writeSample(writer, entry.sample, previous)
      previous = entry.sample.ts
    }
    expect(readBatch(writer.written())).toEqual(entries)
  })

  it('round-trips varints up to 2^53 and zigzags up to 2^52 either side of zero', () => {
    const values = [1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5, t0, 2 ** 52]
    const writer = new ByteWriter(1)
    writer.varint(2 ** 53 - 1)
    writer.zigzag(0)
    for (const value of values) {
      writer.varint(value)
      writer.zigzag(value)
      writer.zigzag(-value)
    }
    const reader = new ByteReader(writer.written())
    expect(reader.varint()).toBe(2 ** 53 - 1)
    expect(reader.zigzag()).toBe(0)
    for (const value of values) {
      expect(reader.varint()).toBe(value)
      expect(reader.zigzag()).toBe(value)
      expect(reader.zigzag()).toBe(-value)
    }
    expect(reader.done).toBe(true)
  })

  it('refuses a truncated sample instead of inventing one', () => {
    const bytes = packBlock([sample({ value: 14.73 })], t0)
    expect(() => readSample(new ByteReader(bytes.subarray(0, bytes.length - 1)), t0)).toThrow(
      /truncated/,
    )
  })

  it('stores the kind and quality of a tier row’s last value in one small integer', () => {
    const cases = [
      { value: 3.25, quality: 'good', number: 3.25, text: null },
      { value: true, quality: 'uncertain', number: 1, text: null },
      { value: false, quality: 'stale', number: 0, text: null },
      { value: 'open', quality: 'good', number: null, text: 'open' },
      { value: null, quality: 'bad', number: null, text: null },
    ] as const
    for (const { value, quality, number, text } of cases) {
      const flags = valueFlags(value, quality)
      expect(qualityOfFlags(flags)).toBe(quality)
      expect(valueOfColumns(flags, number, text)).toBe(value)
    }
    expect(valueFlags(0.1, 'good')).toBe(0)
  })
})
