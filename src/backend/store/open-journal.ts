import type BetterSqlite3 from 'better-sqlite3'
import { fail, ok, type Result } from '../../shared/result'
import { describeError, type Logger } from '../log/logger'
import { openJournalDatabase, type RecoveryNotice } from './database'
import { createJournal, type Journal } from './journal'
import type { RandomBytes } from './uuidv7'

export type OpenJournalOptions = {
  path: string
  consoleId: string
  clock: () => number
  logger: Logger
  randomBytes?: RandomBytes
  /**
   * The console id a fresh journal takes after a damaged one was set aside. Its seqs restart at 1,
   * and under the old id the central system would find them clashing with the events it already
   * holds, so the new journal syncs as a new console (docs/sync-protocol.md, "Journal reset").
   */
  consoleIdAfterRecovery?: (previous: string) => string
}

export type OpenedJournal = {
  journal: Journal
  /** The journal's database, for sync's own bookkeeping beside the outbox. */
  db: BetterSqlite3.Database
  /** The id the journal records under: the one asked for, or the new one after a recovery. */
  consoleId: string
  /** Set when a damaged journal was set aside: the backend must show it to the operator. */
  recovery: RecoveryNotice | null
  /** Checkpoints the WAL into the database and releases the file. */
  close: () => void
}

/**
 * Opens the console's journal for recording. After a recovery the new journal's first event is
 * `journal.recovered`, so the record itself says where the earlier events went.
 */
export function openJournal(options: OpenJournalOptions): Result<OpenedJournal> {
  const { logger } = options
  const opened = openJournalDatabase({ path: options.path, clock: options.clock })
  if (!opened.ok) {
    logger.error('journal refused', { path: options.path, ...opened.error })
    return opened
  }
  const { db, recovery } = opened.value
  let journal: Journal
  const consoleId =
    recovery && options.consoleIdAfterRecovery
      ? options.consoleIdAfterRecovery(options.consoleId)
      : options.consoleId
  try {
    journal = createJournal(db, { ...options, consoleId })
    if (recovery) {
      logger.error('journal damaged: kept aside, new journal started', { ...recovery, consoleId })
      journal.append({
        type: 'journal.recovered',
        actor: 'system',
        data: {
          keptAs: recovery.keptAs,
          keptFiles: recovery.keptFiles,
          reason: recovery.reason,
          previousConsoleId: options.consoleId,
        },
      })
    }
  } catch (error) {
    // Another console's journal, or a disk that fails the first write: refused like the rest.
    db.close()
    const message = `Cannot record into the journal at ${options.path}: ${describeError(error)}`
    logger.error('journal refused', { path: options.path, message })
    return fail('journal-open-failed', message)
  }
  return ok({ journal, db, consoleId, recovery, close: () => db.close() })
}
