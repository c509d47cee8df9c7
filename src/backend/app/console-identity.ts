import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { fail, ok, type Result } from '../../shared/result'
import { writeFileAtomically } from '../store/atomic-file'

// Every console of a site syncs its own journal under its own id (DESIGN.md §3.5), so the id
// belongs to this installation, not to the site file several consoles share. It is made once, on
// first start, and kept in the data folder beside the journal it names. A journal that had to be
// started afresh (a damaged file set aside) gets a new id, since its seqs start again at 1.

const identityFile = 'console.json'
const idPattern = /^[a-z0-9][a-z0-9-]{2,62}$/
const identitySchema = z.object({
  consoleId: z.string().regex(idPattern),
  /** Ids this installation synced under before, newest last. */
  previousIds: z.array(z.string().regex(idPattern)).default([]),
})
type Identity = z.infer<typeof identitySchema>

/** `<host name>-<8 hex>`: readable in the central system's lists, unique without coordination. */
function newConsoleId(): string {
  const host = hostname()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return `${host || 'console'}-${randomBytes(4).toString('hex')}`
}

/** Written whole and flushed before it replaces the old file: a power cut leaves one or the other. */
function save(dataDir: string, identity: Identity): void {
  writeFileAtomically(join(dataDir, identityFile), `${JSON.stringify(identity, null, 2)}\n`)
}

function read(dataDir: string): Result<Identity | null> {
  const path = join(dataDir, identityFile)
  if (!existsSync(path)) return ok(null)
  let parsed: unknown = null
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    // Unreadable JSON is reported below like any other wrong content.
  }
  const identity = identitySchema.safeParse(parsed)
  return identity.success
    ? ok(identity.data)
    : fail(
        'console-id-unreadable',
        `${path} does not hold this console's id, so nothing can be recorded under it; restore the file from a backup`,
      )
}

/**
 * This console's id, created on first use. A file that exists but does not hold a valid id is not
 * replaced (the journal it names would then sync as another console): the caller opens the console
 * without recording, saying why.
 */
export function consoleIdentity(dataDir: string): Result<string> {
  const existing = read(dataDir)
  if (!existing.ok) return existing
  if (existing.value) return ok(existing.value.consoleId)
  const consoleId = newConsoleId()
  save(dataDir, { consoleId, previousIds: [] })
  return ok(consoleId)
}

/** A new id for a journal started afresh: `<id>-r<n>`, with the old one kept in previousIds. */
export function renewConsoleId(dataDir: string, previous: string): string {
  const existing = read(dataDir)
  const previousIds = existing.ok && existing.value ? existing.value.previousIds : []
  const base = previous.replace(/-r\d+$/, '')
  const restart = Number(/-r(\d+)$/.exec(previous)?.[1] ?? 1) + 1
  const consoleId = `${base.slice(0, 58)}-r${restart}`
  save(dataDir, { consoleId, previousIds: [...previousIds, previous] })
  return consoleId
}
