import type BetterSqlite3 from 'better-sqlite3'
import type { QuarantineItem } from '../../shared/sync/status'
import { journalColumns, type JournalRow } from '../store/journal'

/** One event the central system refused or rejected, and why. */
export type EventRefusal = { seq: number; id: string; reason: string }

/** A refused history batch as it is kept. */
export type QuarantinedHistoryBatch = {
  batchId: string
  /** The samples as they were sent: a JSON array. */
  samplesJson: string
  sampleCount: number
  firstTs: number | null
  lastTs: number | null
}

export type StoredError = { at: number; message: string }

/**
 * Sync's own reads and writes on the journal database (schema version 2): pending events that are
 * not quarantined, settling a batch (marking synced and quarantining in one transaction), the
 * quarantine view, and the last success and error. Every call is one short statement or
 * transaction: the journal shares this connection, and recording must never wait behind sync.
 */
export type SyncStore = ReturnType<typeof createSyncStore>

type HistoryQuarantineRow = {
  batch_id: string
  samples: string
  sample_count: number
  first_ts: number | null
  last_ts: number | null
  reason: string
  http_status: number | null
  quarantined_at: string
  retry_requested: 0 | 1
}

type EventQuarantineRow = {
  seq: number
  event_id: string
  type: string
  ts: string
  incident_id: string | null
  actor: string
  reason: string
  http_status: number | null
  batch_id: string
  quarantined_at: string
}

const notQuarantined = 'NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.seq = outbox.seq)'

