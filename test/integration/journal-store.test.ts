import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import {
  durabilityProblem,
  journalFileName,
  openJournalDatabase,
} from '../../src/backend/store/database'
import { createJournal } from '../../src/backend/store/journal'
import { migrations } from '../../src/backend/store/migrations'
import { openJournal, type OpenedJournal } from '../../src/backend/store/open-journal'
import { verifyJournalDatabase, verifyJournalFile } from '../../src/backend/store/verify'
import { genesisHash } from '../../src/shared/journal/event'
import { testConsoleId, writeSampleJournal } from '../support/journal-fixture'

let dir: string
let path: string
const opened: OpenedJournal[] = []
let now: number

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-store-'))
  path = join(dir, journalFileName)
  now = Date.UTC(2026, 10, 22, 8, 0, 0)
})

afterEach(() => {
  for (const journal of opened.splice(0)) journal.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Opens the journal at `path` for testConsoleId, failing the test when it is refused. */
function open(at = path): OpenedJournal {
  const result = openJournal({
    path: at,
    consoleId: testConsoleId,
    clock: () => (now += 250),
    logger: silentLogger,
  })
  if (!result.ok) throw new Error(result.error.message)
  opened.push(result.value)
  return result.value
}

describe('journal database', () => {
  it('runs WAL with synchronous=FULL, schema version 1, and integrity ok', () => {
    const result = openJournalDatabase({ path })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const { db, recovery } = result.value
    try {
      expect(recovery).toBeNull()
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('synchronous', { simple: true })).toBe(2)
      expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive')
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
      expect(durabilityProblem(db)).toBeNull()
    } finally {
      db.close()
    }
  })

  it('refuses to record where SQLite cannot keep a WAL, and says why', () => {
    const result = openJournalDatabase({ path: ':memory:' })
    expect(result).toMatchObject({ ok: false, error: { code: 'journal-not-durable' } })
    if (!result.ok)
      expect(result.error.message).toMatch(/journal_mode=memory, not a write-ahead log/)
  })

  it('names a synchronous setting weaker than FULL', () => {
    const db = new BetterSqlite3(join(dir, 'weak.sqlite'))
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      expect(durabilityProblem(db)).toMatch(/synchronous=1 instead of FULL \(2\)/)
    } finally {
      db.close()
    }
  })

  it('refuses a second writer in the same process', () => {
    open()
    const second = openJournalDatabase({ path, busyTimeoutMs: 50 })
    expect(second).toMatchObject({ ok: false, error: { code: 'journal-in-use' } })
  })

  it('refuses a journal from a newer Pilot Light and leaves it where it is', () => {
    writeSampleJournal(path, 3)
    const db = new BetterSqlite3(path)
    db.pragma('user_version = 7')
    db.close()
    const before = readFileSync(path)
    const result = openJournalDatabase({ path })
    expect(result).toMatchObject({ ok: false, error: { code: 'journal-newer-schema' } })
    if (!result.ok)
      expect(result.error.message).toMatch(
        new RegExp(`schema version 7; this version knows up to ${migrations.length}`),
      )
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(readdirSync(dir).filter((name) => name.includes('damaged'))).toEqual([])
  })

  it('keeps an intact journal across reopening', () => {
    const events = writeSampleJournal(path, 30)
    const { journal, recovery } = open()
    expect(recovery).toBeNull()
    expect(journal.range(1, 30)).toEqual(events)
    expect(journal.append({ type: 'incident.opened', actor: 'system' }).seq).toBe(31)
  })
})

