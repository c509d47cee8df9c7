import { existsSync, statSync } from 'node:fs'
import type BetterSqlite3 from 'better-sqlite3'
import type { TagValue } from '../../shared/field/values'
import {
  addReading,
  bucketOf,
  copyBucket,
  meanOf,
  mergeBucket,
  qualityByCode,
  qualityCode,
  type Bucket,
} from '../../shared/history/bucket'
import {
  defaultHistoryRetention,
  historyQuerySchema,
  historyRetentionSchema,
  historyTiers,
  historyWarningFraction,
  tierWidthMs,
  type HistoryQuery,
  type HistoryQueryResult,
  type HistoryRetention,
  type HistorySegment,
  type HistorySyncBacklog,
  type HistorySyncSample,
  type HistoryTier,
  type HistoryUsage,
  type TrendPoint,
} from '../../shared/history/series'
import {
  planSegments,
  pointsOfReadings,
  pointsOfTierRows,
  pointWidthMs,
  tierForPoint,
  type TierCoverage,
  type TierRow,
} from '../../shared/history/trend'
import { fail, ok, type Result } from '../../shared/result'
import { every, type Cancel, type Scheduler } from '../../shared/scheduler'
import { describeError, type Logger } from '../log/logger'
import {
  ByteWriter,
  qualityOfFlags,
  readBatch,
  readBlock,
  valueFlags,
  valueOfColumns,
  writeSample,
  type Sample,
} from './history-codec'
import {
  isHistoryDamage,
  openHistoryFile,
  setHistoryAside,
  type HistoryRecoveryNotice,
} from './history-database'

// The tag history (DESIGN.md §7, the journal/sync issue): every reading of every tag, in its own
// database beside the journal.
//
//   record() ──► open block per tag (memory) ──┐ minute ends ──► seal queue
//          └──► flush batch (memory) ─ ≤250 ms ─┴──► one transaction: raw_recent row
//                                                     + up to sealPerFlush sealed blocks:
//                                                       raw_block + minute_bucket
//   maintenance (every 10 s): hour roll-up ─ pruning by age ─ disk budget, in bounded steps
//
// A sample is durable once its flush commits (in raw_recent); sealing moves it into its tag's
// minute block and the 1-minute tier in one transaction, and raw_recent rows go once every sample
// in them is sealed. After a crash the unsealed samples are replayed from raw_recent.
//
// Every reading is kept, also when a poll repeats an unchanged value: raw history is the record of
// what the console read and when, the sync stream sends it to the central system, and an
// unchanged value cannot be told from a console that stopped reading. Packing makes a repeat
// cost about 10 bytes; the disk budget bounds the rest.
//
// Samples are stamped with the console's clock when recorded: tiers and trends need one clock
// that moves forward, and a staleness mark re-publishes a reading with its old receivedTs. The
// received and device times are kept with each sample.

/** A flush runs at most this long after a reading arrives (the batching bound). */
export const historyFlushMs = 250
/** How often roll-up, pruning and the disk budget are looked after. */
export const historyMaintenanceMs = 10_000

const minuteMs = tierWidthMs.minute
const hourMs = tierWidthMs.hour
/** How much time one row of each tier's tables covers: a raw block holds a minute. */
const rowSpanMs: Record<HistoryTier, number> = { raw: minuteMs, minute: minuteMs, hour: hourMs }
/** Blocks sealed per flush: the minute boundary seals one per tag, spread over a few flushes. */
const sealPerFlush = 1_000
/** Tags whose hour is rolled up per maintenance step. */
const rollTagsPerStep = 1_000
/** Rows deleted per pruning step, so a step holds ingest up for milliseconds, not seconds. */
const pruneRowsPerStep = 5_000
/**
 * What a tier row takes on disk, on the small side: a budget step deletes a little more than the
 * excess rather than taking many steps (each ends with a checkpoint).
 */
const tierRowBytes = 48
/** Free pages given back to the file system per budget step: 8 MiB of 4 KiB pages. */
const vacuumPagesPerStep = 2_048
/**
 * Samples buffered while the database refuses writes (a full disk) before new readings are
 * dropped, so a failing disk cannot exhaust memory: about 100 s at 10,000 samples/s.
 */
const maxUnflushedSamples = 1_000_000

export type OpenHistoryOptions = {
  path: string
  scheduler: Scheduler
  /** ms since epoch: stamps samples and decides what is old. */
  clock: () => number
  logger: Logger
  retention?: Partial<HistoryRetention>
  /** Disk budget for history.sqlite and its -wal; none: pruned by age only. */
  budgetBytes?: number | null
  /** Told when a damaged history file is set aside and a new one started (also mid-run). */
  onRecovery?: (notice: HistoryRecoveryNotice) => void
}

export type HistorySyncBatch = {
  /** Whole minute blocks in seal order: each tag's samples in time order within a block. */
  samples: HistorySyncSample[]
  /** Give to markSynced once the central system has every sample of this batch. */
  cursor: number
}

export type BudgetReport = {
  bytesBefore: number
  bytesAfter: number
  /** Rows deleted per tier (raw: minute blocks). */
  pruned: Record<HistoryTier, number>
  /** Whether history fits its budget now. */
  underBudget: boolean
}

export type HistoryStats = {
  /** Samples handed to record() since open. */
  recorded: number
  /** Samples committed to disk since open. */
  flushed: number
  /** Flush transactions since open. */
  flushes: number
  /** Tag-minutes waiting to be sealed. */
  sealQueue: number
  /** Readings dropped because the database would not take writes. */
  droppedOnError: number
}

