import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JournalEvent } from '../../src/shared/journal/event'
import { bundleForNode, type Bundle } from '../support/journal-bundle'
import { writeSampleJournal } from '../support/journal-fixture'

// `npm run verify -- FILE [--json]` runs out/main/verify.js, built from src/backend/entry/verify.ts;
// this test runs the same entry, bundled the same way, as a real process.

let bundle: Bundle
let dir: string
let intact: string
let events: JournalEvent[]

beforeAll(async () => {
  bundle = await bundleForNode({ verify: 'src/backend/entry/verify.ts' })
  dir = mkdtempSync(join(tmpdir(), 'journal-verify-'))
  intact = join(dir, 'intact.sqlite')
  events = writeSampleJournal(intact, 25)
})

afterAll(() => {
  bundle?.remove()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function verify(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [bundle.file('verify'), ...args], { encoding: 'utf8' })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('npm run verify', () => {
  it('says an intact journal is intact, with its head', () => {
    const run = verify(intact)
    expect(run.status).toBe(0)
    expect(run.stdout).toContain(`${intact}: intact: 25 events, seq 1 to 25`)
    expect(run.stdout).toContain(events[24]?.hash)
  })

  it('names the first broken link of an edited journal', () => {
    const edited = join(dir, 'edited.sqlite')
    const editedEvents = writeSampleJournal(edited, 25, 2)
    const db = new BetterSqlite3(edited)
    db.exec(`
      DROP TRIGGER journal_events_are_immutable;
      UPDATE journal SET actor = 'someone-else' WHERE seq = 17;
    `)
    db.close()
    const run = verify(edited)
    expect(run.status).toBe(1)
    const event = editedEvents[16] as JournalEvent
    expect(run.stdout).toContain(
      `BROKEN at seq 17: hash does not match its contents (event ${event.id}, ${event.type})`,
    )
    expect(run.stdout).toContain('Events 1 to 16 link correctly')
    const json = verify(edited, '--json')
    expect(json.status).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      intact: false,
      linked: 16,
      problem: { seq: 17 },
    })
  })

  it('tells files it cannot verify apart from broken journals', () => {
    const text = join(dir, 'notes.txt')
    writeFileSync(
      text,
      'not a database at all, just some words that fill a page or so\n'.repeat(80),
    )
    expect(verify(text)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/not a SQLite database|not a database/),
    })
    expect(verify(join(dir, 'missing.sqlite'))).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('does not exist'),
    })
    expect(verify()).toMatchObject({ status: 2, stderr: expect.stringContaining('usage') })
    expect(verify(intact, '--colour')).toMatchObject({ status: 2 })
  })
})
