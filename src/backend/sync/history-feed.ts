import type { HistorySample } from '../../shared/sync/protocol'

/**
 * What sync needs from the history store: its oldest unsynced samples with a cursor that marks
 * them, and the marking. Sync calls pendingForSync again after a failure rather than keeping the
 * samples, so it must return the oldest pending samples every time until markSynced moves on.
 */
export type HistoryFeed<Cursor> = {
  pendingForSync: (limit: number) => { samples: readonly HistorySample[]; cursor: Cursor }
  markSynced: (cursor: Cursor) => void
  /** How many samples wait and since when, for the status; without it the count shows unknown. */
  backlog?: () => { count: number; oldestTs: number | null }
}
