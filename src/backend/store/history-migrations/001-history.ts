import type { Migration } from '../migrations/migration'

// Schema version 1 of the history database (history.sqlite): raw samples packed per flush and per
// tag-minute, the 1-minute and 1-hour tiers, and the bookkeeping of sync, roll-up and pruning.
// Times are integer ms since the epoch; tier rows and raw blocks start on whole minutes or hours.
export const historyMigration: Migration = {
  version: 1,
  description: 'tags, raw samples, 1-minute and 1-hour tiers, history bookkeeping',
  sql: `
    -- Every tag history has seen, numbered so samples and tier rows carry a small integer.
    CREATE TABLE tag (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      -- The seq of this tag's last sample sealed into raw_block: replaying raw_recent after a
      -- restart skips samples at or below it, so none is counted twice.
      sealed_seq INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    -- Samples whose minute is not sealed yet, one row per flush (one transaction, at most 250 ms
    -- of readings). Append-only, and deleted from the front once every sample in a row is sealed.
    CREATE TABLE raw_recent (
      first_seq INTEGER PRIMARY KEY,
      count INTEGER NOT NULL,
      samples BLOB NOT NULL
    ) STRICT;

    -- The raw tier: one tag's samples of one minute, packed in recording order. id is the order
    -- blocks were sealed in, which the sync stream follows. A minute can have a second block for
    -- a tag only if the console's clock stepped back into it.
    CREATE TABLE raw_block (
      id INTEGER PRIMARY KEY,
      tag INTEGER NOT NULL REFERENCES tag (id),
      start INTEGER NOT NULL,
      count INTEGER NOT NULL,
      samples BLOB NOT NULL
    ) STRICT;
    CREATE INDEX raw_block_by_tag ON raw_block (tag, start);
    CREATE INDEX raw_block_by_start ON raw_block (start);

    -- The 1-minute tier, written when a tag's minute is sealed. min, max and mean are over good
    -- and uncertain numeric readings (value_count of them); the last reading's value is in
    -- last_value (numbers, booleans as 0/1) or last_text (strings), its kind and quality in
    -- last_flags.
    CREATE TABLE minute_bucket (
      tag INTEGER NOT NULL REFERENCES tag (id),
      start INTEGER NOT NULL,
      count INTEGER NOT NULL,
      value_count INTEGER NOT NULL,
      min REAL,
      max REAL,
      mean REAL,
      worst_quality INTEGER NOT NULL,
      last_ts INTEGER NOT NULL,
      last_flags INTEGER NOT NULL,
      last_value REAL,
      last_text TEXT,
      PRIMARY KEY (tag, start)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX minute_bucket_by_start ON minute_bucket (start);

    -- The 1-hour tier, rolled up from minute_bucket once an hour is complete.
    CREATE TABLE hour_bucket (
      tag INTEGER NOT NULL REFERENCES tag (id),
      start INTEGER NOT NULL,
      count INTEGER NOT NULL,
      value_count INTEGER NOT NULL,
      min REAL,
      max REAL,
      mean REAL,
      worst_quality INTEGER NOT NULL,
      last_ts INTEGER NOT NULL,
      last_flags INTEGER NOT NULL,
      last_value REAL,
      last_text TEXT,
      PRIMARY KEY (tag, start)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX hour_bucket_by_start ON hour_bucket (start);

    -- Counters and cursors: the sync cursor (a raw_block id), how far the hour roll-up got, where
    -- each tier was pruned up to, and sample counts for the sync backlog.
    CREATE TABLE history_meta (
      name TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
}
