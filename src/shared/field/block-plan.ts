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
