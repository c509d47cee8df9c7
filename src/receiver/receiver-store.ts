import { createHash } from 'node:crypto'
import BetterSqlite3 from 'better-sqlite3'
import { CanonicalJsonError, canonicalJson } from '../shared/journal/canonical-json'
import { chainHash } from '../shared/journal/chain'
import { genesisHash, journalEventSchema, type JournalEvent } from '../shared/journal/event'
import { qualitySchema } from '../shared/field/values'
import type { HistoryAck, HistorySample, JournalAck } from '../shared/sync/protocol'

// The reference receiver's storage (docs/sync-protocol.md): journal events per console, keyed by
// seq and deduplicated by event id, with the hash chain checked wherever neighbours are present;
// history samples deduplicated by (console, tag, ts). One SQLite file, WAL with synchronous=FULL,
// because an acknowledgement promises that what it names is stored for good.

const schemaVersion = 1

const schema = `
  CREATE TABLE consoles (
    console_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    first_contact_at TEXT NOT NULL,
    last_contact_at TEXT NOT NULL
  ) STRICT;

  -- arrival is the order events reached this receiver; (console_id, seq) their order in the journal.
  CREATE TABLE events (
    arrival INTEGER PRIMARY KEY,
    console_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    type TEXT NOT NULL,
    incident_id TEXT,
    actor TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (console_id, seq)
  ) STRICT;

  CREATE TABLE history_tags (
    tag_key INTEGER PRIMARY KEY,
    console_id TEXT NOT NULL,
    tag_id TEXT NOT NULL,
    UNIQUE (console_id, tag_id)
  ) STRICT;

  -- Keyed by tag, then time: a console sends each tag's samples of a minute together (its history
  -- store seals them so), which this key stores side by side, and a trend reads them back that way.
  -- Small integer codes rather than words keep rows short, which halves the cost of storing them:
  -- value_kind 0 null, 1 number, 2 boolean (stored as 0 or 1), 3 string;
  -- quality 0 good, 1 uncertain, 2 bad, 3 stale.
  CREATE TABLE history_samples (
    tag_key INTEGER NOT NULL REFERENCES history_tags (tag_key),
    ts INTEGER NOT NULL,
    value ANY,
    value_kind INTEGER NOT NULL CHECK (value_kind BETWEEN 0 AND 3),
    quality INTEGER NOT NULL CHECK (quality BETWEEN 0 AND 3),
    PRIMARY KEY (tag_key, ts)
  ) STRICT, WITHOUT ROWID;
`

/** An event as the receiver holds it. */
export type StoredEvent = JournalEvent & { arrival: number; batchId: string }

export type IncomingBatch = { consoleId: string; siteId: string; batchId: string }

/** Test-only changes to how a batch is taken (ReceiverFault in ./faults). */
export type IngestAlterations = {
  /** Take only the first n events or samples; the answer names only those. */
  take?: number
  /** Reject the events with these seqs with this reason, storing nothing of them. */
  reject?: { seqs: readonly number[]; reason: string }
}

export type ReceiverStore = {
  /**
   * Takes a batch's events in order, in one transaction, and says what became of each; throws a
   * BatchRefusal when the batch as a whole is unusable (journalBatchProblem).
   */
  ingestJournal: (
    batch: IncomingBatch,
    events: readonly unknown[],
    alter?: IngestAlterations,
  ) => JournalAck
  /** Stores a batch's (already validated) samples in one transaction. */
  ingestHistory: (
    batch: IncomingBatch,
    samples: readonly HistorySample[],
    alter?: IngestAlterations,
  ) => HistoryAck
  /** A console's events in seq order. */
  events: (consoleId: string) => StoredEvent[]
  /** A console's samples in (ts, tag) order. */
  history: (consoleId: string) => HistorySample[]
  historyCount: (consoleId: string) => number
  close: () => void
}

