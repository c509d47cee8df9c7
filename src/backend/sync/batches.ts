import type { HistorySample } from '../../shared/sync/protocol'
import type { JournalRow } from '../store/journal'
import { eventJson } from './sync-store'

/** The envelope fields every batch carries (docs/sync-protocol.md). */
export type Envelope = { consoleId: string; siteId: string; batchId: string }

/** A journal batch ready to send, and kept as it is for every retry. */
export type JournalBatch = {
  stream: 'journal'
  batchId: string
  /** seq ascending; empty for a heartbeat. */
  events: { seq: number; id: string }[]
  body: Buffer
}

/** A history batch ready to send: part of a read from the history feed, or a released quarantined one. */
export type HistoryBatch = {
  stream: 'history'
  batchId: string
  samplesJson: string
  sampleCount: number
  firstTs: number | null
  lastTs: number | null
  body: Buffer
  /** For the feed: which samples of the current read ([start, end)). */
  source: { kind: 'feed'; start: number; end: number } | { kind: 'quarantine' }
}

const head = (envelope: Envelope, list: 'events' | 'samples'): string =>
  `{"consoleId":${JSON.stringify(envelope.consoleId)},"siteId":${JSON.stringify(envelope.siteId)},` +
  `"batchId":${JSON.stringify(envelope.batchId)},"${list}":`

/**
 * The longest prefix of `rows` (seq ascending) whose batch stays within `maxBytes` of UTF-8 JSON,
 * but at least one event: an event larger than the limit travels alone, and the central system
 * decides (413 is handled by the engine).
 */
export function journalBatch(
  rows: readonly JournalRow[],
  envelope: Envelope,
  maxBytes: number,
): JournalBatch {
  const opening = `${head(envelope, 'events')}[`
  let bytes = Buffer.byteLength(opening) + 2
  const parts: string[] = []
  const events: JournalBatch['events'] = []
  for (const row of rows) {
    const json = eventJson(row)
    const size = Buffer.byteLength(json) + (parts.length > 0 ? 1 : 0)
    if (parts.length > 0 && bytes + size > maxBytes) break
    parts.push(json)
    events.push({ seq: row.seq, id: row.id })
    bytes += size
  }
  return {
    stream: 'journal',
    batchId: envelope.batchId,
    events,
    body: Buffer.from(`${opening}${parts.join(',')}]}`),
  }
}

/** The samples as the wire carries them: exactly the four fields, whatever else the store holds. */
export function samplesJson(samples: readonly HistorySample[]): {
  json: string
  firstTs: number | null
  lastTs: number | null
} {
  let firstTs: number | null = null
  let lastTs: number | null = null
  const picked = samples.map(({ tagId, ts, value, quality }) => {
    if (firstTs === null || ts < firstTs) firstTs = ts
    if (lastTs === null || ts > lastTs) lastTs = ts
    return { tagId, ts, value, quality }
  })
  return { json: JSON.stringify(picked), firstTs, lastTs }
}

export function historyBody(envelope: Envelope, samplesJson: string): Buffer {
  return Buffer.from(`${head(envelope, 'samples')}${samplesJson}}`)
}
