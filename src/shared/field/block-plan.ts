import type { ModbusAddress, Tag } from '../site/schema'
import { addressProblem, isBitTable, registerCount, type ModbusTable } from './codec'

// Merges the reads of neighbouring tags into block reads (DESIGN.md §4): one request for ten floats
// instead of ten requests. Pure, so the UI can show an engineer which reads a site file causes.

/** Modbus Application Protocol v1.1b3 §6.3 and §6.4: 1 to 125 (0x7D) registers per read. */
export const maxRegistersPerRead = 125
/** Modbus Application Protocol v1.1b3 §6.1 and §6.2: 1 to 2000 (0x7D0) coils or inputs per read. */
export const maxBitsPerRead = 2000
/** Reading 16 unused registers costs less than a second round trip on any link we have seen. */
export const defaultMaxGap = 16

export type PlannedTag = {
  tag: Tag
  address: ModbusAddress
  /** Where the tag starts inside its block's words (or bits). */
  index: number
  /** How many registers (or bits) it occupies. */
  count: number
}

/** One read request: `count` registers (or bits) of `table` from `start`, at one unit id. */
export type ReadBlock = {
  unitId: number
  table: ModbusTable
  start: number
  count: number
  tags: PlannedTag[]
}

/** A tag that cannot be read as configured, with the reason to show instead of a value. */
export type UnplannedTag = { tag: Tag; reason: string }

export type BlockPlan = { blocks: ReadBlock[]; unplanned: UnplannedTag[] }

export type BlockPlanOptions = {
  /** Largest run of unused registers (or bits) read to join two tags into one block. */
  maxGap?: number
  /** The source's unit id, for tags that do not name their own. */
  unitId?: number
  /** Lower than 125 for devices that answer fewer registers per request. */
  maxRegisters?: number
  maxBits?: number
}

const tableOrder: ModbusTable[] = ['coil', 'discrete', 'input', 'holding']

export function planBlocks(tags: readonly Tag[], options: BlockPlanOptions = {}): BlockPlan {
  const {
    maxGap = defaultMaxGap,
    unitId: defaultUnitId = 1,
    maxRegisters = maxRegistersPerRead,
    maxBits = maxBitsPerRead,
  } = options
  if (!Number.isInteger(maxGap) || maxGap < 0)
    throw new RangeError('maxGap must be a whole number ≥ 0')
  if (!Number.isInteger(maxRegisters) || maxRegisters < 1 || maxRegisters > maxRegistersPerRead) {
    throw new RangeError(`maxRegisters must be 1…${maxRegistersPerRead}`)
  }
  if (!Number.isInteger(maxBits) || maxBits < 1 || maxBits > maxBitsPerRead) {
    throw new RangeError(`maxBits must be 1…${maxBitsPerRead}`)
  }

  const unplanned: UnplannedTag[] = []
  const groups = new Map<string, { unitId: number; table: ModbusTable; members: PlannedTag[] }>()
  for (const tag of tags) {
    const address = tag.address
    if (!address) {
      unplanned.push({ tag, reason: 'a Modbus tag needs an address' })
      continue
    }
    const problem = addressProblem(address)
    if (problem) {
      unplanned.push({ tag, reason: problem })
      continue
    }
    const unitId = address.unitId ?? defaultUnitId
    const key = `${unitId}/${address.table}`
    const group = groups.get(key) ?? { unitId, table: address.table, members: [] }
    group.members.push({ tag, address, index: 0, count: registerCount(address) })
    groups.set(key, group)
  }

  const blocks: ReadBlock[] = []
  for (const { unitId, table, members } of groups.values()) {
    const limit = isBitTable(table) ? maxBits : maxRegisters
    members.sort((a, b) => a.address.offset - b.address.offset || b.count - a.count)
    let block: ReadBlock | null = null
    for (const member of members) {
      const start = member.address.offset
      const end = start + member.count
      const joins =
        block !== null &&
        start - (block.start + block.count) <= maxGap &&
        Math.max(end, block.start + block.count) - block.start <= limit
      if (!block || !joins) {
        block = { unitId, table, start, count: member.count, tags: [] }
        blocks.push(block)
      }
      block.count = Math.max(block.count, end - block.start)
      block.tags.push({ ...member, index: start - block.start })
    }
  }
  blocks.sort(
    (a, b) =>
      a.unitId - b.unitId ||
      tableOrder.indexOf(a.table) - tableOrder.indexOf(b.table) ||
      a.start - b.start,
  )
  return { blocks, unplanned }
}

