import type { Migration } from './migration'

// Schema version 2: sync bookkeeping beside the journal (DESIGN.md §3.5, docs/sync-protocol.md).
// Kept in the journal database so that quarantining events and marking others synced commit in one
// transaction with the outbox they concern.
export const syncMigration: Migration = {
  version: 2,
  description: 'sync quarantine for refused events and history batches, and sync state',
  sql: `
    -- Events the central system refused. They stay in the journal and pending in the outbox; a row
    -- here only keeps them from being sent again until the operator retries them, which deletes
    -- the row. Never deleted automatically.
    CREATE TABLE sync_quarantine (
      seq INTEGER PRIMARY KEY REFERENCES outbox (seq),
      event_id TEXT NOT NULL UNIQUE,
      reason TEXT NOT NULL,
      -- The status of a refused batch; NULL for an event rejected in a 200 acknowledgement.
      http_status INTEGER,
      batch_id TEXT NOT NULL,
      quarantined_at TEXT NOT NULL
    ) STRICT;

    -- History batches the central system refused, kept whole as they were sent (their samples are
    -- already marked synced in the history store, so this is the only copy the console keeps).
    CREATE TABLE sync_history_quarantine (
      batch_id TEXT PRIMARY KEY,
      samples TEXT NOT NULL,
      sample_count INTEGER NOT NULL,
      first_ts INTEGER,
      last_ts INTEGER,
      reason TEXT NOT NULL,
      http_status INTEGER,
      quarantined_at TEXT NOT NULL,
      -- 1 once the operator has asked to send it again; the row goes when the central system takes it.
      retry_requested INTEGER NOT NULL DEFAULT 0 CHECK (retry_requested IN (0, 1))
    ) STRICT;

    -- Last success and last error, so the status the operator sees survives a restart.
    CREATE TABLE sync_state (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
}
