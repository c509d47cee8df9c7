import type BetterSqlite3 from 'better-sqlite3'
import { canonicalJson } from '../../shared/journal/canonical-json'
import { sealEvent } from '../../shared/journal/chain'
import {
  genesisHash,
  journalEventInputSchema,
  type JournalEvent,
  type JournalEventInput,
} from '../../shared/journal/event'
import { sha256Hex } from './sha256'
import { createUuidv7, type RandomBytes } from './uuidv7'

export type JournalOptions = {
  /** The console this journal belongs to; a journal refuses to be opened for another. */
  consoleId: string
  /** ms since epoch: the events' ts and their UUIDv7 ids. */
  clock: () => number
  randomBytes?: RandomBytes
}

/**
 * The journal of DESIGN.md §3.4 over a database from openJournalDatabase(). Every method is
 * synchronous: when append() returns, the event and its outbox row are committed together and
 * durable (WAL, synchronous=FULL), and only then may anything tell the operator "saved".
 */
export type Journal = {
  readonly consoleId: string
  /** Appends one event in its own transaction and returns it as committed. */
  append: (input: JournalEventInput) => JournalEvent
  /** Appends events in one transaction: all are committed, or (on a throw) none. */
  appendMany: (inputs: readonly JournalEventInput[]) => JournalEvent[]
  /** The last event, or null while the journal is empty. */
  head: () => JournalEvent | null
  /** Events with fromSeq ≤ seq ≤ toSeq, in seq order. */
  range: (fromSeq: number, toSeq: number) => JournalEvent[]
  byIncident: (incidentId: string) => JournalEvent[]
  /** Events whose type starts with `prefix` (`incident.`), in seq order. */
  byTypePrefix: (prefix: string) => JournalEvent[]
  /**
   * Events with from ≤ ts ≤ to (ms since the epoch), in seq order: the newest `limit` of them when
   * there are more (what happened last matters most to an operator reading a long incident).
   */
  between: (from: number, to: number, limit: number) => JournalEvent[]
  /** The oldest events the central system does not have yet, in seq order (DESIGN.md §3.5). */
  pendingOutbox: (limit: number) => JournalEvent[]
  /** Marks events as held by the central system; returns how many were pending until now. */
  markSynced: (eventIds: readonly string[]) => number
}

/** A journal row as SQLite returns it. */
export type JournalRow = {
  seq: number
  id: string
  ts: string
  type: string
  incident_id: string | null
  actor: string
  /** The canonical JSON of the event's data. */
  data: string
  prev_hash: string
  hash: string
}

export const journalColumns = 'seq, id, ts, type, incident_id, actor, data, prev_hash, hash'

