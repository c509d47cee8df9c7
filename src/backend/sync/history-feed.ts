import type { HistorySample } from '../../shared/sync/protocol'

/**
 * What sync needs from the history store: its oldest unsynced samples with a cursor that marks
 * them, and the marking. Sync calls pendingForSync again after a failure rather than keeping the
 * samples, so without `after` it must return the oldest pending samples every time until
 * markSynced moves on.
 */
export type HistoryFeed<Cursor> = {
  /**
   * About `limit` samples: the oldest unsynced ones, or with `after` (a cursor this feed handed out
   * and that is not marked yet) the ones following that cursor's samples, so sync can read the
   * next samples while the central system stores the current ones.
   */
  pendingForSync: (
    limit: number,
    after?: Cursor,
  ) => { samples: readonly HistorySample[]; cursor: Cursor }
  markSynced: (cursor: Cursor) => void
  /**
   * True when pendingForSync honours `after`; only then does sync read ahead. Without it sync reads
   * only from the last mark: a pendingForSync that ignored `after` would hand the same samples
   * twice, and TypeScript cannot tell it from one that honours it.
   */
  readsAhead?: boolean
  /** How many samples wait and since when, for the status; without it the count shows unknown. */
  backlog?: () => { count: number; oldestTs: number | null }
}
