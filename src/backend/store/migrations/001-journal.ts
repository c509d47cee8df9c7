import type { Migration } from './migration'

// Schema version 1: the journal and its outbox (DESIGN.md §3.4, §3.5).
export const journalMigration: Migration = {
  version: 1,
  description: 'journal events, their outbox and the console the journal belongs to',
  sql: `
    -- One row per event, in seq order. data holds the canonical JSON of the event's data, so the
    -- verifier recomputes every hash from the row alone.
    CREATE TABLE journal (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      ts TEXT NOT NULL,
      type TEXT NOT NULL,
      incident_id TEXT,
      actor TEXT NOT NULL,
      data TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
    CREATE INDEX journal_by_incident ON journal (incident_id, seq) WHERE incident_id IS NOT NULL;

    -- Guards against our own mistakes, not against an attacker (who can drop them): the hash
    -- chain is what makes tampering evident.
    CREATE TRIGGER journal_events_are_immutable BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END;
    CREATE TRIGGER journal_events_are_never_deleted BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'journal events are never deleted'); END;

    -- One row per event, written in the event's transaction; sync marks it when the central
    -- system has the event. Rows stay, so every event keeps exactly one outbox row.
    CREATE TABLE outbox (
      seq INTEGER PRIMARY KEY REFERENCES journal (seq),
      event_id TEXT NOT NULL UNIQUE,
      synced_at TEXT
    ) STRICT;
    CREATE INDEX outbox_pending ON outbox (seq) WHERE synced_at IS NULL;

    CREATE TABLE journal_meta (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
  `,
}