/** Rows written by createJournal; the verifier reads rows without trusting them. */
function eventFromRow(row: JournalRow): JournalEvent {
  return {
    id: row.id,
    seq: row.seq,
    ts: row.ts,
    type: row.type,
    incidentId: row.incident_id,
    actor: row.actor,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

export function createJournal(db: BetterSqlite3.Database, options: JournalOptions): Journal {
  const { consoleId, clock } = options
  const nextId = createUuidv7(options.randomBytes)

  db.prepare("INSERT OR IGNORE INTO journal_meta (name, value) VALUES ('console_id', ?)").run(
    consoleId,
  )
  const owner = db.prepare("SELECT value FROM journal_meta WHERE name = 'console_id'").pluck().get()
  if (owner !== consoleId)
    throw new Error(
      `This journal belongs to console ${String(owner)}, not ${consoleId}: seqs count per console.`,
    )

  const selectHead = db.prepare<[], Pick<JournalRow, 'seq' | 'hash'>>(
    'SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1',
  )
  const insertEvent = db.prepare(
    `INSERT INTO journal (${journalColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertOutbox = db.prepare('INSERT INTO outbox (seq, event_id) VALUES (?, ?)')
  const selectLast = db.prepare<[], JournalRow>(
    `SELECT ${journalColumns} FROM journal ORDER BY seq DESC LIMIT 1`,
  )
  const selectRange = db.prepare<[number, number], JournalRow>(
    `SELECT ${journalColumns} FROM journal WHERE seq BETWEEN ? AND ? ORDER BY seq`,
  )
  const selectIncident = db.prepare<[string], JournalRow>(
    `SELECT ${journalColumns} FROM journal WHERE incident_id = ? ORDER BY seq`,
  )
  // A prefix as a range on the type index: 'incident.' ≤ type < 'incident/' ('/' follows '.').
  const selectTypeRange = db.prepare<[string, string], JournalRow>(
    `SELECT ${journalColumns} FROM journal WHERE type >= ? AND type < ? ORDER BY seq`,
  )
  const selectBetween = db.prepare<[string, string, number], JournalRow>(
    `SELECT ${journalColumns} FROM journal WHERE ts BETWEEN ? AND ? ORDER BY seq DESC LIMIT ?`,
  )
  const selectPending = db.prepare<[number], JournalRow>(
    `SELECT ${journalColumns} FROM outbox JOIN journal USING (seq)
     WHERE outbox.synced_at IS NULL ORDER BY seq LIMIT ?`,
  )
  const updateSynced = db.prepare(
    'UPDATE outbox SET synced_at = ? WHERE event_id = ? AND synced_at IS NULL',
  )

  // The head is read inside each transaction rather than kept in memory, so a failed commit can
  // never leave a stale seq or hash behind for the next event.
  const appendInTransaction = db.transaction((inputs: readonly JournalEventInput[]) => {
    let previous = selectHead.get() ?? { seq: 0, hash: genesisHash }
    return inputs.map((input) => {
      const { type, incidentId, actor, data } = journalEventInputSchema.parse(input)
      const dataJson = canonicalJson(data)
      // One reading of the clock for both: the id carries the event's ts (a later one only if the
      // clock stepped back, to keep ids in order).
      const at = clock()
      const event = sealEvent(
        {
          id: nextId(at),
          seq: previous.seq + 1,
          ts: new Date(at).toISOString(),
          type,
          incidentId,
          actor,
          // What is returned is what was stored, not the caller's (still mutable) object.
          data: JSON.parse(dataJson) as Record<string, unknown>,
          prevHash: previous.hash,
        },
        sha256Hex,
      )
      insertEvent.run(
        event.seq,
        event.id,
        event.ts,
        event.type,
        event.incidentId,
        event.actor,
        dataJson,
        event.prevHash,
        event.hash,
      )
      insertOutbox.run(event.seq, event.id)
      previous = event
      return event
    })
  })

  const markInTransaction = db.transaction((eventIds: readonly string[]) => {
    const syncedAt = new Date(clock()).toISOString()
    return eventIds.reduce((marked, id) => marked + updateSynced.run(syncedAt, id).changes, 0)
  })

  return {
    consoleId,
    // IMMEDIATE takes the write lock at BEGIN, so the head read inside cannot be overtaken.
    append: (input) => appendInTransaction.immediate([input])[0] as JournalEvent,
    appendMany: (inputs) => (inputs.length === 0 ? [] : appendInTransaction.immediate(inputs)),
    head: () => {
      const row = selectLast.get()
      return row ? eventFromRow(row) : null
    },
    range: (fromSeq, toSeq) => selectRange.all(fromSeq, toSeq).map(eventFromRow),
    byIncident: (incidentId) => selectIncident.all(incidentId).map(eventFromRow),
    byTypePrefix: (prefix) => {
      const end =
        prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
      return selectTypeRange.all(prefix, end).map(eventFromRow)
    },
    between: (from, to, limit) =>
      selectBetween
        .all(new Date(from).toISOString(), new Date(to).toISOString(), limit)
        .reverse()
        .map(eventFromRow),
    pendingOutbox: (limit) => selectPending.all(limit).map(eventFromRow),
    markSynced: (eventIds) => markInTransaction.immediate(eventIds),
  }
}
