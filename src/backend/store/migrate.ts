import type { Database } from 'better-sqlite3'
import { fail, ok, type Result } from '../../shared/result'
import type { Migration } from './migrations/migration'

/**
 * Brings the database to the newest schema version, each version in its own transaction with
 * PRAGMA user_version (DESIGN.md §8), so a crash mid-migration leaves the previous version intact.
 * A database from a newer Pilot Light is refused rather than written with a schema we do not know.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[],
): Result<{ from: number; to: number }> {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new Error(`migration ${migration.version} is out of order (expected ${index + 1})`)
  })
  const latest = migrations.length
  const from = db.pragma('user_version', { simple: true }) as number
  if (from > latest)
    return fail(
      'journal-newer-schema',
      `The journal was written by a newer Pilot Light (schema version ${from}; this version knows up to ${latest}). Update Pilot Light before recording into it.`,
    )
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    }).immediate()
  }
  return ok({ from, to: latest })
}
