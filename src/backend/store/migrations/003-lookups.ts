import type { Migration } from './migration'

// Schema version 3: lookups the incident workspace needs. Incidents (and the severity suggestions
// before them) are rebuilt at start-up from their events, found by type; an incident's timeline is
// the events of its time window, found by time.
export const lookupsMigration: Migration = {
  version: 3,
  description: 'journal indexes by event type and by time',
  sql: `
    CREATE INDEX journal_by_type ON journal (type, seq);
    CREATE INDEX journal_by_time ON journal (ts, seq);
  `,
}