export function createSyncStore(db: BetterSqlite3.Database, clock: () => number) {
  const selectPending = db.prepare<[number, number], JournalRow>(
    `SELECT ${journalColumns} FROM outbox JOIN journal USING (seq)
     WHERE outbox.synced_at IS NULL AND seq > ? AND ${notQuarantined} ORDER BY seq LIMIT ?`,
  )
  const selectOldestPendingSeq = db
    .prepare<[], number>(
      `SELECT seq FROM outbox WHERE synced_at IS NULL AND ${notQuarantined} ORDER BY seq LIMIT 1`,
    )
    .pluck()
  // Counted as all pending minus the quarantined ones: the partial index answers the first
  // directly, and quarantined events are always pending (sync never sends them).
  const countPending = db
    .prepare<[], number>(
      `SELECT (SELECT count(*) FROM outbox WHERE synced_at IS NULL)
            - (SELECT count(*) FROM sync_quarantine JOIN outbox USING (seq)
               WHERE outbox.synced_at IS NULL)`,
    )
    .pluck()
  const selectOldestPending = db
    .prepare<[], string>(
      `SELECT journal.ts FROM outbox JOIN journal USING (seq)
       WHERE outbox.synced_at IS NULL AND ${notQuarantined} ORDER BY seq LIMIT 1`,
    )
    .pluck()
  const markRun = db.prepare(
    'UPDATE outbox SET synced_at = ? WHERE seq BETWEEN ? AND ? AND synced_at IS NULL',
  )
  const insertEventQuarantine = db.prepare(
    `INSERT OR IGNORE INTO sync_quarantine
       (seq, event_id, reason, http_status, batch_id, quarantined_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  )
  const insertHistoryQuarantine = db.prepare(
    `INSERT INTO sync_history_quarantine
       (batch_id, samples, sample_count, first_ts, last_ts, reason, http_status, quarantined_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (batch_id) DO UPDATE SET reason = excluded.reason,
       http_status = excluded.http_status, quarantined_at = excluded.quarantined_at,
       retry_requested = 0`,
  )
  const selectHistoryRetry = db.prepare<[], HistoryQuarantineRow>(
    `SELECT * FROM sync_history_quarantine WHERE retry_requested = 1
     ORDER BY quarantined_at, batch_id LIMIT 1`,
  )
  const deleteHistoryQuarantine = db.prepare(
    'DELETE FROM sync_history_quarantine WHERE batch_id = ?',
  )
  const countQuarantine = db
    .prepare<[], number>(
      `SELECT (SELECT count(*) FROM sync_quarantine)
            + (SELECT count(*) FROM sync_history_quarantine)`,
    )
    .pluck()
  const selectEventQuarantine = db.prepare<[number], EventQuarantineRow>(
    `SELECT q.seq, q.event_id, journal.type, journal.ts, journal.incident_id, journal.actor,
            q.reason, q.http_status, q.batch_id, q.quarantined_at
     FROM sync_quarantine q JOIN journal USING (seq) ORDER BY q.seq LIMIT ?`,
  )
  const selectHistoryQuarantine = db.prepare<[number], HistoryQuarantineRow>(
    'SELECT * FROM sync_history_quarantine ORDER BY quarantined_at, batch_id LIMIT ?',
  )
  const selectQuarantinedEvents = db.prepare<[], JournalRow & EventQuarantineRow>(
    `SELECT ${journalColumns}, q.event_id, q.reason, q.http_status, q.batch_id, q.quarantined_at
     FROM sync_quarantine q JOIN journal USING (seq) ORDER BY seq`,
  )
  const selectAllHistoryQuarantine = db.prepare<[], HistoryQuarantineRow>(
    'SELECT * FROM sync_history_quarantine ORDER BY quarantined_at, batch_id',
  )
  const releaseEvent = db.prepare('DELETE FROM sync_quarantine WHERE event_id = ?')
  const releaseAllEvents = db.prepare('DELETE FROM sync_quarantine')
  const releaseHistory = db.prepare(
    'UPDATE sync_history_quarantine SET retry_requested = 1 WHERE batch_id = ? AND retry_requested = 0',
  )
  const releaseAllHistory = db.prepare(
    'UPDATE sync_history_quarantine SET retry_requested = 1 WHERE retry_requested = 0',
  )
  const selectState = db
    .prepare<[string], string>('SELECT value FROM sync_state WHERE name = ?')
    .pluck()
  const upsertState = db.prepare(
    `INSERT INTO sync_state (name, value) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
  )

  const iso = (): string => new Date(clock()).toISOString()
  const readState = <T>(name: string): T | null => {
    const value = selectState.get(name)
    return value === undefined ? null : (JSON.parse(value) as T)
  }
  const writeState = (name: string, value: unknown): void => {
    upsertState.run(name, JSON.stringify(value))
  }

  const quarantineEvents = (
    refusals: readonly EventRefusal[],
    httpStatus: number | null,
    batchId: string,
  ): void => {
    const at = iso()
    for (const { seq, id, reason } of refusals)
      insertEventQuarantine.run(seq, id, reason, httpStatus, batchId, at)
  }

  /**
   * Marks events synced by runs of consecutive seqs, one UPDATE per run: a batch is nearly always
   * one run, and this costs half of marking its events one by one (journal.markSynced), on the path
   * every batch of a draining backlog waits on. Runs are exact, so a quarantined seq between two
   * done ones is never marked.
   */
  const markSynced = (seqs: readonly number[], syncedAt: string): number => {
    const sorted = [...seqs].sort((a, b) => a - b)
    let marked = 0
    for (let start = 0; start < sorted.length;) {
      let end = start
      while (end + 1 < sorted.length && sorted[end + 1] === (sorted[end] as number) + 1) end++
      marked += markRun.run(syncedAt, sorted[start], sorted[end]).changes
      start = end + 1
    }
    return marked
  }

  // One transaction per answer: what the central system took is marked synced, what it refused is
  // quarantined, and the time of success is kept, all together or (on a crash) not at all.
  const settleJournal = db.transaction(
    (done: readonly number[], rejected: readonly EventRefusal[], batchId: string) => {
      const marked = markSynced(done, iso())
      quarantineEvents(rejected, null, batchId)
      writeState('last_success_at', clock())
      return marked
    },
  )
  const refuseJournal = db.transaction(
    (events: readonly EventRefusal[], httpStatus: number, batchId: string, error: StoredError) => {
      quarantineEvents(events, httpStatus, batchId)
      writeState('last_error', error)
    },
  )
  const refuseHistory = db.transaction(
    (batch: QuarantinedHistoryBatch, reason: string, httpStatus: number, error: StoredError) => {
      insertHistoryQuarantine.run(
        batch.batchId,
        batch.samplesJson,
        batch.sampleCount,
        batch.firstTs,
        batch.lastTs,
        reason,
        httpStatus,
        iso(),
      )
      writeState('last_error', error)
    },
  )
  const recordHistorySuccess = db.transaction((at: number) => {
    writeState('last_success_at', at)
    writeState('history_last_success_at', at)
  })
  const retry = db.transaction((ids: readonly string[] | 'all') => {
    if (ids === 'all') return releaseAllEvents.run().changes + releaseAllHistory.run().changes
    return ids.reduce(
      (released, id) => released + releaseEvent.run(id).changes + releaseHistory.run(id).changes,
      0,
    )
  })

  return {
    /** The oldest pending events after `afterSeq` that are not quarantined, in seq order. */
    pendingEvents: (limit: number, afterSeq = 0): JournalRow[] =>
      selectPending.all(afterSeq, limit),
    /** The seq of the oldest pending event that is not quarantined, or null. */
    oldestPendingSeq: (): number | null => selectOldestPendingSeq.get() ?? null,
    backlog: (): { count: number; oldestTs: number | null } => {
      const oldest = selectOldestPending.get()
      return {
        count: countPending.get() ?? 0,
        oldestTs: oldest === undefined ? null : Date.parse(oldest),
      }
    },
    /** Marks the events with seqs `done` synced and quarantines `rejected`; how many were marked. */
    settleJournal: (done: readonly number[], rejected: readonly EventRefusal[], batchId: string) =>
      settleJournal.immediate(done, rejected, batchId),
    /** Quarantines a whole batch the central system refused. */
    refuseJournal: (
      events: readonly EventRefusal[],
      httpStatus: number,
      batchId: string,
      error: StoredError,
    ): void => refuseJournal.immediate(events, httpStatus, batchId, error),
    refuseHistory: (
      batch: QuarantinedHistoryBatch,
      reason: string,
      httpStatus: number,
      error: StoredError,
    ): void => refuseHistory.immediate(batch, reason, httpStatus, error),
    /** The oldest history batch the operator released from quarantine, if any. */
    historyRetry: (): QuarantinedHistoryBatch | null => {
      const row = selectHistoryRetry.get()
      return row ? historyBatchFromRow(row) : null
    },
    /** Forgets a released history batch once the central system has taken it. */
    historyRetried: (batchId: string): void => {
      deleteHistoryQuarantine.run(batchId)
    },
    quarantineCount: (): number => countQuarantine.get() ?? 0,
    /** Up to `limit` events and `limit` history batches, events in seq order. */
    quarantined: (limit: number): QuarantineItem[] => [
      ...selectEventQuarantine.all(limit).map((row): QuarantineItem => ({
        kind: 'event',
        id: row.event_id,
        seq: row.seq,
        type: row.type,
        ts: row.ts,
        incidentId: row.incident_id,
        actor: row.actor,
        batchId: row.batch_id,
        reason: row.reason,
        httpStatus: row.http_status,
        quarantinedAt: Date.parse(row.quarantined_at),
      })),
      ...selectHistoryQuarantine.all(limit).map((row): QuarantineItem => ({
        kind: 'history',
        id: row.batch_id,
        sampleCount: row.sample_count,
        firstTs: row.first_ts,
        lastTs: row.last_ts,
        retrying: row.retry_requested === 1,
        reason: row.reason,
        httpStatus: row.http_status,
        quarantinedAt: Date.parse(row.quarantined_at),
      })),
    ],
    /** Every quarantined item with its full content, one JSON object per line. */
    exportNdjson: (): string => {
      const lines: string[] = []
      for (const row of selectQuarantinedEvents.iterate())
        lines.push(
          // The event is spliced in from its stored canonical data, exactly as it would be sent.
          `{"kind":"event","reason":${JSON.stringify(row.reason)},"httpStatus":${row.http_status},` +
            `"batchId":${JSON.stringify(row.batch_id)},` +
            `"quarantinedAt":${JSON.stringify(row.quarantined_at)},"event":${eventJson(row)}}`,
        )
      for (const row of selectAllHistoryQuarantine.iterate())
        lines.push(
          `{"kind":"history","batchId":${JSON.stringify(row.batch_id)},` +
            `"reason":${JSON.stringify(row.reason)},"httpStatus":${row.http_status},` +
            `"quarantinedAt":${JSON.stringify(row.quarantined_at)},` +
            `"retrying":${row.retry_requested === 1},"samples":${row.samples}}`,
        )
      return lines.map((line) => `${line}\n`).join('')
    },
    /** Releases quarantined items (event ids or history batch ids) to be sent again. */
    retry: (ids: readonly string[] | 'all'): number => retry.immediate(ids),
    lastSuccessAt: (): number | null => readState<number>('last_success_at'),
    historyLastSuccessAt: (): number | null => readState<number>('history_last_success_at'),
    lastError: (): StoredError | null => readState<StoredError>('last_error'),
    recordError: (error: StoredError): void => writeState('last_error', error),
    recordHistorySuccess: (): void => recordHistorySuccess.immediate(clock()),
  }
}

function historyBatchFromRow(row: HistoryQuarantineRow): QuarantinedHistoryBatch {
  return {
    batchId: row.batch_id,
    samplesJson: row.samples,
    sampleCount: row.sample_count,
    firstTs: row.first_ts,
    lastTs: row.last_ts,
  }
}

/**
 * One event as JSON, built from its row: the data column already holds the canonical JSON of the
 * event's data, so it is spliced in rather than parsed and serialised again (a large backlog drains
 * at the speed of this function).
 */
export function eventJson(row: JournalRow): string {
  const text = JSON.stringify
  return (
    `{"id":${text(row.id)},"seq":${row.seq},"ts":${text(row.ts)},"type":${text(row.type)},` +
    `"incidentId":${row.incident_id === null ? 'null' : text(row.incident_id)},` +
    `"actor":${text(row.actor)},"data":${row.data},"prevHash":${text(row.prev_hash)},` +
    `"hash":${text(row.hash)}}`
  )
}
