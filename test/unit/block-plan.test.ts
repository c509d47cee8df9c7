import { describe, expect, it } from 'vitest'
import {
  describeBlock,
  joinPieces,
  planBlocks,
  splitBlock,
  type ReadBlock,
} from '../../src/shared/field/block-plan'
import type { ModbusAddress, Tag } from '../../src/shared/site/schema'

const tag = (id: string, address: Partial<ModbusAddress> & Pick<ModbusAddress, 'offset'>): Tag => ({
  id,
  source: 'plc-a',
  unit: '',
  address: { table: 'holding', type: 'uint16', order: 'ABCD', ...address },
})

const shape = (blocks: ReadBlock[]): string[] => blocks.map((block) => describeBlock(block))
const members = (block: ReadBlock | undefined): [string, number][] =>
  (block?.tags ?? []).map((planned) => [planned.tag.id, planned.index])

describe('planBlocks', () => {
  it('merges neighbours and small gaps into one block, remembering where each tag starts', () => {
    const { blocks, unplanned } = planBlocks([
      tag('c', { offset: 110, type: 'float32' }),
      tag('a', { offset: 100, type: 'float32' }),
      tag('b', { offset: 102, type: 'float32' }),
    ])
    expect(unplanned).toEqual([])
    expect(shape(blocks)).toEqual(['holding 100–111 (unit 1)'])
    expect(members(blocks[0])).toEqual([
      ['a', 0],
      ['b', 2],
      ['c', 10],
    ])
    expect(blocks[0]?.tags.map((planned) => planned.count)).toEqual([2, 2, 2])
  })

  it('splits when the gap is larger than maxGap', () => {
    // 100 ends at 100; a gap of exactly 16 (101–116) still merges, 17 does not.
    expect(
      shape(planBlocks([tag('a', { offset: 100 }), tag('b', { offset: 117 })]).blocks),
    ).toEqual(['holding 100–117 (unit 1)'])
    expect(
      shape(planBlocks([tag('a', { offset: 100 }), tag('b', { offset: 118 })]).blocks),
    ).toEqual(['holding 100 (unit 1)', 'holding 118 (unit 1)'])
    expect(
      shape(planBlocks([tag('a', { offset: 0 }), tag('b', { offset: 2 })], { maxGap: 0 }).blocks),
    ).toEqual(['holding 0 (unit 1)', 'holding 2 (unit 1)'])
  })

  it('never reads more than 125 registers in one block', () => {
    const tags = Array.from({ length: 100 }, (_, index) =>
      tag(`t${index}`, { offset: index * 2, type: 'float32' }),
    )
    const { blocks } = planBlocks(tags)
    expect(shape(blocks)).toEqual(['holding 0–123 (unit 1)', 'holding 124–199 (unit 1)'])
    expect(blocks.every((block) => block.count <= 125)).toBe(true)
    // A float never straddles two blocks.
    expect(blocks.flatMap((block) => block.tags).length).toBe(100)
    expect(shape(planBlocks(tags, { maxRegisters: 50 }).blocks)).toEqual([
      'holding 0–49 (unit 1)',
      'holding 50–99 (unit 1)',
      'holding 100–149 (unit 1)',
      'holding 150–199 (unit 1)',
    ])
  })

  it('exactly 125 registers still fit; one more does not', () => {
    const wide = { maxGap: 1000 }
    expect(
      shape(planBlocks([tag('a', { offset: 0 }), tag('b', { offset: 124 })], wide).blocks),
    ).toEqual(['holding 0–124 (unit 1)'])
    expect(
      shape(
        planBlocks([tag('a', { offset: 0 }), tag('b', { offset: 124, type: 'float32' })], wide)
          .blocks,
      ),
    ).toEqual(['holding 0 (unit 1)', 'holding 124–125 (unit 1)'])
  })

  it('separates unit ids and tables; a tag unit id wins over the source default', () => {
    const { blocks } = planBlocks(
      [
        tag('default-unit', { offset: 0 }),
        tag('unit-3', { offset: 1, unitId: 3 }),
        tag('same-as-default', { offset: 2, unitId: 7 }),
        tag('input', { offset: 1, table: 'input' }),
        tag('coil', { offset: 1, table: 'coil', type: 'bool' }),
        tag('discrete', { offset: 1, table: 'discrete', type: 'bool' }),
      ],
      { unitId: 7 },
    )
    expect(shape(blocks)).toEqual([
      'holding 1 (unit 3)',
      'coil 1 (unit 7)',
      'discrete 1 (unit 7)',
      'input 1 (unit 7)',
      'holding 0–2 (unit 7)',
    ])
    expect(members(blocks[4])).toEqual([
      ['default-unit', 0],
      ['same-as-default', 2],
    ])
  })

  it('merges coils and discrete inputs up to 2000 bits', () => {
    const coils = Array.from({ length: 250 }, (_, index) =>
      tag(`coil-${index}`, { offset: index * 10, table: 'coil', type: 'bool' }),
    )
    const { blocks } = planBlocks(coils)
    expect(shape(blocks)).toEqual(['coil 0–1990 (unit 1)', 'coil 2000–2490 (unit 1)'])
    expect(blocks.every((block) => block.count <= 2000)).toBe(true)
    expect(shape(planBlocks(coils.slice(0, 3), { maxBits: 15 }).blocks)).toEqual([
      'coil 0–10 (unit 1)',
      'coil 20 (unit 1)',
    ])
  })

  it('keeps overlapping and duplicate addresses in one block', () => {
    const { blocks } = planBlocks([
      tag('whole', { offset: 10, type: 'uint32' }),
      tag('low-word', { offset: 11 }),
      tag('flag', { offset: 10, type: 'bool', bit: 3 }),
      tag('again', { offset: 10, type: 'uint32' }),
    ])
    expect(shape(blocks)).toEqual(['holding 10–11 (unit 1)'])
    expect(blocks[0]?.tags.map((planned) => planned.index).sort()).toEqual([0, 0, 0, 1])
  })

  it('sets aside tags it cannot read, with the reason', () => {
    const { blocks, unplanned } = planBlocks([
      { id: 'no-address', source: 'plc-a', unit: '' },
      tag('float-coil', { offset: 0, table: 'coil', type: 'float32' }),
      tag('string-without-length', { offset: 0, type: 'string' }),
      tag('fine', { offset: 5 }),
    ])
    expect(shape(blocks)).toEqual(['holding 5 (unit 1)'])
    expect(unplanned.map(({ tag, reason }) => [tag.id, reason])).toEqual([
      ['no-address', 'a Modbus tag needs an address'],
      ['float-coil', 'a coil holds a single bit, so its type must be bool (not float32)'],
      ['string-without-length', 'a string needs a length (in characters, two per register)'],
    ])
  })

  it('refuses limits the protocol does not allow', () => {
    expect(() => planBlocks([], { maxRegisters: 126 })).toThrow(RangeError)
    expect(() => planBlocks([], { maxBits: 2001 })).toThrow(RangeError)
    expect(() => planBlocks([], { maxGap: -1 })).toThrow(RangeError)
  })
})