describe('damaged journal', () => {
  it('keeps a file that is not a database, with its WAL, and starts a new journal that says so', () => {
    const garbage = randomBytes(8192)
    const wal = randomBytes(4096)
    writeFileSync(path, garbage)
    writeFileSync(`${path}-wal`, wal)
    const { journal, recovery } = open()
    expect(recovery).not.toBeNull()
    if (!recovery) return
    expect(recovery.reason).toMatch(/not a database/)
    expect(recovery.keptAs).toMatch(/journal\.damaged-2026-11-22T08-00-00-250Z\.sqlite$/)
    expect(recovery.keptFiles).toEqual(
      expect.arrayContaining([recovery.keptAs, `${recovery.keptAs}-wal`]),
    )
    expect(readFileSync(recovery.keptAs).equals(garbage)).toBe(true)
    expect(readFileSync(`${recovery.keptAs}-wal`).equals(wal)).toBe(true)
    expect(recovery.message).toContain(recovery.keptAs)
    expect(recovery.message).toMatch(/started a new, empty journal/)
    const [first] = journal.range(1, 1)
    expect(first).toMatchObject({
      seq: 1,
      type: 'journal.recovered',
      actor: 'system',
      data: { keptAs: recovery.keptAs, reason: recovery.reason },
    })
    expect(journal.append({ type: 'incident.opened', actor: 'system' }).seq).toBe(2)
  })

  it('sets aside a journal whose pages are corrupt, its -wal unchanged and not checkpointed', () => {
    writeSampleJournal(path, 400)
    // More events in the -wal, then a copy of both files as a crash would leave them.
    const live = open()
    live.journal.appendMany(
      Array.from({ length: 20 }, () => ({ type: 'alarm.raised', actor: 'system' })),
    )
    const damaged = join(dir, 'damaged.sqlite')
    copyFileSync(path, damaged)
    copyFileSync(`${path}-wal`, `${damaged}-wal`)
    // Overwrite the middle third of the database, header untouched: the b-tree is broken (pages
    // only in the -wal's newer copies would hide it, so a wide range).
    const bytes = readFileSync(damaged)
    const pageSize = bytes.readUInt16BE(16)
    const pages = bytes.length / pageSize
    expect(pages).toBeGreaterThan(20)
    bytes.fill(0xa5, Math.floor(pages / 3) * pageSize, Math.floor((2 * pages) / 3) * pageSize)
    writeFileSync(damaged, bytes)
    const wal = readFileSync(`${damaged}-wal`)
    expect(wal.length).toBeGreaterThan(0)

    const { recovery, journal } = open(damaged)
    expect(recovery?.reason).toMatch(/integrity check|malformed|corrupt/i)
    expect(readFileSync(recovery?.keptAs ?? '').equals(bytes)).toBe(true)
    expect(readFileSync(`${recovery?.keptAs}-wal`).equals(wal)).toBe(true)
    expect(journal.head()).toMatchObject({ seq: 1, type: 'journal.recovered' })
  })

  it('never sets aside a healthy journal that is merely in use', () => {
    writeSampleJournal(path, 5)
    open()
    expect(openJournalDatabase({ path, busyTimeoutMs: 50 }).ok).toBe(false)
    expect(readdirSync(dir).filter((name) => name.includes('damaged'))).toEqual([])
  })
})

