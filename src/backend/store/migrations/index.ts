import { journalMigration } from './001-journal'
import { syncMigration } from './002-sync'
import { lookupsMigration } from './003-lookups'
import type { Migration } from './migration'

/** Every schema version in order, one file each; a new version appends its file here. */
export const migrations: readonly Migration[] = [journalMigration, syncMigration, lookupsMigration]
