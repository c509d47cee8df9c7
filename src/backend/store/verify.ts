import { existsSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { CanonicalJsonError, canonicalJson } from '../../shared/journal/canonical-json'
import { createChainWalker, type ChainProblem } from '../../shared/journal/chain'
import { fail, ok, type Result } from '../../shared/result'
import { describeError } from '../log/logger'
import { journalColumns, type JournalRow } from './journal'
import { sha256Hex } from './sha256'

export type JournalVerdict = {
  /** Events that link, from seq 1 up to the first problem (or all of them). */
  linked: number
  /** The last linked event. */
  head: { seq: number; hash: string } | null
  /** The first broken link, or null when the whole journal and its outbox check out. */
  problem: ChainProblem | null
}

type VerifiedRow = JournalRow & { outbox_event_id: string | null; has_outbox: 0 | 1 }

/**
 * Walks a journal database in seq order: seqs gapless from 1, ids unique and UUIDv7-shaped, each
 * prevHash the previous hash, each hash recomputed from the stored row, data stored as canonical
 * JSON, and every event with exactly its own outbox row and no outbox row without its event.
 * Reports the first problem by seq, so the events before it are known good.
 */
export function verifyJournalDatabase(db: BetterSqlite3.Database): JournalVerdict {
  const walker = createChainWalker(sha256Hex)
  const rows = db
    .prepare<[], VerifiedRow>(
      `SELECT ${journalColumns},
              outbox.event_id AS outbox_event_id, outbox.seq IS NOT NULL AS has_outbox
       FROM journal LEFT JOIN outbox USING (seq) ORDER BY seq`,
    )
    .iterate()
  let problem: ChainProblem | null = null
  for (const row of rows) {
    problem = checkRow(row, walker.next(rowAsEvent(row)))
    if (problem) break
  }
  // An outbox row whose event is gone is how deleting the newest events shows.
  const orphan = db
    .prepare<[], { seq: number; event_id: string }>(
      `SELECT seq, event_id FROM outbox WHERE seq NOT IN (SELECT seq FROM journal)
       ORDER BY seq LIMIT 1`,
    )
    .get()
  if (orphan && (!problem || orphan.seq < problem.seq))
    problem = {
      seq: orphan.seq,
      message: `the outbox holds event ${orphan.event_id}, but the journal has no event with this seq`,
    }
  const head = walker.head()
  return { linked: walker.linked(), head: head.seq === 0 ? null : head, problem }
}

/** The checks beyond the chain itself, for a row the chain accepted (problem null). */
function checkRow(row: VerifiedRow, problem: ChainProblem | null): ChainProblem | null {
  if (problem) return problem
  if (canonicalData(row.data) !== row.data)
    return { seq: row.seq, message: 'data is not stored as canonical JSON (the row was edited)' }
  if (!row.has_outbox) return { seq: row.seq, message: `event ${row.id} has no outbox row` }
  if (row.outbox_event_id !== row.id)
    return {
      seq: row.seq,
      message: `the outbox row names event ${row.outbox_event_id}, but the journal's event is ${row.id}`,
    }
  return null
}

/** The row in the event's shape; data left as text when it is not JSON, so the walker names it. */
function rowAsEvent(row: JournalRow): Record<string, unknown> {
  let data: unknown = row.data
  try {
    data = JSON.parse(row.data)
  } catch {
    // Left as text: the walker reports data that is not an object.
  }
  return {
    id: row.id,
    seq: row.seq,
    ts: row.ts,
    type: row.type,
    incidentId: row.incident_id,
    actor: row.actor,
    data,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

function canonicalData(text: string): string | null {
  try {
    return canonicalJson(JSON.parse(text))
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof CanonicalJsonError) return null
    throw error
  }
}

/**
 * verifyJournalDatabase() on a file, opened read-only so verifying never changes it. Fails (rather
 * than giving a verdict) when the file is not a journal database, is damaged at the SQLite level,
 * or is held by a running console.
 */
export function verifyJournalFile(path: string): Result<JournalVerdict> {
  if (!existsSync(path)) return fail('not-found', `${path} does not exist`)
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: 1_000 })
  } catch (error) {
    return fail('not-a-journal', `Cannot open ${path}: ${describeError(error)}`)
  }
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('journal', 'outbox')",
      )
      .pluck()
      .all()
    if (tables.length !== 2)
      return fail('not-a-journal', `${path} is a SQLite database but not a Pilot Light journal`)
    const findings = db.prepare('PRAGMA integrity_check(5)').pluck().all() as string[]
    if (findings.length !== 1 || findings[0] !== 'ok')
      return fail('journal-damaged', `${path} is damaged: integrity check: ${findings.join('; ')}`)
    return ok(verifyJournalDatabase(db))
  } catch (error) {
    if (error instanceof BetterSqlite3.SqliteError) {
      if (error.code === 'SQLITE_NOTADB')
        return fail('not-a-journal', `${path} is not a SQLite database`)
      if (error.code === 'SQLITE_BUSY')
        return fail(
          'journal-in-use',
          `${path} is held by a running Pilot Light console; stop it, then verify again`,
        )
      if (error.code.startsWith('SQLITE_CORRUPT'))
        return fail('journal-damaged', `${path} is damaged: ${error.message}`)
    }
    throw error
  } finally {
    db.close()
  }
}