describe('journal', () => {
  it('chains events from the genesis hash and returns them as committed', () => {
    const { journal } = open()
    expect(journal.head()).toBeNull()
    const first = journal.append({
      type: 'incident.opened',
      incidentId: 'incident-1',
      actor: 'operator-ana',
      data: { severity: 2, title: 'Header pressure low' },
    })
    expect(first).toMatchObject({
      seq: 1,
      ts: '2026-11-22T08:00:00.250Z',
      incidentId: 'incident-1',
      prevHash: genesisHash,
    })
    const second = journal.append({ type: 'source.lost', actor: 'system' })
    expect(second).toMatchObject({ seq: 2, incidentId: null, data: {}, prevHash: first.hash })
    expect(first.id < second.id).toBe(true)
    expect(journal.head()).toEqual(second)
    expect(journal.byIncident('incident-1')).toEqual([first])
  })

  it('stores what it returns, not the caller’s object', () => {
    const { journal } = open()
    const data = { limits: { hh: 15.2 } }
    const event = journal.append({ type: 'alarm.raised', actor: 'system', data })
    data.limits.hh = 99
    expect(event.data).toEqual({ limits: { hh: 15.2 } })
    expect(journal.range(1, 1)[0]?.data).toEqual({ limits: { hh: 15.2 } })
  })

  it('commits a group in one transaction: all events, or none', () => {
    const { journal } = open()
    journal.append({ type: 'incident.opened', actor: 'system' })
    expect(() =>
      journal.appendMany([
        { type: 'alarm.raised', actor: 'system', data: { value: 1 } },
        { type: 'alarm.raised', actor: 'system', data: { value: Number.NaN } },
      ]),
    ).toThrow('$.value: NaN is not a JSON number')
    expect(() => journal.append({ type: 'Not A Type', actor: 'system' })).toThrow()
    expect(journal.head()?.seq).toBe(1)
    const group = journal.appendMany([
      { type: 'alarm.raised', actor: 'system' },
      { type: 'alarm.acknowledged', actor: 'operator-ben' },
    ])
    expect(group.map((event) => event.seq)).toEqual([2, 3])
    expect(journal.appendMany([])).toEqual([])
  })

  it('writes one outbox row with each event, and marks them synced', () => {
    const { journal } = open()
    const events = journal.appendMany(
      Array.from({ length: 5 }, (_, index) => ({
        type: 'alarm.raised',
        actor: 'system',
        data: { index },
      })),
    )
    expect(journal.pendingOutbox(3)).toEqual(events.slice(0, 3))
    expect(journal.markSynced([events[0]?.id ?? '', events[2]?.id ?? '', 'unknown'])).toBe(2)
    expect(journal.markSynced([events[0]?.id ?? ''])).toBe(0)
    expect(journal.pendingOutbox(10).map((event) => event.seq)).toEqual([2, 4, 5])
  })

  it('refuses to change or delete a recorded event', () => {
    const { journal } = open()
    journal.append({ type: 'incident.opened', actor: 'system' })
    const result = openJournalDatabase({ path: join(dir, 'other.sqlite') })
    if (!result.ok) throw new Error(result.error.message)
    const { db } = result.value
    try {
      createJournal(db, { consoleId: 'c', clock: () => now }).append({
        type: 'incident.opened',
        actor: 'system',
      })
      expect(() => db.exec("UPDATE journal SET actor = 'someone-else'")).toThrow(
        'journal events are immutable',
      )
      expect(() => db.exec('DELETE FROM journal')).toThrow('journal events are never deleted')
      expect(() => db.exec("INSERT INTO outbox (seq, event_id) VALUES (99, 'x')")).toThrow(
        'FOREIGN KEY',
      )
      expect(verifyJournalDatabase(db).problem).toBeNull()
    } finally {
      db.close()
    }
  })

  it('belongs to one console', () => {
    writeSampleJournal(path, 2)
    const result = openJournalDatabase({ path })
    if (!result.ok) throw new Error(result.error.message)
    const { db } = result.value
    try {
      expect(() => createJournal(db, { consoleId: 'another-console', clock: () => now })).toThrow(
        `This journal belongs to console ${testConsoleId}, not another-console`,
      )
    } finally {
      db.close()
    }
    const refused = openJournal({
      path,
      consoleId: 'another-console',
      clock: () => now,
      logger: silentLogger,
    })
    expect(refused).toMatchObject({ ok: false, error: { code: 'journal-open-failed' } })
    // Refusing released the file: the right console opens it at once.
    expect(open().journal.head()?.seq).toBe(2)
  })

  it('verifies as written, and after a clean close leaves no WAL behind', () => {
    const events = writeSampleJournal(path, 50)
    expect(existsSync(`${path}-wal`)).toBe(false)
    const verdict = verifyJournalFile(path)
    expect(verdict).toEqual({
      ok: true,
      value: {
        linked: 50,
        head: { seq: 50, hash: events[49]?.hash },
        problem: null,
      },
    })
  })
})

describe('journal lookups for incidents', () => {
  it('finds events by type prefix, and the newest events of a time window in seq order', () => {
    const { journal } = open()
    const types = ['incident.declared', 'alarm.raised', 'incident.note-added', 'incidents.other']
    const events = types.flatMap((type) => [journal.append({ type, actor: 'system', data: {} })])
    expect(journal.byTypePrefix('incident.').map((event) => event.type)).toEqual([
      'incident.declared',
      'incident.note-added',
    ])
    // Clock steps 250 ms per event: the window [2nd, 4th] holds three; a limit keeps the newest.
    const from = Date.parse(events[1]!.ts)
    const to = Date.parse(events[3]!.ts)
    expect(journal.between(from, to, 10).map((event) => event.seq)).toEqual([2, 3, 4])
    expect(journal.between(from, to, 2).map((event) => event.seq)).toEqual([3, 4])
  })
})