describe('splitBlock', () => {
  const only = (tags: Tag[]): ReadBlock => {
    const { blocks } = planBlocks(tags)
    expect(blocks).toHaveLength(1)
    return blocks[0] as ReadBlock
  }

  it('cuts at the tag boundary nearest the middle and trims each half to its tags', () => {
    const block = only(
      [100, 102, 104, 106, 108, 110].map((offset) =>
        tag(`t${offset}`, { offset, type: 'float32' }),
      ),
    )
    const halves = splitBlock(block)
    expect(halves && shape(halves)).toEqual([
      'holding 100–105 (unit 1)',
      'holding 106–111 (unit 1)',
    ])
    expect(members(halves?.[1])).toEqual([
      ['t106', 0],
      ['t108', 2],
      ['t110', 4],
    ])
    // Gaps at the cut are not read by either half.
    const gappy = only([
      tag('a', { offset: 0 }),
      tag('b', { offset: 10 }),
      tag('c', { offset: 11 }),
    ])
    expect(shape(splitBlock(gappy) ?? [])).toEqual(['holding 0 (unit 1)', 'holding 10–11 (unit 1)'])
  })

  it('never cuts inside a tag, however the tags overlap', () => {
    // The float covers 10–11; a bit of register 11 and a word at 11 live inside it.
    const block = only([
      tag('float', { offset: 10, type: 'float32' }),
      tag('flag', { offset: 11, type: 'bool', bit: 2 }),
      tag('word', { offset: 11 }),
      tag('next', { offset: 12 }),
    ])
    const halves = splitBlock(block)
    expect(halves && shape(halves)).toEqual(['holding 10–11 (unit 1)', 'holding 12 (unit 1)'])
    expect(
      members(halves?.[0])
        .map(([id]) => id)
        .sort(),
    ).toEqual(['flag', 'float', 'word'])
    expect(halves?.[0].tags.find((planned) => planned.tag.id === 'word')?.index).toBe(1)
  })

  it('cannot split one tag, or tags that overlap from end to end', () => {
    expect(splitBlock(only([tag('a', { offset: 4, type: 'float64' })]))).toBeNull()
    expect(
      splitBlock(
        only([
          tag('whole', { offset: 4, type: 'uint32' }),
          tag('high', { offset: 4 }),
          tag('low', { offset: 5 }),
        ]),
      ),
    ).toBeNull()
  })
})

describe('joinPieces', () => {
  /** One float32 tag read alone at each offset. */
  const pieces = (...offsets: number[]): ReadBlock[] =>
    offsets.map(
      (offset) =>
        planBlocks([tag(`t${offset}`, { offset, type: 'float32' })]).blocks[0] as ReadBlock,
    )

  it('joins touching pieces that read well, and nothing else', () => {
    const [a, b, c, d, e] = pieces(100, 102, 104, 106, 110) as [
      ReadBlock,
      ReadBlock,
      ReadBlock,
      ReadBlock,
      ReadBlock,
    ]
    // c was refused; e is good but a gap (108–109) separates it from d.
    const joined = joinPieces([e, c, a, b, d], new Set([a, b, d, e]), [{ start: 100, count: 12 }])
    expect(shape(joined)).toEqual([
      'holding 100–103 (unit 1)',
      'holding 104–105 (unit 1)',
      'holding 106–107 (unit 1)',
      'holding 110–111 (unit 1)',
    ])
    expect(members(joined[0])).toEqual([
      ['t100', 0],
      ['t102', 2],
    ])
    // Pieces left alone keep their identity (the driver keys their diagnostics by it).
    expect(joined[1]).toBe(c)
    expect(joined[3]).toBe(e)
  })

  it('never joins back into a span the device refused', () => {
    // A device that refuses more than 3 registers at once (exception 3) refused 100–103.
    const [a, b] = pieces(100, 102) as [ReadBlock, ReadBlock]
    expect(shape(joinPieces([a, b], new Set([a, b]), [{ start: 100, count: 4 }]))).toEqual([
      'holding 100–101 (unit 1)',
      'holding 102–103 (unit 1)',
    ])
  })
})