/** "holding 100–111 (unit 1)": how reasons and the UI name a block. */
export function describeBlock(
  block: Pick<ReadBlock, 'unitId' | 'table' | 'start' | 'count'>,
): string {
  const last = block.start + block.count - 1
  const range = last === block.start ? `${block.start}` : `${block.start}–${last}`
  return `${block.table} ${range} (unit ${block.unitId})`
}

// When a device refuses a block read with exception 2 (illegal data address) or 3 (illegal data
// value, often "too many registers for this device"), Modbus Application Protocol v1.1b3 §7 says no
// more than that the request as a whole was refused. The driver finds the culprit by bisection:
// split the block at a tag boundary, read the halves, split again what is still refused, until the
// refused reads hold one tag each. These helpers do the pure part of that.

/** A run of addresses a device refused to read as one request. */
export type RefusedSpan = Pick<ReadBlock, 'start' | 'count'>

/** The part of `block` that `members` occupy, with their indexes rebased to its start. */
function pieceOf(block: ReadBlock, members: readonly PlannedTag[]): ReadBlock {
  const first = Math.min(...members.map((member) => member.index))
  const end = Math.max(...members.map((member) => member.index + member.count))
  return {
    unitId: block.unitId,
    table: block.table,
    start: block.start + first,
    count: end - first,
    tags: members.map((member) => ({ ...member, index: member.index - first })),
  }
}

/**
 * Splits a block in two at the tag boundary nearest its middle, so that no tag is cut (a float
 * read in two halves is no float), and trims each half to the registers its tags occupy. Null when
 * there is no such boundary: one tag, or tags that overlap from end to end.
 */
export function splitBlock(block: ReadBlock): [ReadBlock, ReadBlock] | null {
  const members = [...block.tags].sort((a, b) => a.index - b.index || b.count - a.count)
  const middle = block.count / 2
  let cut: number | null = null
  let reach = 0
  for (let position = 1; position < members.length; position++) {
    const before = members[position - 1] as PlannedTag
    reach = Math.max(reach, before.index + before.count)
    const at = (members[position] as PlannedTag).index
    // A cut is legal where every tag before it has ended.
    if (at < reach) continue
    const best = cut === null ? null : (members[cut] as PlannedTag).index
    if (best === null || Math.abs(at - middle) < Math.abs(best - middle)) cut = position
  }
  if (cut === null) return null
  return [pieceOf(block, members.slice(0, cut)), pieceOf(block, members.slice(cut))]
}

/**
 * Joins neighbouring pieces that both read well and touch (no unread gap between them, since a gap
 * may be what the device refuses) into one read, unless the joined read would again cover a span
 * the device refused. Keeps the identity of pieces it leaves alone.
 */
export function joinPieces(
  pieces: readonly ReadBlock[],
  good: ReadonlySet<ReadBlock>,
  refused: readonly RefusedSpan[],
  options: Pick<BlockPlanOptions, 'maxRegisters' | 'maxBits'> = {},
): ReadBlock[] {
  const { maxRegisters = maxRegistersPerRead, maxBits = maxBitsPerRead } = options
  const sorted = [...pieces].sort((a, b) => a.start - b.start)
  const joined: ReadBlock[] = []
  let previousGood = false
  for (const piece of sorted) {
    const previous = joined.at(-1)
    const pieceGood = good.has(piece)
    if (previous && previousGood && pieceGood) {
      const limit = isBitTable(piece.table) ? maxBits : maxRegisters
      const start = previous.start
      const count = piece.start + piece.count - start
      const fits =
        previous.unitId === piece.unitId &&
        previous.table === piece.table &&
        previous.start + previous.count === piece.start &&
        count <= limit &&
        !refused.some((span) => span.start >= start && span.start + span.count <= start + count)
      if (fits) {
        joined[joined.length - 1] = {
          unitId: piece.unitId,
          table: piece.table,
          start,
          count,
          tags: [
            ...previous.tags,
            ...piece.tags.map((member) => ({
              ...member,
              index: member.index + piece.start - start,
            })),
          ],
        }
        continue
      }
    }
    joined.push(piece)
    previousGood = pieceGood
  }
  return joined
}
