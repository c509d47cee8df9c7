import type { HistorySample } from '../../shared/sync/protocol'
import { historyBody, samplesJson, type Envelope, type HistoryBatch } from './batches'
import type { HistoryFeed } from './history-feed'
import type { SyncStore } from './sync-store'

/**
 * History batches read from the feed at once when it cannot read ahead: the feed is marked only
 * when all are settled, and the next batch is prepared from the same read.
 */
const historyBatchesPerRead = 4

type Chunk<Cursor> = {
  cursor: Cursor
  samples: readonly HistorySample[]
  /** [start, end) ranges of `samples` not yet sent, in order. */
  unsent: [number, number][]
  /** Batches of this chunk sent (or waiting for a retry) and not yet settled. */
  outstanding: number
}

/**
 * The history stream's batches. Samples are read from the feed, cut into batches in memory (each
 * cut to fit maxBytes exactly), and the read's cursor is marked once every batch of it is settled
 * (taken by the central system, or quarantined); a crash before that sends the read again, which
 * the central system deduplicates by (console, tag, ts).
 *
 * A feed that cannot read ahead is read from its last mark only, so it is read four batches at a
 * time: the next batch can then be prepared while one is on the wire, but each read waits for the
 * previous one to be settled. A feed that reads ahead (HistoryFeed.readsAhead) is read a batch at
 * a time (the samples that fitted last time), and the next read is made past the current one's
 * cursor while the current one is on the wire, so reading the store overlaps the central system's
 * storing and no stretch of work blocks the event loop for long. At most one read is held ahead,
 * and its batches go only after the current read is marked. Any failure drops it: the failed batch
 * goes again as it was (or its samples are cut again, after a 413 or when the journal comes
 * first), and what follows is read again; a failure sync cannot settle (reset) forgets the current
 * read too, and reading starts over from the last marked cursor. So what is sent, and in which
 * order, is what it would be without reading ahead.
 *
 *   nothing read ──read──► current ──last batch on the wire: read ahead──► current + ahead
 *        ▲                  ▲  ▲                                             │  │
 *        │                  │  └────── failure: the read ahead is dropped ───┘  │
 *        │                  └───────── current marked: ahead becomes current ───┘
 *        └──────────────────────────── current marked, nothing ahead; or reset
 */
