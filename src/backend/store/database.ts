import { existsSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { fail, ok, type Result } from '../../shared/result'
import { moveDamagedFilesAside } from './damaged-file'
import { describeError } from '../log/logger'
import { migrate } from './migrate'
import { migrations } from './migrations'

/** The journal's file in the data folder. */
export const journalFileName = 'journal.sqlite'

export type JournalDatabaseOptions = {
  path: string
  /** Stamps the name a damaged file is kept under (ms since epoch). */
  clock?: () => number
  /** How long to wait for another process holding the journal before refusing. */
  busyTimeoutMs?: number
}

/** Told to the operator, never swallowed: the journal they had was damaged and set aside. */
export type RecoveryNotice = {
  /** The damaged database, renamed but otherwise untouched. */
  keptAs: string
  /** Every file moved: the database and its -wal and -shm, which may hold committed events. */
  keptFiles: string[]
  /** What SQLite found wrong. */
  reason: string
  /** What the console says to the operator. */
  message: string
}

export type OpenedJournalDatabase = {
  db: BetterSqlite3.Database
  recovery: RecoveryNotice | null
}

type Failure =
  { kind: 'damaged'; reason: string } | { kind: 'refused'; code: string; message: string }
type Inspection = { kind: 'healthy' } | Failure
type Attempt = { kind: 'opened'; db: BetterSqlite3.Database } | Failure

/**
 * Opens (creating if need be) the journal database, ready to record:
 * - PRAGMA integrity_check first, on a read-only connection: a read-write connection that closes
 *   checkpoints the -wal into the database and deletes it (and deletes a -wal beside a file SQLite
 *   does not recognise), which would change, or lose, what a damaged journal still holds;
 * - WAL with synchronous=FULL, set and then read back; a database where SQLite will not run them
 *   (a network share, read-only media, memory) is refused with the reason, because a committed
 *   event there could be lost (DESIGN.md §3.4);
 * - one writer: locking_mode=EXCLUSIVE makes this connection hold the file lock from the first
 *   access until it closes, so a second console process on the same file is refused ("in use")
 *   rather than interleaving its seqs; the operating system drops the lock when a process dies,
 *   so a crashed backend never leaves a stale lock behind;
 * - then the migrations.
 * A damaged file (integrity_check fails, or SQLite says corrupt or not a database) is renamed aside
 * with its -wal and -shm, never deleted or changed, and a fresh journal is started; the returned
 * recovery notice must reach the operator.
 */
export function openJournalDatabase(
  options: JournalDatabaseOptions,
): Result<OpenedJournalDatabase> {
  const { path, clock = Date.now, busyTimeoutMs = 2_000 } = options
  const inspection: Inspection = existsSync(path)
    ? inspect(path, busyTimeoutMs)
    : { kind: 'healthy' }
  if (inspection.kind === 'refused') return fail(inspection.code, inspection.message)
  let recovery: RecoveryNotice | null = null
  if (inspection.kind === 'damaged') {
    const kept = setAside(path, inspection.reason, clock())
    if (!kept.ok) return kept
    recovery = kept.value
  }
  const opened = openForRecording(path, busyTimeoutMs)
  if (opened.kind === 'refused') return fail(opened.code, opened.message)
  if (opened.kind === 'damaged')
    return fail('journal-damaged', `The journal at ${path} is damaged: ${opened.reason}`)
  return ok({ db: opened.db, recovery })
}

function inspect(path: string, busyTimeoutMs: number): Inspection {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs })
  } catch (error) {
    return refused(
      'journal-open-failed',
      `Cannot open the journal at ${path}: ${describeError(error)}`,
    )
  }
  try {
    const damage = integrityProblems(db)
    return damage ? { kind: 'damaged', reason: damage } : { kind: 'healthy' }
  } catch (error) {
    return failure(path, error)
  } finally {
    db.close()
  }
}

