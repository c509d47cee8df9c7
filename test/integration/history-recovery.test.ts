import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import { openHistory } from '../../src/backend/store/history'
import {
  historyFileName,
  type HistoryRecoveryNotice,
} from '../../src/backend/store/history-database'
import { HistoryFixture } from '../support/history-fixture'

let dir: string
let fixture: HistoryFixture

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-recovery-'))
  fixture = new HistoryFixture(join(dir, historyFileName))
})

afterEach(async () => {
  await fixture.dispose()
  rmSync(dir, { recursive: true, force: true })
})

describe('a damaged history', () => {
  it('is kept aside untouched at start-up, and a new history starts with a notice', async () => {
    const garbage = Buffer.from(
      'this is not a SQLite database, but it must be kept as it is\n'.repeat(200),
    )
    writeFileSync(fixture.path, garbage)
    const notices: HistoryRecoveryNotice[] = []
    const history = fixture.open({ onRecovery: (notice) => notices.push(notice) })

    expect(notices).toHaveLength(1)
    const [notice] = notices
    expect(history.recovery()).toEqual(notice)
    expect(notice?.keptAs).toMatch(/history\.damaged-2026-01-01T00-00-00-000Z\.sqlite$/)
    expect(notice?.reason).toMatch(/not a database/)
    expect(notice?.message).toMatch(/started a new, empty history.*journal is not affected/)
    expect(readFileSync(notice?.keptAs as string)).toEqual(garbage)

    await fixture.everySecond(history, 3, (second) => [fixture.reading('a', second)])
    const { series } = history.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.clock(),
      maxPoints: 10,
    })
    expect(series[0]?.points.map((point) => point.value)).toEqual([0, 1, 2])
  })

  it('found while running is kept aside, and recording goes on in a new file', async () => {
    const history = fixture.open()
    await fixture.everySecond(history, 180, (second) => [
      fixture.reading('a', second),
      fixture.reading('b', second),
    ])
    await history.maintain()
    await history.dispose()

    // Damage raw_block's pages only: opening reads tags, bookkeeping and unsealed samples, not
    // those, so the damage shows at the first trend query, as it would on a disk going bad.
    const inspect = new BetterSqlite3(fixture.path, { readonly: true })
    const pageSize = inspect.pragma('page_size', { simple: true }) as number
    const pages = inspect
      .prepare<[], number>(
        "SELECT pageno FROM dbstat WHERE name = 'raw_block' AND pagetype = 'leaf'",
      )
      .pluck()
      .all()
    inspect.close()
    expect(pages.length).toBeGreaterThan(0)
    const file = openSync(fixture.path, 'r+')
    for (const page of pages) writeSync(file, Buffer.alloc(64, 0xff), 0, 64, (page - 1) * pageSize)
    closeSync(file)

    const notices: HistoryRecoveryNotice[] = []
    const reopened = fixture.open({ onRecovery: (notice) => notices.push(notice) })
    expect(notices).toEqual([])
    reopened.record([fixture.reading('a', 1000)])
    const { series } = reopened.query({
      tagIds: ['a'],
      from: fixture.t0,
      to: fixture.clock() + 1,
      maxPoints: 1000,
    })
    expect(notices).toHaveLength(1)
    expect(notices[0]?.reason).toMatch(/malformed/)
    expect(existsSync(notices[0]?.keptAs as string)).toBe(true)
    // The new history has what was still in memory: the reading not flushed yet.
    expect(series[0]?.points.map((point) => point.value)).toEqual([1000])

    // The six sealed minutes in the kept file can no longer be sent: counted, never hidden.
    expect(reopened.syncBacklog()).toMatchObject({ pendingSamples: 0, droppedUnsynced: 360 })

    await fixture.everySecond(reopened, 70, (second) => [fixture.reading('a', 2000 + second)])
    await reopened.maintain()
    // Block ids go on after the kept file's, so no cursor from before can cover new samples.
    const batch = reopened.pendingForSync(1000)
    expect(batch.cursor).toBeGreaterThan(6)
    expect(batch.samples.map((sample) => sample.value)).toContain(1000)
    expect(reopened.syncBacklog().pendingSamples).toBe(batch.samples.length)
    await reopened.dispose()
    const fresh = fixture.reader()
    try {
      expect(fresh.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(fresh.prepare('SELECT name FROM tag ORDER BY id').pluck().all()).toEqual(['a', 'b'])
    } finally {
      fresh.close()
    }
  })
})

describe('history refusals', () => {
  it('refuses a history from a newer Pilot Light and leaves it as it is', () => {
    const newer = new BetterSqlite3(fixture.path)
    newer.pragma('user_version = 99')
    newer.close()
    const before = readFileSync(fixture.path)
    const result = openHistory({
      path: fixture.path,
      scheduler: fixture.scheduler,
      clock: fixture.clock,
      logger: silentLogger,
    })
    expect(result).toMatchObject({ ok: false, error: { code: 'history-newer-schema' } })
    if (!result.ok)
      expect(result.error.message).toMatch(/schema version 99; this version knows up to 1/)
    expect(readFileSync(fixture.path)).toEqual(before)
  })

  it('refuses settings that make no sense, before touching the file', () => {
    const base = {
      path: fixture.path,
      scheduler: fixture.scheduler,
      clock: fixture.clock,
      logger: silentLogger,
    }
    expect(openHistory({ ...base, retention: { rawMs: 100 * 86_400_000 } })).toMatchObject({
      ok: false,
      error: { code: 'history-invalid-settings', message: expect.stringMatching(/coarser tier/) },
    })
    expect(openHistory({ ...base, budgetBytes: 0 })).toMatchObject({
      ok: false,
      error: { code: 'history-invalid-settings' },
    })
    expect(existsSync(fixture.path)).toBe(false)
  })

  it('refuses a place where SQLite cannot keep a write-ahead log', () => {
    const result = openHistory({
      path: ':memory:',
      scheduler: fixture.scheduler,
      clock: fixture.clock,
      logger: silentLogger,
    })
    expect(result).toMatchObject({ ok: false, error: { code: 'history-not-wal' } })
  })

  it('runs WAL with synchronous=NORMAL and incremental auto-vacuum', async () => {
    const pragmas = vi.spyOn(BetterSqlite3.prototype, 'pragma')
    const history = fixture.open()
    // synchronous belongs to the connection, not the file: it must be set on every open.
    expect(pragmas.mock.calls.map(([source]) => source)).toContain('synchronous = NORMAL')
    pragmas.mockRestore()
    await history.dispose()
    const db = new BetterSqlite3(fixture.path)
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2)
      expect(db.pragma('user_version', { simple: true })).toBe(1)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  })
})
