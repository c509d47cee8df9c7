import type { HistorySample } from '../../shared/sync/protocol'
import { historyBody, samplesJson, type Envelope, type HistoryBatch } from './batches'
import type { HistoryFeed } from './history-feed'
import type { SyncStore } from './sync-store'

/** History batches read from the feed at once: the feed is marked only when all are settled. */
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
 * The history stream's batches. The feed can only be read from its oldest unsynced sample and
 * marked by a cursor, so samples are read several batches at a time and cut into batches in memory:
 * then the next batch can be prepared while one is on the wire, and each batch is cut to fit
 * maxBytes exactly. The feed's cursor is marked once every batch of the read is settled (taken by
 * the central system, or quarantined); a crash before that sends the read again, which the central
 * system deduplicates by (console, tag, ts).
 */
export function createHistoryStream<Cursor>(
  feed: HistoryFeed<Cursor>,
  store: SyncStore,
  maxSamples: number,
) {
  let chunk: Chunk<Cursor> | null = null
  /** Samples that fitted into maxBytes last time: where cutting starts. */
  let fitting = maxSamples

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
        if (!fits || count < fitting) fitting = count
        // Grow back towards maxSamples once batches come out well under the limit.
        else if (encoded.body.length < maxBytes / 2) fitting = Math.min(maxSamples, fitting * 2)
        return {
          stream: 'history',
          batchId: envelope.batchId,
          sampleCount: count,
          ...encoded,
          source: { kind: 'feed', start, end: start + count },
        }
      }
      count = Math.max(1, Math.floor(count * (maxBytes / encoded.body.length) * 0.9))
    }
  }

  return {
    /**
     * The batch to send next: one the operator released from quarantine, else the next of the
     * current read (reading the feed when the last read is settled); null when there is none now.
     * Nothing is taken: `take` does that when it is sent.
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
      if (chunk === null) {
        const { samples, cursor } = feed.pendingForSync(maxSamples * historyBatchesPerRead)
        if (samples.length === 0) return null
        chunk = { cursor, samples, unsent: [[0, samples.length]], outstanding: 0 }
      }
      // The read's last batches may all be on the wire or waiting for a retry.
      return chunk.unsent.length === 0 ? null : cut(chunk, envelope, maxBytes)
    },
    /** Whether `batch` (prepared earlier) is still the next one of the read. */
    isNext: (batch: HistoryBatch): boolean =>
      batch.source.kind === 'feed' && chunk?.unsent[0]?.[0] === batch.source.start,
    /** `batch` is being sent: its samples are no longer unsent. */
    take: (batch: HistoryBatch): void => {
      if (batch.source.kind !== 'feed' || chunk === null) return
      const front = chunk.unsent[0] as [number, number]
      front[0] = batch.source.end
      if (front[0] === front[1]) chunk.unsent.shift()
      chunk.outstanding += 1
    },
    /** The central system took `batch`, or it is safe in quarantine. */
    settled: (batch: HistoryBatch): void => {
      if (batch.source.kind === 'quarantine') {
        store.historyRetried(batch.batchId)
        return
      }
      if (chunk === null) return
      chunk.outstanding -= 1
      if (chunk.unsent.length === 0 && chunk.outstanding === 0) {
        feed.markSynced(chunk.cursor)
        chunk = null
      }
    },
    /** `batch` will not be retried as it is (the journal comes first): its samples are unsent again. */
    giveBack: (batch: HistoryBatch): void => {
      if (batch.source.kind !== 'feed' || chunk === null) return
      chunk.unsent.unshift([batch.source.start, batch.source.end])
      chunk.outstanding -= 1
    },
    /** Forgets the current read: the next batch reads the feed again from its oldest unsynced sample. */
    reset: (): void => {
      chunk = null
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