export function createHistoryStream<Cursor>(
  feed: HistoryFeed<Cursor>,
  store: SyncStore,
  maxSamples: number,
) {
  const readsAhead = feed.readsAhead === true
  /** The current read (oldest unmarked samples) first, then at most one read ahead of it. */
  const reads: Chunk<Cursor>[] = []
  /** Which read each batch cut from the feed belongs to. */
  const readOf = new WeakMap<HistoryBatch, Chunk<Cursor>>()
  /** Samples that fitted into maxBytes last time: where cutting starts. */
  let fitting = maxSamples

  const dropReadAhead = (): void => {
    reads.length = Math.min(reads.length, 1)
  }

  /** Reads the feed from its last mark, or ahead `after` the current read; null when it is empty. */
  const read = (after?: Cursor): Chunk<Cursor> | null => {
    const limit = readsAhead ? fitting : maxSamples * historyBatchesPerRead
    const { samples, cursor } =
      after === undefined ? feed.pendingForSync(limit) : feed.pendingForSync(limit, after)
    if (samples.length === 0) return null
    const chunk: Chunk<Cursor> = { cursor, samples, unsent: [[0, samples.length]], outstanding: 0 }
    reads.push(chunk)
    return chunk
  }

  /** The read the next batch comes from, reading the feed (ahead, when it can) as needed. */
  const source = (): Chunk<Cursor> | null => {
    const [current, ahead] = reads
    if (current === undefined) return read()
    if (current.unsent.length > 0) return current
    if (ahead !== undefined) return ahead
    // Every batch of the current read is on the wire or waiting for a retry.
    return readsAhead ? read(current.cursor) : null
  }

  const encode = (
    envelope: Envelope,
    samples: readonly HistorySample[],
  ): Pick<HistoryBatch, 'samplesJson' | 'firstTs' | 'lastTs' | 'body'> => {
    const encoded = samplesJson(samples)
    return {
      samplesJson: encoded.json,
      firstTs: encoded.firstTs,
      lastTs: encoded.lastTs,
      body: historyBody(envelope, encoded.json),
    }
  }

  /** The next batch of the current read, cut to fit maxBytes (one sample at least); not taken yet. */
  const cut = (current: Chunk<Cursor>, envelope: Envelope, maxBytes: number): HistoryBatch => {
    const [start, end] = current.unsent[0] as [number, number]
    let count = Math.min(end - start, fitting)
    // Bounded: each pass scales the count by the bytes it overshot, so one or two passes do.
    for (let pass = 1; ; pass++) {
      const encoded = encode(envelope, current.samples.slice(start, start + count))
      const fits = encoded.body.length <= maxBytes
      if (fits || count === 1 || pass === 8) {
        // Only a count cut down for its bytes says what fits: the last samples of a read are
        // merely fewer (taking them as the measure shrank the batches after each read's end).
        if (!fits || pass > 1) fitting = count
        // Grow back towards maxSamples once twice as many samples would still fit.
        else if ((encoded.body.length / count) * fitting * 2 <= maxBytes)
          fitting = Math.min(maxSamples, fitting * 2)
        const batch: HistoryBatch = {
          stream: 'history',
          batchId: envelope.batchId,
          sampleCount: count,
          ...encoded,
          source: { kind: 'feed', start, end: start + count },
        }
        readOf.set(batch, current)
        return batch
      }
      count = Math.max(1, Math.floor(count * (maxBytes / encoded.body.length) * 0.9))
    }
  }

  return {
    /**
     * The batch to send next: one the operator released from quarantine, else the next of the
     * current read (reading the feed when the last read is settled), else, while the current
     * read's last batches are on the wire, the first of the read ahead; null when there is none
     * now. Nothing is taken: `take` does that when it is sent.
     */
    next: (
      envelope: Envelope,
      maxBytes: number,
      options = { released: true },
    ): HistoryBatch | null => {
      const released = options.released ? store.historyRetry() : null
      if (released !== null)
        return {
          stream: 'history',
          ...released,
          body: historyBody({ ...envelope, batchId: released.batchId }, released.samplesJson),
          source: { kind: 'quarantine' },
        }
      const from = source()
      return from === null ? null : cut(from, envelope, maxBytes)
    },
    /** Whether `batch` (prepared earlier) is still the next one of the current read. */
    isNext: (batch: HistoryBatch): boolean =>
      batch.source.kind === 'feed' &&
      readOf.get(batch) === reads[0] &&
      reads[0]?.unsent[0]?.[0] === batch.source.start,
    /** `batch` is being sent: its samples are no longer unsent. */
    take: (batch: HistoryBatch): void => {
      const from = readOf.get(batch)
      if (batch.source.kind !== 'feed' || from === undefined || !reads.includes(from)) return
      const front = from.unsent[0] as [number, number]
      front[0] = batch.source.end
      if (front[0] === front[1]) from.unsent.shift()
      from.outstanding += 1
    },
    /** The central system took `batch`, or it is safe in quarantine. */
    settled: (batch: HistoryBatch): void => {
      if (batch.source.kind === 'quarantine') {
        store.historyRetried(batch.batchId)
        return
      }
      const from = readOf.get(batch)
      if (from === undefined || !reads.includes(from)) return
      from.outstanding -= 1
      // Reads are marked in order: the one ahead only after the current one.
      for (let oldest = reads[0]; oldest !== undefined; oldest = reads[0]) {
        if (oldest.unsent.length > 0 || oldest.outstanding > 0) break
        feed.markSynced(oldest.cursor)
        reads.shift()
      }
    },
    /** `batch` will not be retried as it is (the journal comes first): its samples are unsent again. */
    giveBack: (batch: HistoryBatch): void => {
      const from = readOf.get(batch)
      if (batch.source.kind !== 'feed' || from === undefined || !reads.includes(from)) return
      from.unsent.unshift([batch.source.start, batch.source.end])
      from.outstanding -= 1
      dropReadAhead()
    },
    /** A batch failed: what was read ahead is forgotten, and read again when it is next needed. */
    dropReadAhead,
    /** Forgets every read: the next batch reads the feed again from its last marked cursor. */
    reset: (): void => {
      reads.length = 0
    },
    /** After a 413: batches of half the size from now on; false when `batch` cannot be cut. */
    shrink: (batch: HistoryBatch): boolean => {
      if (batch.source.kind !== 'feed' || batch.sampleCount <= 1) return false
      fitting = Math.max(1, Math.floor(batch.sampleCount / 2))
      return true
    },
  }
}

export type HistoryStream = ReturnType<typeof createHistoryStream>
