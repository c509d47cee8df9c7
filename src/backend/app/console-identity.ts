import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'

// Every console of a site syncs its own journal under its own id (DESIGN.md §3.5), so the id
// belongs to this installation, not to the site file several consoles share. It is made once, on
// first start, and kept in the data folder beside the journal it names.

const identityFile = 'console.json'
const identitySchema = z.object({ consoleId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/) })

/** `<host name>-<8 hex>`: readable in the central system's lists, unique without coordination. */
function newConsoleId(): string {
  const host = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return `${host || 'console'}-${randomBytes(4).toString('hex')}`
}

/**
 * This console's id, created on first use. A file that exists but does not hold a valid id is an
 * error the operator must see (the journal it belongs to would otherwise sync under a new name),
 * so it throws with the file's path rather than quietly making another.
 */
export function consoleIdentity(dataDir: string): string {
  const path = join(dataDir, identityFile)
  if (existsSync(path)) {
    const parsed = identitySchema.safeParse(
      (() => {
        try {
          return JSON.parse(readFileSync(path, 'utf8')) as unknown
        } catch {
          return null
        }
      })(),
    )
    if (!parsed.success) {
      throw new Error(`${path} does not hold this console's id; restore it from a backup`)
    }
    return parsed.data.consoleId
  }
  const consoleId = newConsoleId()
  // Written to a temporary name and renamed, so a crash never leaves half a file behind.
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ consoleId }, null, 2)}\n`)
  renameSync(`${path}.tmp`, path)
  return consoleId
}
