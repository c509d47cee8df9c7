/** One schema version: the SQL that takes the database from version - 1 to version. */
export type Migration = { version: number; description: string; sql: string }