function openForRecording(path: string, busyTimeoutMs: number): Attempt {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(path, { timeout: busyTimeoutMs })
  } catch (error) {
    return refused(
      'journal-open-failed',
      `Cannot open the journal at ${path}: ${describeError(error)}`,
    )
  }
  try {
    // Exclusive before the first access: SQLite then keeps WAL's index in this process's memory
    // (no -shm file) and never releases the lock, which is what makes this the only writer.
    db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('journal_mode = WAL')
    // better-sqlite3 leaves WAL at NORMAL, which can lose the last commits on power loss.
    db.pragma('synchronous = FULL')
    // macOS: plain fsync does not flush the drive's cache; F_FULLFSYNC does. Ignored elsewhere.
    db.pragma('fullfsync = ON')
    db.pragma('checkpoint_fullfsync = ON')
    db.pragma('foreign_keys = ON')
    const weaker = durabilityProblem(db)
    if (weaker) {
      db.close()
      return refused(
        'journal-not-durable',
        `Pilot Light will not record into the journal at ${path}: ${weaker}`,
      )
    }
    // Take the write lock now, so a second process is refused at start-up, not at its first event.
    db.transaction(() => {}).immediate()
    const migrated = migrate(db, migrations)
    if (!migrated.ok) {
      db.close()
      return refused(migrated.error.code, migrated.error.message)
    }
    return { kind: 'opened', db }
  } catch (error) {
    db.close()
    return failure(path, error)
  }
}

/** What an error from SQLite means for the journal: damage, another console, or plain failure. */
function failure(path: string, error: unknown): Failure {
  if (isDamage(error)) return { kind: 'damaged', reason: describeError(error) }
  if (error instanceof BetterSqlite3.SqliteError && error.code === 'SQLITE_BUSY')
    return refused(
      'journal-in-use',
      `The journal at ${path} is in use by another Pilot Light process, and only one may record ` +
        'into it. Close the other console (or wait for it to stop) and start again.',
    )
  return refused(
    'journal-open-failed',
    `Cannot open the journal at ${path}: ${describeError(error)}`,
  )
}

const refused = (code: string, message: string): Failure => ({ kind: 'refused', code, message })

/**
 * Why SQLite's settings on `db` are weaker than the journal needs (WAL, synchronous=FULL), or null.
 * Reads the settings back rather than trusting that setting them worked: SQLite silently keeps
 * another journal mode where WAL is impossible.
 */
export function durabilityProblem(db: BetterSqlite3.Database): string | null {
  const journalMode = String(db.pragma('journal_mode', { simple: true }))
  if (journalMode !== 'wal')
    return (
      `SQLite runs it with journal_mode=${journalMode}, not a write-ahead log (WAL). A folder on a ` +
      'network share or read-only medium cannot hold the journal; use a folder on a local disk.'
    )
  const synchronous = Number(db.pragma('synchronous', { simple: true }))
  if (synchronous !== 2)
    return (
      `SQLite runs it with synchronous=${synchronous} instead of FULL (2), so an event reported ` +
      'as saved could be lost on power failure.'
    )
  return null
}

/** integrity_check's findings (the first few), or null when it says ok. */
function integrityProblems(db: BetterSqlite3.Database): string | null {
  const findings = db.prepare('PRAGMA integrity_check(5)').pluck().all() as string[]
  return findings.length === 1 && findings[0] === 'ok'
    ? null
    : `integrity check: ${findings.join('; ')}`
}

function isDamage(error: unknown): boolean {
  return (
    error instanceof BetterSqlite3.SqliteError &&
    (error.code.startsWith('SQLITE_CORRUPT') || error.code === 'SQLITE_NOTADB')
  )
}

/**
 * Renames the database and its -wal and -shm together (so SQLite can still read the committed
 * transactions in the -wal) to `<name>.damaged-<time><ext>`, and words the notice.
 */
function setAside(path: string, reason: string, at: number): Result<RecoveryNotice> {
  let kept: { keptAs: string; keptFiles: string[] }
  try {
    kept = moveDamagedFilesAside(path, at)
  } catch (error) {
    return fail(
      'journal-damaged',
      `The journal at ${path} is damaged (${reason}) and could not be moved aside: ${describeError(error)}`,
    )
  }
  const { keptAs, keptFiles } = kept
  return ok({
    keptAs,
    keptFiles,
    reason,
    message:
      `The journal file was damaged (${reason}). Pilot Light kept it unchanged as ${keptAs} and ` +
      'started a new, empty journal: events recorded before now are in the kept file, not in ' +
      'the new journal. Give the kept file to your administrator for recovery.',
  })
}
