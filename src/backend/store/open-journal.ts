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
}

export type OpenedJournal = {
  journal: Journal
  /** The journal's database, for sync's own bookkeeping beside the outbox. */
  db: BetterSqlite3.Database
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
  try {
    journal = createJournal(db, options)
    if (recovery) {
      logger.error('journal damaged: kept aside, new journal started', recovery)
      journal.append({
        type: 'journal.recovered',
        actor: 'system',
        data: { keptAs: recovery.keptAs, keptFiles: recovery.keptFiles, reason: recovery.reason },
      })
    }
  } catch (error) {
    // Another console's journal, or a disk that fails the first write: refused like the rest.
    db.close()
    const message = `Cannot record into the journal at ${options.path}: ${describeError(error)}`
    logger.error('journal refused', { path: options.path, message })
    return fail('journal-open-failed', message)
  }
  return ok({ journal, db, recovery, close: () => db.close() })
}