type EventRow = {
  arrival: number
  console_id: string
  seq: number
  id: string
  ts: string
  type: string
  incident_id: string | null
  actor: string
  data: string
  prev_hash: string
  hash: string
  batch_id: string
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** Rows per multi-row INSERT, largest first: one call per thousand samples, not per sample. */
const sampleRowsPerInsert = [1_000, 100, 10, 1]

/** The codes of history_samples.value_kind and .quality: their index here. */
const valueKinds = ['null', 'number', 'boolean', 'string']
const qualities = qualitySchema.options

/** What became of one event of a batch. */
type Outcome = 'accepted' | 'duplicate' | { reason: string }

export function openReceiverStore(path: string): ReceiverStore {
  const db = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > schemaVersion) {
    db.close()
    throw new Error(`${path} has receiver schema ${version}; this receiver knows ${schemaVersion}`)
  }
  if (version === 0)
    db.transaction(() => {
      db.exec(schema)
      db.pragma(`user_version = ${schemaVersion}`)
    }).immediate()

  const upsertConsole = db.prepare(
    `INSERT INTO consoles (console_id, site_id, first_contact_at, last_contact_at)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (console_id) DO UPDATE SET site_id = excluded.site_id,
       last_contact_at = excluded.last_contact_at`,
  )
  const selectById = db.prepare<[string], Pick<EventRow, 'console_id' | 'hash'>>(
    'SELECT console_id, hash FROM events WHERE id = ?',
  )
  const selectBySeq = db.prepare<[string, number], Pick<EventRow, 'id' | 'hash' | 'prev_hash'>>(
    'SELECT id, hash, prev_hash FROM events WHERE console_id = ? AND seq = ?',
  )
  const selectHighestSeq = db
    .prepare<[string], number | null>('SELECT max(seq) FROM events WHERE console_id = ?')
    .pluck()
  // DO NOTHING on a clash: of an id stored under another seq, the only one possible where it is used.
  const insertEvent = db.prepare(
    `INSERT INTO events (console_id, seq, id, ts, type, incident_id, actor, data, prev_hash, hash,
       batch_id, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  )
  const selectEvents = db.prepare<[string], EventRow>(
    'SELECT * FROM events WHERE console_id = ? ORDER BY seq',
  )
  const insertTag = db.prepare(
    'INSERT INTO history_tags (console_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  )
  const selectTag = db
    .prepare<[string, string], number>(
      'SELECT tag_key FROM history_tags WHERE console_id = ? AND tag_id = ?',
    )
    .pluck()
  // Statements for 1000, 100, 10 and 1 rows: any batch goes in with few calls, each with a
  // parameter array that is filled again rather than allocated per sample.
  const sampleInserts = sampleRowsPerInsert.map((rows) => ({
    rows,
    statement: db.prepare(
      `INSERT OR IGNORE INTO history_samples (ts, tag_key, value, value_kind, quality)
     VALUES ${Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}`,
    ),
    parameters: new Array<number | string | null>(rows * 5),
  }))
  const selectHistory = db.prepare<
    [string],
    {
      tag_id: string
      ts: number
      value: number | string | null
      value_kind: number
      quality: number
    }
  >(
    `SELECT tag_id, ts, value, value_kind, quality FROM history_samples JOIN history_tags
     USING (tag_key) WHERE console_id = ? ORDER BY ts, tag_key`,
  )
  const countHistory = db
    .prepare<[string], number>(
      `SELECT count(*) FROM history_samples JOIN history_tags USING (tag_key)
       WHERE console_id = ?`,
    )
    .pluck()
  /** console → tag → key; tags are few and asked for ten thousand times per batch. */
  const tagKeys = new Map<string, Map<string, number>>()

  const tagKey = (consoleId: string, tagId: string): number => {
    let tags = tagKeys.get(consoleId)
    if (tags === undefined) tagKeys.set(consoleId, (tags = new Map()))
    let key = tags.get(tagId)
    if (key === undefined) {
      insertTag.run(consoleId, tagId)
      key = selectTag.get(consoleId, tagId) as number
      tags.set(tagId, key)
    }
    return key
  }

  /** Why the event's own hash is wrong, or null. */
  const hashProblem = (event: JournalEvent): string | null => {
    let hash: string
    try {
      hash = chainHash(event, sha256Hex)
    } catch (error) {
      if (!(error instanceof CanonicalJsonError)) throw error
      return `data is not canonical JSON: ${error.message}`
    }
    return hash === event.hash ? null : 'hash does not match the contents of the event'
  }

  const unlinked = (event: JournalEvent, previous: { hash: string } | undefined): string | null => {
    if (previous === undefined || previous.hash === event.prevHash) return null
    return event.seq === 1
      ? 'prevHash of seq 1 is not the genesis hash'
      : `prevHash does not match the hash of seq ${event.seq - 1}`
  }

  /** What to answer for an event already stored under its id. */
  const storedAlready = (consoleId: string, event: JournalEvent): Outcome => {
    const stored = selectById.get(event.id)
    if (stored?.console_id === consoleId && stored.hash === event.hash) return 'duplicate'
    return { reason: 'conflicts with a different event already stored under this id' }
  }

  /**
   * Where the console's stored events may already hold this seq, its neighbours or its id: a
   * retry, a duplicate, or an event released from quarantine into a gap. Checked against what is
   * stored on both sides.
   */
  const takeAmongStored = (
    consoleId: string,
    event: JournalEvent,
    store: (event: JournalEvent) => boolean,
  ): Outcome => {
    if (selectById.get(event.id)) return storedAlready(consoleId, event)
    const problem = hashProblem(event)
    if (problem !== null) return { reason: problem }
    const holder = selectBySeq.get(consoleId, event.seq)
    if (holder) return { reason: `seq ${event.seq} is already held by event ${holder.id}` }
    const previous =
      event.seq === 1 ? { hash: genesisHash } : selectBySeq.get(consoleId, event.seq - 1)
    const broken = unlinked(event, previous)
    if (broken !== null) return { reason: broken }
    const next = selectBySeq.get(consoleId, event.seq + 1)
    if (next && next.prev_hash !== event.hash)
      return { reason: `seq ${event.seq + 1}, already stored, does not link to this event` }
    return store(event) ? 'accepted' : storedAlready(consoleId, event)
  }

  const ingestJournal = db.transaction(
    (batch: IncomingBatch, events: readonly unknown[], alter: IngestAlterations): JournalAck => {
      const now = new Date().toISOString()
      upsertConsole.run(batch.consoleId, batch.siteId, now, now)
      const ack: JournalAck = { accepted: [], duplicate: [], rejected: [] }
      const rejectSeqs = new Set(alter.reject?.seqs ?? [])
      const store = (event: JournalEvent): boolean =>
        insertEvent.run(
          batch.consoleId,
          event.seq,
          event.id,
          event.ts,
          event.type,
          event.incidentId,
          event.actor,
          canonicalJson(event.data),
          event.prevHash,
          event.hash,
          batch.batchId,
          now,
        ).changes === 1
      // The usual batch continues the console's chain past everything stored: then its seqs are
      // free, nothing stored follows them, and the predecessor is the event just taken (or the
      // stored head), so one INSERT per event does.
      let highest = selectHighestSeq.get(batch.consoleId) ?? 0
      let last: { seq: number; hash: string } | null = null
      for (const candidate of events.slice(0, alter.take ?? events.length)) {
        const parsed = journalEventSchema.safeParse(candidate)
        if (!parsed.success) {
          const issues = parsed.error.issues
            .map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`)
            .join('; ')
          // journalBatchProblem made sure every event has an id.
          ack.rejected.push({
            id: idOf(candidate) as string,
            reason: `malformed event (${issues})`,
          })
          continue
        }
        const event = parsed.data
        if (alter.reject && rejectSeqs.has(event.seq)) {
          ack.rejected.push({ id: event.id, reason: alter.reject.reason })
          continue
        }
        let outcome: Outcome
        if (event.seq > highest) {
          const previous =
            event.seq === 1
              ? { hash: genesisHash }
              : last?.seq === event.seq - 1
                ? last
                : selectBySeq.get(batch.consoleId, event.seq - 1)
          const problem = hashProblem(event) ?? unlinked(event, previous)
          outcome =
            problem !== null
              ? { reason: problem }
              : store(event)
                ? 'accepted'
                : storedAlready(batch.consoleId, event)
        } else outcome = takeAmongStored(batch.consoleId, event, store)
        if (outcome === 'accepted') {
          ack.accepted.push(event.id)
          if (event.seq > highest) highest = event.seq
          last = { seq: event.seq, hash: event.hash }
        } else if (outcome === 'duplicate') ack.duplicate.push(event.id)
        else ack.rejected.push({ id: event.id, reason: outcome.reason })
      }
      return ack
    },
  )

  const ingestHistory = db.transaction(
    (batch: IncomingBatch, samples: readonly HistorySample[], alter: IngestAlterations) => {
      const now = new Date().toISOString()
      upsertConsole.run(batch.consoleId, batch.siteId, now, now)
      const count = Math.min(samples.length, alter.take ?? samples.length)
      let accepted = 0
      let index = 0
      for (const { rows, statement, parameters } of sampleInserts) {
        for (; index + rows <= count; index += rows) {
          for (let row = 0; row < rows; row++) {
            const { tagId, ts, value, quality } = samples[index + row] as HistorySample
            const at = row * 5
            parameters[at] = ts
            parameters[at + 1] = tagKey(batch.consoleId, tagId)
            // SQLite has no booleans: 0 and 1, told apart from numbers by value_kind.
            parameters[at + 2] = typeof value === 'boolean' ? Number(value) : value
            parameters[at + 3] = valueKinds.indexOf(value === null ? 'null' : typeof value)
            parameters[at + 4] = qualities.indexOf(quality)
          }
          accepted += statement.run(parameters).changes
        }
      }
      return { accepted, duplicate: count - accepted }
    },
  )

  return {
    ingestJournal: (batch, events, alter = {}) => {
      const problem = journalBatchProblem(events)
      if (problem !== null) throw new BatchRefusal(problem)
      return ingestJournal.immediate(batch, events, alter)
    },
    ingestHistory: (batch, samples, alter = {}) => ingestHistory.immediate(batch, samples, alter),
    events: (consoleId) =>
      selectEvents.all(consoleId).map((row) => ({
        id: row.id,
        seq: row.seq,
        ts: row.ts,
        type: row.type,
        incidentId: row.incident_id,
        actor: row.actor,
        data: JSON.parse(row.data) as Record<string, unknown>,
        prevHash: row.prev_hash,
        hash: row.hash,
        arrival: row.arrival,
        batchId: row.batch_id,
      })),
    history: (consoleId) =>
      selectHistory.all(consoleId).map((row) => ({
        tagId: row.tag_id,
        ts: row.ts,
        value: valueKinds[row.value_kind] === 'boolean' ? row.value === 1 : row.value,
        quality: qualities[row.quality] as HistorySample['quality'],
      })),
    historyCount: (consoleId) => countHistory.get(consoleId) ?? 0,
    close: () => db.close(),
  }
}

/** A batch refused whole (HTTP 400), with the words the console quarantines it under. */
export class BatchRefusal extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BatchRefusal'
  }
}

/**
 * What makes a whole journal batch unusable, or null: an event without an id (it could be neither
 * acknowledged nor rejected by name) or events out of seq order.
 */
function journalBatchProblem(events: readonly unknown[]): string | null {
  let previousSeq = 0
  for (const [index, candidate] of events.entries()) {
    if (idOf(candidate) === null) return `events[${index}] has no id`
    const seq = (candidate as { seq?: unknown }).seq
    if (typeof seq !== 'number') continue
    if (seq <= previousSeq) return `events must be in ascending seq order (events[${index}])`
    previousSeq = seq
  }
  return null
}

/** The id of an event that may be malformed, when it has one. */
function idOf(candidate: unknown): string | null {
  if (typeof candidate !== 'object' || candidate === null) return null
  const id = (candidate as { id?: unknown }).id
  return typeof id === 'string' && id.length > 0 ? id : null
}