export type History = {
  /** Buffers readings; they are written within historyFlushMs in one transaction. */
  record: (values: readonly TagValue[]) => void
  /** One series per tag, from the finest tier that serves each stretch at the point budget. */
  query: (query: HistoryQuery) => HistoryQueryResult
  /**
   * Sealed raw samples the central system has not acknowledged, about `limit` of them: the oldest,
   * or those after `after` (a cursor handed out before and not marked yet), so sync can read the
   * next batch while the central system stores the current one.
   */
  pendingForSync: (limit: number, after?: number) => HistorySyncBatch
  markSynced: (cursor: number) => void
  syncBacklog: () => HistorySyncBacklog
  usage: () => HistoryUsage
  /** Prunes the oldest data of the finest tier first until history fits its budget. */
  enforceBudget: () => Promise<BudgetReport>
  /** Seals ended minutes, rolls up hours, prunes by age and enforces the budget; bounded steps. */
  maintain: () => Promise<void>
  stats: () => HistoryStats
  /** The last time a damaged file was set aside since open, or null. */
  recovery: () => HistoryRecoveryNotice | null
  /** Flushes what is buffered and closes the database. */
  dispose: () => Promise<void>
}

type TagState = {
  id: number
  name: string
  /** The block taking this tag's readings of the current minute. */
  open: OpenBlock | null
  /** How big this tag's last block grew: the next one starts that big instead of growing. */
  blockBytes: number
}

/** One tag's readings of one minute, packed as raw_block stores them, with their summary. */
type OpenBlock = {
  tag: TagState
  start: number
  samples: ByteWriter
  previousTs: number
  count: number
  firstSeq: number
  lastSeq: number
  bucket: Bucket
}

type Meta = {
  /** The last raw_block sealed: ids only grow, also across a damaged file set aside. */
  lastBlockId: number
  syncCursor: number
  syncedSamples: number
  sealedSamples: number
  droppedUnsynced: number
  /** Every hour before this is rolled up; null until the first roll-up. */
  hourRolledUntil: number | null
  /** Within the hour at hourRolledUntil, tags below this id are rolled up already. */
  hourNextTag: number
  rawKeptFrom: number | null
  minuteKeptFrom: number | null
  hourKeptFrom: number | null
}

const metaNames: Record<keyof Meta, string> = {
  lastBlockId: 'last_block_id',
  syncCursor: 'sync_cursor',
  syncedSamples: 'synced_samples',
  sealedSamples: 'sealed_samples',
  droppedUnsynced: 'dropped_unsynced',
  hourRolledUntil: 'hour_rolled_until',
  hourNextTag: 'hour_next_tag',
  rawKeptFrom: 'raw_kept_from',
  minuteKeptFrom: 'minute_kept_from',
  hourKeptFrom: 'hour_kept_from',
}

const freshMeta = (): Meta => ({
  lastBlockId: 0,
  syncCursor: 0,
  syncedSamples: 0,
  sealedSamples: 0,
  droppedUnsynced: 0,
  hourRolledUntil: null,
  hourNextTag: 0,
  rawKeptFrom: null,
  minuteKeptFrom: null,
  hourKeptFrom: null,
})

type BucketRow = {
  start: number
  count: number
  value_count: number
  min: number | null
  max: number | null
  mean: number | null
  worst_quality: number
  last_ts: number
  last_flags: number
  last_value: number | null
  last_text: string | null
}
type BlockRow = { id: number; tag: number; start: number; count: number; samples: Buffer }

const bucketColumns =
  'count, value_count, min, max, mean, worst_quality, last_ts, last_flags, last_value, last_text'

function bucketOfRow(row: BucketRow): Bucket {
  return {
    count: row.count,
    valueCount: row.value_count,
    min: row.min,
    max: row.max,
    sum: (row.mean ?? 0) * row.value_count,
    worstQuality: qualityByCode[row.worst_quality] ?? 'bad',
    lastTs: row.last_ts,
    lastValue: valueOfColumns(row.last_flags, row.last_value, row.last_text),
    lastQuality: qualityOfFlags(row.last_flags),
  }
}

function bucketParameters(bucket: Bucket): unknown[] {
  const last = bucket.lastValue
  return [
    bucket.count,
    bucket.valueCount,
    bucket.min,
    bucket.max,
    meanOf(bucket),
    qualityCode[bucket.worstQuality],
    bucket.lastTs,
    valueFlags(last, bucket.lastQuality),
    typeof last === 'number' ? last : typeof last === 'boolean' ? Number(last) : null,
    typeof last === 'string' ? last : null,
  ]
}

