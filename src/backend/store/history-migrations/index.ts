import type { Migration } from '../migrations/migration'
import { historyMigration } from './001-history'

/** Every schema version of history.sqlite in order, one file each; a new version appends here. */
export const historyMigrations: readonly Migration[] = [historyMigration]
