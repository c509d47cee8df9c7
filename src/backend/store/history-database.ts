import BetterSqlite3 from 'better-sqlite3'
import { fail, ok, type Result } from '../../shared/result'
import { moveDamagedFilesAside } from './damaged-file'
import { describeError } from '../log/logger'
import { historyMigrations } from './history-migrations'
import { migrate } from './migrate'

/** The tag history's file in the data folder, beside the journal. */
export const historyFileName = 'history.sqlite'

/** Told to the operator: history was damaged, kept aside, and begun again. */
export type HistoryRecoveryNotice = {
  /** When it happened (ms since epoch). */
  at: number
  /** The damaged database, renamed but otherwise untouched. */
  keptAs: string
  /** Every file moved: the database and its -wal and -shm. */
  keptFiles: string[]
  /** What SQLite found wrong. */
  reason: string
  message: string
}

export type HistoryOpenAttempt =
  | { kind: 'opened'; db: BetterSqlite3.Database }
  | { kind: 'damaged'; reason: string }
  | { kind: 'refused'; code: string; message: string }

/**
 * How big the -wal file may stay after a checkpoint. A minute's seal can write several MB; without
 * a limit the file keeps its largest size for good and counts against the disk budget.
 */
const walSizeLimitBytes = 8 * 1024 * 1024
/**
 * Page cache. A minute's seal writes one raw_block and one minute_bucket entry per tag, each on
 * that tag's own B-tree page; a bigger cache keeps those pages from being read back every minute.
 */
const cacheKiB = 32 * 1024

/**
 * Opens (creating if need be) the history database, ready to record:
 * - a new file gets incremental auto-vacuum before its first page is written (setting WAL writes
 *   it), so pruning can give disk space back and the disk budget means what it says;
 * - WAL with synchronous=NORMAL, set explicitly: a power cut may lose the last commits, which for
 *   history means the last fraction of a second of trend, never the journal's events;
 * - then its own migrations, refusing a file from a newer Pilot Light rather than writing a
 *   schema it does not know.
 * No integrity_check here, unlike the journal: it reads the whole file, which for gigabytes of
 * history would hold up start-up for minutes. Damage shows as SQLITE_CORRUPT or SQLITE_NOTADB
 * when SQLite meets it, here or later, and is handled the same way (setHistoryAside).
 * One writer is assumed: the backend opens the journal with an exclusive lock first, so a second
 * console on the same data folder stops there; other processes may read history meanwhile.
 */
export function openHistoryFile(path: string, busyTimeoutMs = 2_000): HistoryOpenAttempt {
  let db: BetterSqlite3.Database
  try {
    db = new BetterSqlite3(path, { timeout: busyTimeoutMs })
  } catch (error) {
    return failure(path, error)
  }
  try {
    // Before any setting, which would already change the file of a newer version.
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > historyMigrations.length) {
      db.close()
      return {
        kind: 'refused',
        code: 'history-newer-schema',
        message:
          `The history at ${path} was written by a newer Pilot Light (schema version ${version}; ` +
          `this version knows up to ${historyMigrations.length}). Update Pilot Light to keep ` +
          'recording history; the file is left as it is.',
      }
    }
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL')
    const journalMode = String(db.pragma('journal_mode = WAL', { simple: true }))
    if (journalMode !== 'wal') {
      db.close()
      return {
        kind: 'refused',
        code: 'history-not-wal',
        message:
          `Pilot Light will not keep history at ${path}: SQLite runs it with ` +
          `journal_mode=${journalMode}, not a write-ahead log. Use a folder on a local disk.`,
      }
    }
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma(`journal_size_limit = ${walSizeLimitBytes}`)
    db.pragma(`cache_size = -${cacheKiB}`)
    const migrated = migrate(db, historyMigrations)
    if (!migrated.ok) {
      db.close()
      return { kind: 'refused', ...migrated.error }
    }
    return { kind: 'opened', db }
  } catch (error) {
    db.close()
    return failure(path, error)
  }
}

function failure(path: string, error: unknown): HistoryOpenAttempt {
  if (isHistoryDamage(error)) return { kind: 'damaged', reason: describeError(error) }
  if (error instanceof BetterSqlite3.SqliteError && error.code === 'SQLITE_BUSY')
    return {
      kind: 'refused',
      code: 'history-in-use',
      message: `The history at ${path} is locked by another process. Close it and start again.`,
    }
  return {
    kind: 'refused',
    code: 'history-open-failed',
    message: `Cannot open the history at ${path}: ${describeError(error)}`,
  }
}

/** Whether SQLite says the file is damaged (rather than busy, full or unreadable). */
export function isHistoryDamage(error: unknown): boolean {
  return (
    error instanceof BetterSqlite3.SqliteError &&
    (error.code.startsWith('SQLITE_CORRUPT') || error.code === 'SQLITE_NOTADB')
  )
}

/**
 * Renames a damaged history database with its -wal and -shm (which may hold its last commits) to
 * `<name>.damaged-<time><ext>`, never deleting them, so a new history can start. Unlike the
 * journal, history may start again empty: trends lose their past, the incident record loses
 * nothing. The caller must have closed the database.
 */
export function setHistoryAside(
  path: string,
  reason: string,
  at: number,
): Result<HistoryRecoveryNotice> {
  let kept: { keptAs: string; keptFiles: string[] }
  try {
    kept = moveDamagedFilesAside(path, at)
  } catch (error) {
    return fail(
      'history-damaged',
      `The history at ${path} is damaged (${reason}) and could not be moved aside: ${describeError(error)}`,
    )
  }
  const { keptAs, keptFiles } = kept
  return ok({
    at,
    keptAs,
    keptFiles,
    reason,
    message:
      `The history file was damaged (${reason}). Pilot Light kept it unchanged as ${keptAs} and ` +
      'started a new, empty history: trends from before now are in the kept file only. The ' +
      'incident journal is not affected.',
  })
}