/** The prepared statements of one open database (prepared again after a recovery). */
function prepare(db: BetterSqlite3.Database) {
  const tierStatements = (table: 'minute_bucket' | 'hour_bucket') => ({
    get: db.prepare<[number, number], BucketRow>(
      `SELECT start, ${bucketColumns} FROM ${table} WHERE tag = ? AND start = ?`,
    ),
    put: db.prepare(
      `INSERT OR REPLACE INTO ${table} (tag, start, ${bucketColumns})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    add: db.prepare(
      `INSERT OR IGNORE INTO ${table} (tag, start, ${bucketColumns})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    range: db.prepare<[number, number, number], BucketRow>(
      `SELECT start, ${bucketColumns} FROM ${table}
       WHERE tag = ? AND start >= ? AND start < ? ORDER BY start`,
    ),
    oldest: db.prepare<[number, number], { tag: number; start: number }>(
      `SELECT tag, start FROM ${table} WHERE start < ? ORDER BY start LIMIT ?`,
    ),
    remove: db.prepare(`DELETE FROM ${table} WHERE tag = ? AND start = ?`),
  })
  return {
    db,
    insertTag: db.prepare('INSERT INTO tag (id, name) VALUES (?, ?)'),
    sealTag: db.prepare('UPDATE tag SET sealed_seq = ? WHERE id = ?'),
    tagsFrom: db
      .prepare<[number, number], number>('SELECT id FROM tag WHERE id >= ? ORDER BY id LIMIT ?')
      .pluck(),
    insertRecent: db.prepare('INSERT INTO raw_recent (first_seq, count, samples) VALUES (?, ?, ?)'),
    deleteRecent: db.prepare(
      'DELETE FROM raw_recent WHERE first_seq < ? AND first_seq + count <= ?',
    ),
    insertBlock: db.prepare(
      'INSERT INTO raw_block (id, tag, start, count, samples) VALUES (?, ?, ?, ?, ?)',
    ),
    blocksOfTag: db.prepare<[number, number, number], BlockRow>(
      `SELECT id, tag, start, count, samples FROM raw_block
       WHERE tag = ? AND start >= ? AND start < ? ORDER BY start, id`,
    ),
    blocksAfter: db.prepare<[number], BlockRow>(
      'SELECT id, tag, start, count, samples FROM raw_block WHERE id > ? ORDER BY id',
    ),
    firstBlockAfter: db
      .prepare<[number], number>('SELECT start FROM raw_block WHERE id > ? ORDER BY id LIMIT 1')
      .pluck(),
    countBetween: db
      .prepare<[number, number], number>(
        'SELECT coalesce(sum(count), 0) FROM raw_block WHERE id > ? AND id <= ?',
      )
      .pluck(),
    oldestBlocks: db.prepare<
      [number, number],
      Pick<BlockRow, 'id' | 'start' | 'count'> & { bytes: number }
    >(
      `SELECT id, start, count, length(samples) AS bytes FROM raw_block
       WHERE start < ? ORDER BY start LIMIT ?`,
    ),
    removeBlock: db.prepare('DELETE FROM raw_block WHERE id = ?'),
    firstMinuteFrom: db
      .prepare<[number], number | null>('SELECT min(start) FROM minute_bucket WHERE start >= ?')
      .pluck(),
    putMeta: db.prepare('INSERT OR REPLACE INTO history_meta (name, value) VALUES (?, ?)'),
    minute: tierStatements('minute_bucket'),
    hour: tierStatements('hour_bucket'),
  }
}
type Store = ReturnType<typeof prepare>

/** What a database holds when it is opened: its tags, bookkeeping and unsealed samples. */
type Loaded = {
  tags: Array<{ id: number; name: string; sealedSeq: number }>
  meta: Meta
  recent: Array<{ firstSeq: number; count: number; samples: Buffer }>
}

function load(db: BetterSqlite3.Database): Loaded {
  const tags = db
    .prepare<[], { id: number; name: string; sealed_seq: number }>(
      'SELECT id, name, sealed_seq FROM tag ORDER BY id',
    )
    .all()
    .map((row) => ({ id: row.id, name: row.name, sealedSeq: row.sealed_seq }))
  const stored = new Map(
    db
      .prepare<[], { name: string; value: number }>('SELECT name, value FROM history_meta')
      .all()
      .map((row) => [row.name, row.value]),
  )
  const meta = freshMeta()
  for (const key of Object.keys(metaNames) as Array<keyof Meta>) {
    const value = stored.get(metaNames[key])
    if (value !== undefined) meta[key] = value
  }
  const recent = db
    .prepare<[], { first_seq: number; count: number; samples: Buffer }>(
      'SELECT first_seq, count, samples FROM raw_recent ORDER BY first_seq',
    )
    .all()
    .map((row) => ({ firstSeq: row.first_seq, count: row.count, samples: row.samples }))
  return { tags, meta, recent }
}

type Attached = { store: Store; loaded: Loaded; recovery: HistoryRecoveryNotice | null }

/** Opens and loads the database, setting a damaged one aside once and starting afresh. */
function attach(path: string, at: number): Result<Attached> {
  let recovery: HistoryRecoveryNotice | null = null
  for (;;) {
    const attempt = openHistoryFile(path)
    if (attempt.kind === 'refused') return fail(attempt.code, attempt.message)
    let reason: string
    if (attempt.kind === 'opened') {
      try {
        return ok({ store: prepare(attempt.db), loaded: load(attempt.db), recovery })
      } catch (error) {
        attempt.db.close()
        if (!isHistoryDamage(error))
          return fail(
            'history-open-failed',
            `Cannot read the history at ${path}: ${describeError(error)}`,
          )
        reason = describeError(error)
      }
    } else reason = attempt.reason
    if (recovery)
      return fail(
        'history-damaged',
        `The history at ${path} is damaged again after a restart: ${reason}`,
      )
    const kept = setHistoryAside(path, reason, at)
    if (!kept.ok) return kept
    recovery = kept.value
  }
}

/**
 * Opens the tag history at `path` (history.sqlite in the data folder) and starts its flush and
 * maintenance timers. Refused (with the reason) when the file is locked, on a medium without WAL,
 * or from a newer Pilot Light; a damaged file is set aside and a new history started, and the
 * notice goes to onRecovery and the log.
 */
export function openHistory(options: OpenHistoryOptions): Result<History> {
  const { path, clock, logger } = options
  const retention = historyRetentionSchema.safeParse({
    ...defaultHistoryRetention,
    ...options.retention,
  })
  if (!retention.success)
    return fail(
      'history-invalid-settings',
      `History retention: ${retention.error.issues[0]?.message}`,
    )
  if (
    options.budgetBytes !== undefined &&
    options.budgetBytes !== null &&
    !(options.budgetBytes > 0)
  )
    return fail(
      'history-invalid-settings',
      `History disk budget must be positive, not ${options.budgetBytes}`,
    )
  const attached = attach(path, clock())
  if (!attached.ok) {
    logger.error('history refused', { path, ...attached.error })
    return attached
  }
  const { recovery } = attached.value
  if (recovery) {
    logger.error('history damaged: kept aside, new history started', recovery)
    options.onRecovery?.(recovery)
  }
  return ok(createHistory(options, retention.data, attached.value))
}

function createHistory(
  options: OpenHistoryOptions,
  retention: HistoryRetention,
  attached: Attached,
): History {
  const { path, scheduler, clock, logger } = options
  const budgetBytes = options.budgetBytes ?? null
  let store: Store = attached.store
  let meta: Meta = attached.loaded.meta
  let lastRecovery: HistoryRecoveryNotice | null = attached.recovery

  const tags = new Map<string, TagState>()
  const tagsById = new Map<number, TagState>()
  /** Tags not yet in the tag table: inserted by the next flush, in its transaction. */
  let unsavedTags: TagState[] = []
  let nextTagId = 1
  /** Every sample gets the next seq; raw_recent rows and tag.sealed_seq are in these terms. */
  let nextSeq = 1
  const sealQueue: OpenBlock[] = []

  const batch = new ByteWriter(64 * 1024)
  let batchFirstSeq = 1
  let batchCount = 0
  let batchPreviousTs = 0
  let lastEndScanMinute = Number.NEGATIVE_INFINITY

  const stats: HistoryStats = {
    recorded: 0,
    flushed: 0,
    flushes: 0,
    sealQueue: 0,
    droppedOnError: 0,
  }
  let dropping = false
  let budgetState: 'within' | 'pruning' | 'exhausted' = 'within'
  let warned = false
  let flushTimer: Cancel | null = null
  let maintenance: Promise<void> | null = null
  let disposed = false

  const addTag = (id: number, name: string): TagState => {
    const tag: TagState = { id, name, open: null, blockBytes: 64 }
    tags.set(name, tag)
    tagsById.set(id, tag)
    nextTagId = Math.max(nextTagId, id + 1)
    return tag
  }

  const appendToBlock = (tag: TagState, sample: Sample, seq: number): void => {
    const start = sample.ts - (sample.ts % minuteMs)
    let block = tag.open
    if (!block || block.start !== start) {
      // A reading of another minute (the next one, or an earlier one if the clock stepped back)
      // ends the block: it waits in the queue to be sealed by a flush.
      if (block) {
        tag.blockBytes = block.samples.length
        sealQueue.push(block)
      }
      block = {
        tag,
        start,
        samples: new ByteWriter(tag.blockBytes + 16),
        previousTs: start,
        count: 0,
        firstSeq: seq,
        lastSeq: seq,
        bucket: bucketOf(sample),
      }
      tag.open = block
      // A block for a minute that has ended (the clock stepped back) is sealed at the next flush.
      if (start < lastEndScanMinute) lastEndScanMinute = Number.NEGATIVE_INFINITY
    } else addReading(block.bucket, sample)
    writeSample(block.samples, sample, block.previousTs)
    block.previousTs = sample.ts
    block.count++
    block.lastSeq = seq
  }

  // Unsealed samples from before a restart go back into their blocks, as if just recorded.
  const restore = (loaded: Loaded): void => {
    const sealedSeq = new Map<number, number>()
    for (const row of loaded.tags) {
      addTag(row.id, row.name)
      sealedSeq.set(row.id, row.sealedSeq)
      nextSeq = Math.max(nextSeq, row.sealedSeq + 1)
    }
    let unknown = 0
    for (const row of loaded.recent) {
      readBatch(row.samples).forEach(({ tagId, sample }, index) => {
        const seq = row.firstSeq + index
        const tag = tagsById.get(tagId)
        if (!tag) unknown++
        else if (seq > (sealedSeq.get(tagId) ?? 0)) appendToBlock(tag, sample, seq)
      })
      nextSeq = Math.max(nextSeq, row.firstSeq + row.count)
    }
    if (unknown > 0) logger.warn('history: unsealed samples of unknown tags skipped', { unknown })
    batchFirstSeq = nextSeq
  }
  restore(attached.loaded)

  const writeMeta = (values: Partial<Meta>): void => {
    for (const key of Object.keys(values) as Array<keyof Meta>) {
      const value = values[key]
      if (value !== undefined && value !== null) store.putMeta.run(metaNames[key], value)
    }
  }

  /** Sets the damaged file aside, starts a new one and carries on with what is in memory. */
  const recover = (reason: string): void => {
    try {
      store.db.close()
    } catch (error) {
      logger.warn('history: closing the damaged database failed', { error: describeError(error) })
    }
    const kept = setHistoryAside(path, reason, clock())
    if (!kept.ok) throw new Error(kept.error.message)
    const attempt = openHistoryFile(path)
    if (attempt.kind !== 'opened')
      throw new Error(attempt.kind === 'refused' ? attempt.message : attempt.reason)
    store = prepare(attempt.db)
    // Block ids go on from the old file's, so a sync cursor handed out before cannot cover new
    // blocks; the old file's unsynced samples count as dropped, since sync can no longer send them.
    const old = meta
    meta = {
      ...freshMeta(),
      lastBlockId: old.lastBlockId,
      syncCursor: old.lastBlockId,
      sealedSamples: old.sealedSamples,
      syncedSamples: old.syncedSamples,
      droppedUnsynced: old.sealedSamples - old.syncedSamples,
    }
    store.db.transaction(() => writeMeta(meta)).immediate()
    // Keep the tag ids: the buffered flush has them packed already.
    unsavedTags = [...tagsById.values()]
    lastRecovery = kept.value
    logger.error('history damaged: kept aside, new history started', kept.value)
    options.onRecovery?.(kept.value)
  }

  /** Runs `operation`; if SQLite finds the file damaged, recovers and runs it once more. */
  const guarded = <T>(operation: () => T): T => {
    try {
      return operation()
    } catch (error) {
      if (!isHistoryDamage(error)) throw error
      recover(describeError(error))
      return operation()
    }
  }

  // ── ingest ──────────────────────────────────────────────────────────────────────────────────

  const record = (values: readonly TagValue[]): void => {
    // Readings still arriving from acquisition while the backend shuts down are not an error.
    if (disposed || values.length === 0) return
    if (batchCount >= maxUnflushedSamples) {
      stats.droppedOnError += values.length
      if (!dropping) logger.error('history: writes are failing, readings dropped until they work')
      dropping = true
      return
    }
    const ts = Math.round(clock())
    // One sample object reused for every reading: nothing keeps it, and ingest at 10,000
    // readings/s should not make garbage per reading.
    const sample: Sample = { ts, value: null, quality: 'bad', receivedTs: ts, sourceTs: null }
    for (const value of values) {
      let tag = tags.get(value.tagId)
      if (!tag) {
        tag = addTag(nextTagId, value.tagId)
        unsavedTags.push(tag)
      }
      sample.value = value.value
      sample.quality = value.quality
      sample.receivedTs = Math.round(value.receivedTs)
      sample.sourceTs = value.sourceTs === null ? null : Math.round(value.sourceTs)
      const seq = nextSeq++
      appendToBlock(tag, sample, seq)
      batch.varint(tag.id)
      writeSample(batch, sample, batchPreviousTs)
      batchPreviousTs = ts
      batchCount++
    }
    stats.recorded += values.length
    flushTimer ??= scheduler.after(historyFlushMs, runFlush)
  }

  /** Minutes that have ended join the queue even if their tag reports nothing more. */
  const queueEndedBlocks = (now: number): void => {
    const minute = now - (now % minuteMs)
    if (minute === lastEndScanMinute) return
    lastEndScanMinute = minute
    for (const tag of tags.values()) {
      if (tag.open && tag.open.start < minute) {
        sealQueue.push(tag.open)
        tag.open = null
      }
    }
  }

  /** The first seq that is not sealed yet: raw_recent rows wholly below it can go. */
  const firstUnsealedSeq = (sealing: number): number => {
    let first = nextSeq
    for (let index = sealing; index < sealQueue.length; index++)
      first = Math.min(first, (sealQueue[index] as OpenBlock).firstSeq)
    for (const tag of tags.values()) if (tag.open) first = Math.min(first, tag.open.firstSeq)
    return first
  }

  /** Whether the hour roll-up has passed this tag's hour already, so a late minute must join it. */
  const hourRolled = (hour: number, tagId: number): boolean =>
    meta.hourRolledUntil !== null &&
    (hour < meta.hourRolledUntil || (hour === meta.hourRolledUntil && tagId < meta.hourNextTag))

  const mergeInto = (tier: Store['minute'], tagId: number, start: number, bucket: Bucket): void => {
    const parameters = bucketParameters(bucket)
    if (tier.add.run(tagId, start, ...parameters).changes > 0) return
    const merged = bucketOfRow(tier.get.get(tagId, start) as BucketRow)
    mergeBucket(merged, bucket)
    tier.put.run(tagId, start, ...bucketParameters(merged))
  }

  const seal = (block: OpenBlock, id: number): void => {
    const tagId = block.tag.id
    store.insertBlock.run(id, tagId, block.start, block.count, block.samples.written())
    // Normally a new row; an existing one only if the clock stepped back into this minute.
    mergeInto(store.minute, tagId, block.start, block.bucket)
    const hour = block.start - (block.start % hourMs)
    if (hourRolled(hour, tagId)) mergeInto(store.hour, tagId, hour, block.bucket)
    store.sealTag.run(block.lastSeq, tagId)
  }

  const flush = (): void => {
    queueEndedBlocks(clock())
    const sealing = sealQueue.slice(0, sealPerFlush)
    if (batchCount === 0 && sealing.length === 0 && unsavedTags.length === 0) return
    const firstUnsealed = firstUnsealedSeq(sealing.length)
    const sealedSamples = sealing.reduce((sum, block) => sum + block.count, 0)
    guarded(() =>
      store.db
        .transaction(() => {
          for (const tag of unsavedTags) store.insertTag.run(tag.id, tag.name)
          if (batchCount > 0) store.insertRecent.run(batchFirstSeq, batchCount, batch.written())
          let id = meta.lastBlockId
          for (const block of sealing) seal(block, ++id)
          store.deleteRecent.run(firstUnsealed, firstUnsealed)
          if (sealing.length > 0)
            writeMeta({ lastBlockId: id, sealedSamples: meta.sealedSamples + sealedSamples })
        })
        .immediate(),
    )
    // Only now, with the transaction committed, does memory let go of what it wrote.
    unsavedTags = []
    stats.flushed += batchCount
    stats.flushes++
    batch.clear()
    batchFirstSeq = nextSeq
    batchCount = 0
    batchPreviousTs = 0
    dropping = false
    sealQueue.splice(0, sealing.length)
    meta.sealedSamples += sealedSamples
    meta.lastBlockId += sealing.length
  }

  function runFlush(): void {
    flushTimer?.()
    flushTimer = null
    try {
      flush()
    } catch (error) {
      logger.error('history: flush failed, will retry', { error: describeError(error) })
    }
    // A long seal queue (the minute boundary with many tags) drains over the next flushes.
    if (!disposed && sealQueue.length > 0) flushTimer ??= scheduler.after(historyFlushMs, runFlush)
  }

  // ── maintenance ─────────────────────────────────────────────────────────────────────────────

  /** Hours ending at or before this are complete: every minute in them is sealed. */
  const rollLimit = (): number => {
    const now = clock()
    let limit = now - (now % minuteMs)
    for (const block of sealQueue) limit = Math.min(limit, block.start)
    for (const tag of tags.values()) if (tag.open) limit = Math.min(limit, tag.open.start)
    return limit - (limit % hourMs)
  }

  const setMeta = (values: Partial<Meta>): void => {
    store.db.transaction(() => writeMeta(values)).immediate()
    Object.assign(meta, values)
  }

  /** One bounded step of the hour roll-up; true while there is more to do. */
  const rollHourStep = (): boolean => {
    const limit = rollLimit()
    if (meta.hourNextTag === 0) {
      // Between hours: move to the next hour that has minutes, skipping hours the console was
      // off in one go, but never past the minutes not sealed yet.
      const next =
        store.firstMinuteFrom.get(meta.hourRolledUntil ?? Number.MIN_SAFE_INTEGER) ?? null
      if (next === null && meta.hourRolledUntil === null) return false
      const target = next === null ? limit : Math.min(limit, next - (next % hourMs))
      if (meta.hourRolledUntil === null || target > meta.hourRolledUntil)
        setMeta({ hourRolledUntil: target })
    }
    const hour = meta.hourRolledUntil as number
    if (hour + hourMs > limit) return false
    const tagIds = store.tagsFrom.all(meta.hourNextTag, rollTagsPerStep)
    const next: Partial<Meta> =
      tagIds.length < rollTagsPerStep
        ? { hourRolledUntil: hour + hourMs, hourNextTag: 0 }
        : { hourNextTag: (tagIds.at(-1) as number) + 1 }
    store.db
      .transaction(() => {
        for (const tagId of tagIds) {
          const rows = store.minute.range.all(tagId, hour, hour + hourMs)
          if (rows.length === 0) continue
          const bucket = bucketOfRow(rows[0] as BucketRow)
          for (const row of rows.slice(1)) mergeBucket(bucket, bucketOfRow(row))
          // Replace, not merge: the minutes are the whole truth about the hour, so a step
          // repeated after a crash gives the same row.
          store.hour.put.run(tagId, hour, ...bucketParameters(bucket))
        }
        writeMeta(next)
      })
      .immediate()
    Object.assign(meta, next)
    return true
  }

  /**
   * Deletes up to a step's rows of `tier` that start before `cutoff`, oldest first, stopping once
   * about `bytesWanted` are freed (the disk budget's excess). Returns how many rows went.
   */
  const pruneStep = (
    tier: HistoryTier,
    cutoff: number,
    bytesWanted = Number.POSITIVE_INFINITY,
  ): number => {
    let pruned = 0
    let newest = Number.NEGATIVE_INFINITY
    let dropped = 0
    store.db
      .transaction(() => {
        if (tier === 'raw') {
          let freed = 0
          for (const block of store.oldestBlocks.all(cutoff, pruneRowsPerStep)) {
            if (freed >= bytesWanted) break
            store.removeBlock.run(block.id)
            freed += block.bytes
            pruned++
            if (block.id > meta.syncCursor) dropped += block.count
            newest = Math.max(newest, block.start)
          }
        } else {
          const statements = store[tier]
          const rows = Math.min(pruneRowsPerStep, Math.ceil(bytesWanted / tierRowBytes))
          for (const row of statements.oldest.all(cutoff, rows)) {
            statements.remove.run(row.tag, row.start)
            pruned++
            newest = Math.max(newest, row.start)
          }
        }
        if (pruned === 0) return
        const keptKey = `${tier}KeptFrom` as const
        const keptFrom = Math.max(
          meta[keptKey] ?? Number.NEGATIVE_INFINITY,
          newest + rowSpanMs[tier],
        )
        writeMeta({ [keptKey]: keptFrom, droppedUnsynced: meta.droppedUnsynced + dropped })
        meta[keptKey] = keptFrom
        meta.droppedUnsynced += dropped
      })
      .immediate()
    return pruned
  }

  /** Minutes may go only once their hour is rolled up, or the hour tier would lose them. */
  const minuteCutoff = (cutoff: number): number =>
    meta.hourRolledUntil === null
      ? Number.NEGATIVE_INFINITY
      : Math.min(cutoff, meta.hourRolledUntil)

  /** One bounded step of pruning by age; true while there is more to do. */
  const pruneAgeStep = (): boolean => {
    const now = clock()
    const raw = pruneStep('raw', now - retention.rawMs)
    const minute = pruneStep('minute', minuteCutoff(now - retention.minuteMs))
    const hour = pruneStep('hour', now - retention.hourMs)
    return [raw, minute, hour].some((pruned) => pruned === pruneRowsPerStep)
  }

  const fileBytes = (file: string): number => (existsSync(file) ? statSync(file).size : 0)
  const diskBytes = (): number => fileBytes(path) + fileBytes(`${path}-wal`)

  /**
   * Gives free pages back to the file system (a bounded number: moving pages costs time), so the
   * budget sees the space come back.
   */
  const shrink = (): void => {
    store.db.pragma(`incremental_vacuum(${vacuumPagesPerStep})`)
    store.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  /**
   * One budget step: gives back free pages if there are any (pruning by age leaves them), or else
   * prunes a batch of the finest tier that has something to give.
   */
  const budgetStep = (
    pruned: Record<HistoryTier, number>,
  ): 'under' | 'shrunk' | 'pruned' | 'exhausted' => {
    if (budgetBytes === null || diskBytes() <= budgetBytes) return 'under'
    // The -wal may be holding the excess; give it back before deleting anything.
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    if (diskBytes() <= budgetBytes) return 'under'
    if ((store.db.pragma('freelist_count', { simple: true }) as number) > 0) {
      shrink()
      return 'shrunk'
    }
    const cutoffs: Record<HistoryTier, number> = {
      raw: Number.POSITIVE_INFINITY,
      minute: minuteCutoff(Number.POSITIVE_INFINITY),
      hour: Number.POSITIVE_INFINITY,
    }
    const excess = diskBytes() - budgetBytes
    for (const tier of historyTiers) {
      const rows = pruneStep(tier, cutoffs[tier], excess)
      if (rows === 0) continue
      pruned[tier] += rows
      shrink()
      return 'pruned'
    }
    return 'exhausted'
  }

  /** Lets flushes and requests in between steps. */
  const yieldToIngest = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  const enforceBudget = async (): Promise<BudgetReport> => {
    const bytesBefore = diskBytes()
    const pruned: Record<HistoryTier, number> = { raw: 0, minute: 0, hour: 0 }
    let outcome: ReturnType<typeof budgetStep> = 'under'
    while (!disposed) {
      outcome = guarded(() => budgetStep(pruned))
      if (outcome === 'under' || outcome === 'exhausted') break
      if (outcome === 'pruned' && budgetState === 'within') {
        logger.warn('history over its disk budget: pruning the oldest raw samples first', {
          budgetBytes,
          bytes: bytesBefore,
        })
        budgetState = 'pruning'
      }
      await yieldToIngest()
    }
    // Said once when it happens, not at every maintenance run while it lasts.
    if (outcome === 'exhausted' && budgetState !== 'exhausted') {
      logger.error('history cannot fit its disk budget even with every tier pruned', {
        budgetBytes,
        bytes: diskBytes(),
      })
      budgetState = 'exhausted'
    }
    if (outcome === 'under' && budgetState !== 'within') {
      logger.info('history is within its disk budget again', { pruned, bytes: diskBytes() })
      budgetState = 'within'
    }
    return { bytesBefore, bytesAfter: diskBytes(), pruned, underBudget: outcome === 'under' }
  }

  const usage = (): HistoryUsage => {
    const bytes = diskBytes()
    const fraction = budgetBytes === null ? null : bytes / budgetBytes
    return {
      bytes,
      budgetBytes,
      fraction,
      warning: fraction !== null && fraction >= historyWarningFraction,
      keptFrom: { raw: meta.rawKeptFrom, minute: meta.minuteKeptFrom, hour: meta.hourKeptFrom },
    }
  }

  const runMaintenance = async (): Promise<void> => {
    runFlush()
    while (!disposed && guarded(rollHourStep)) await yieldToIngest()
    while (!disposed && guarded(pruneAgeStep)) await yieldToIngest()
    if (budgetBytes !== null && !disposed) await enforceBudget()
    const { warning, fraction } = usage()
    if (warning && !warned) logger.warn('history has used 80 % of its disk budget', { fraction })
    warned = warning
  }

  /** One run at a time: a call while one is under way gets that run. */
  const maintain = (): Promise<void> => {
    // Cleared in a later microtask, after the assignment, even when the run finishes at once.
    maintenance ??= runMaintenance().finally(() => {
      maintenance = null
    })
    return maintenance
  }

  const stopMaintenance = every(scheduler, historyMaintenanceMs, maintain, (error) =>
    logger.error('history maintenance failed', { error: describeError(error) }),
  )

  // ── reading ─────────────────────────────────────────────────────────────────────────────────

  /** The tag's blocks still in memory: the open one and those waiting to be sealed. */
  const blocksInMemory = (tag: TagState): OpenBlock[] => {
    const blocks = sealQueue.filter((block) => block.tag === tag)
    if (tag.open) blocks.push(tag.open)
    return blocks
  }

  const rawReadings = (tag: TagState, from: number, to: number): Sample[] => {
    const readings: Sample[] = []
    const take = (samples: Sample[]): void => {
      for (const sample of samples) if (sample.ts >= from && sample.ts < to) readings.push(sample)
    }
    for (const row of store.blocksOfTag.iterate(tag.id, from - (from % minuteMs), to))
      take(readBlock(row.samples, row.start))
    for (const block of blocksInMemory(tag))
      if (block.start + minuteMs > from && block.start < to)
        take(readBlock(block.samples.written(), block.start))
    // Blocks are in minute order; readings of one minute from a stepped-back clock may not be.
    for (let index = 1; index < readings.length; index++) {
      if ((readings[index] as Sample).ts < (readings[index - 1] as Sample).ts) {
        readings.sort((a, b) => a.ts - b.ts)
        break
      }
    }
    return readings
  }

  const tierRows = (
    tier: 'minute' | 'hour',
    tag: TagState,
    from: number,
    to: number,
  ): TierRow[] => {
    const width = tierWidthMs[tier]
    const rows: TierRow[] = store[tier].range
      .all(tag.id, from - (from % width), to)
      .map((row) => ({ start: row.start, bucket: bucketOfRow(row) }))
    if (tier === 'hour') return rows
    // The minutes not sealed yet come from memory, so the tier reaches up to now.
    for (const block of blocksInMemory(tag)) {
      if (block.start < from - (from % width) || block.start >= to) continue
      const same = rows.find((row) => row.start === block.start)
      if (same) {
        same.bucket = copyBucket(same.bucket)
        mergeBucket(same.bucket, block.bucket)
      } else rows.push({ start: block.start, bucket: copyBucket(block.bucket) })
    }
    return rows.sort((a, b) => a.start - b.start)
  }

  const query = (request: HistoryQuery): HistoryQueryResult => {
    const { tagIds, from, to, maxPoints } = historyQuerySchema.parse(request)
    const pointMs = pointWidthMs(from, to, maxPoints)
    const coverage: Record<HistoryTier, TierCoverage> = {
      raw: { from: meta.rawKeptFrom ?? Number.NEGATIVE_INFINITY, until: Number.POSITIVE_INFINITY },
      minute: {
        from: meta.minuteKeptFrom ?? Number.NEGATIVE_INFINITY,
        until: Number.POSITIVE_INFINITY,
      },
      hour: {
        from: meta.hourKeptFrom ?? Number.NEGATIVE_INFINITY,
        until: meta.hourRolledUntil ?? Number.NEGATIVE_INFINITY,
      },
    }
    const segments = planSegments(from, to, tierForPoint(pointMs), coverage)
    const pointsOf = (tag: TagState, segment: HistorySegment): TrendPoint[] =>
      segment.tier === 'raw'
        ? pointsOfReadings(
            rawReadings(tag, segment.from, segment.to),
            segment.from,
            segment.to,
            pointMs,
          )
        : pointsOfTierRows(
            tierRows(segment.tier, tag, segment.from, segment.to),
            segment.tier,
            pointMs,
          )
    const series = tagIds.map((tagId) => {
      const tag = tags.get(tagId)
      const points = tag ? segments.flatMap((segment) => pointsOf(tag, segment)) : []
      return { tagId, segments, points }
    })
    return { from, to, pointMs, series }
  }

  // ── sync ────────────────────────────────────────────────────────────────────────────────────

  const pendingForSync = (limit: number, after = meta.syncCursor): HistorySyncBatch => {
    if (!(limit >= 1))
      throw new Error(`history: pendingForSync needs a limit of at least 1, not ${limit}`)
    const samples: HistorySyncSample[] = []
    let cursor = Math.max(after, meta.syncCursor)
    for (const block of store.blocksAfter.iterate(cursor)) {
      // Whole blocks only, so the cursor (a block id) says exactly what was sent.
      if (samples.length > 0 && samples.length + block.count > limit) break
      const tagId = tagsById.get(block.tag)?.name
      if (tagId === undefined)
        throw new Error(`history: block ${block.id} has unknown tag ${block.tag}`)
      for (const sample of readBlock(block.samples, block.start)) samples.push({ tagId, ...sample })
      cursor = block.id
    }
    return { samples, cursor }
  }

  const markSynced = (cursor: number): void => {
    if (cursor <= meta.syncCursor) return
    // Marking past the last block would silently skip blocks not sealed yet.
    if (cursor > meta.lastBlockId)
      throw new Error(
        `history: sync cursor ${cursor} was never handed out (last block ${meta.lastBlockId})`,
      )
    const synced = store.countBetween.get(meta.syncCursor, cursor) ?? 0
    store.db
      .transaction(() =>
        writeMeta({ syncCursor: cursor, syncedSamples: meta.syncedSamples + synced }),
      )
      .immediate()
    meta.syncCursor = cursor
    meta.syncedSamples += synced
  }

  const syncBacklog = (): HistorySyncBacklog => {
    let unsealedSamples = sealQueue.reduce((sum, block) => sum + block.count, 0)
    for (const tag of tags.values()) unsealedSamples += tag.open?.count ?? 0
    return {
      pendingSamples: meta.sealedSamples - meta.syncedSamples - meta.droppedUnsynced,
      unsealedSamples,
      oldestPendingTs: store.firstBlockAfter.get(meta.syncCursor) ?? null,
      droppedUnsynced: meta.droppedUnsynced,
    }
  }

  return {
    record,
    query: (request) => guarded(() => query(request)),
    pendingForSync: (limit, after) => guarded(() => pendingForSync(limit, after)),
    markSynced: (cursor) => guarded(() => markSynced(cursor)),
    syncBacklog: () => guarded(syncBacklog),
    usage,
    enforceBudget,
    maintain,
    stats: () => ({ ...stats, sealQueue: sealQueue.length }),
    recovery: () => lastRecovery,
    dispose: async () => {
      if (disposed) return
      disposed = true
      stopMaintenance()
      flushTimer?.()
      flushTimer = null
      // A failed run was reported by whoever awaited it; dispose still has to close.
      await maintenance?.catch(() => {})
      try {
        // What is still unsealed stays in raw_recent and is replayed at the next open.
        flush()
      } catch (error) {
        logger.error('history: last flush failed', { error: describeError(error) })
      } finally {
        store.db.close()
      }
    },
  }
}
