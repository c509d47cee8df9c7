import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openJournalDatabase } from '../../src/backend/store/database'
import { verifyJournalFile } from '../../src/backend/store/verify'
import { bundleForNode, type Bundle } from '../support/journal-bundle'
import { seededRandom } from '../support/journal-random'

// The crash test: a child process appends bursts of events and reports each one after its
// commit; the test kills it with SIGKILL at random moments, at least 200 times, and after every kill
// checks that every reported event is there, the chain verifies, integrity_check is ok, and outbox
// and journal agree row for row. The journal files are reused across kills (a console that crashes
// again and again), a fresh one every `killsPerJournal` kills so that checks stay fast.

const kills = 200
const killsPerJournal = 10
/** Most kills land within this many ms after the child reports ready, while it records. */
const recordingKillMs = 50
/**
 * The others land between the spawn and the moment the child last took to report ready, many while
 * it opens and migrates its journal; that moment is learnt as the test goes, so the share of kills
 * during start-up does not depend on how fast this machine starts Node.
 */
const startUpKillShare = 0.15
const seed = 20261122

let bundle: Bundle
let dir: string

beforeAll(async () => {
  bundle = await bundleForNode({ child: 'test/support/journal-crash-child.ts' })
  dir = mkdtempSync(join(tmpdir(), 'journal-crash-'))
})

afterAll(() => {
  bundle?.remove()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

type Run = {
  reported: Map<number, string>
  /** ms from spawn to "ready", or null when killed before. */
  readyAfterMs: number | null
  stderr: string
}

type KillMoment = { afterReady: boolean; ms: number }

/** Starts the child, kills it at `moment`, and returns what it reported before dying. */
function runAndKill(path: string, childSeed: number, moment: KillMoment): Promise<Run> {
  const child: ChildProcess = spawn(
    process.execPath,
    [bundle.file('child'), path, String(childSeed)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const spawnedAt = performance.now()
  const run: Run = { reported: new Map(), readyAfterMs: null, stderr: '' }
  let timer: NodeJS.Timeout | undefined
  const killLater = (): void => {
    timer = setTimeout(() => child.kill('SIGKILL'), moment.ms)
  }
  if (!moment.afterReady) killLater()
  let pending = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n')
    // A line cut short by the kill was never fully reported: keep only complete lines.
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (line === 'ready') {
        run.readyAfterMs = performance.now() - spawnedAt
        if (moment.afterReady) killLater()
      } else {
        const [seq, id] = line.split(' ')
        run.reported.set(Number(seq), id ?? '')
      }
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL')
        reject(new Error(`the child ended by itself (code ${code}): ${run.stderr}`))
      else resolve(run)
    })
  })
}

/** The checks after one kill; returns how many events the journal holds. */
function checkAfterKill(path: string, run: Run, context: string): number {
  if (!existsSync(path)) {
    // Killed before SQLite created the file.
    expect(run.reported.size, context).toBe(0)
    return 0
  }
  const verdict = verifyJournalFile(path)
  if (!verdict.ok && verdict.error.code === 'not-a-journal') {
    // Killed before the first migration committed: it must have left nothing half-made.
    expect(run.reported.size, context).toBe(0)
    const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
    try {
      expect(db.pragma('user_version', { simple: true }), context).toBe(0)
      expect(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get(), context).toBe(0)
    } finally {
      db.close()
    }
    return 0
  }
  expect(verdict, context).toMatchObject({ ok: true, value: { problem: null } })
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true })
  try {
    expect(db.prepare('PRAGMA integrity_check').pluck().all(), context).toEqual(['ok'])
    const stored = new Map(
      db.prepare<[], [number, string]>('SELECT seq, id FROM journal').raw().all(),
    )
    const lost = [...run.reported].filter(([seq, id]) => stored.get(seq) !== id)
    expect(lost, `${context}: reported as committed but not in the journal`).toEqual([])
    const outboxWithoutEvent = db
      .prepare('SELECT count(*) FROM outbox WHERE seq NOT IN (SELECT seq FROM journal)')
      .pluck()
      .get()
    const eventWithoutOutbox = db
      .prepare('SELECT count(*) FROM journal WHERE seq NOT IN (SELECT seq FROM outbox)')
      .pluck()
      .get()
    const mismatched = db
      .prepare('SELECT count(*) FROM outbox JOIN journal USING (seq) WHERE event_id != id')
      .pluck()
      .get()
    expect({ outboxWithoutEvent, eventWithoutOutbox, mismatched }, context).toEqual({
      outboxWithoutEvent: 0,
      eventWithoutOutbox: 0,
      mismatched: 0,
    })
    return stored.size
  } finally {
    db.close()
  }
}

describe('journal under SIGKILL', () => {
  it(`keeps every reported event and a verifiable chain through ${kills} kills`, async () => {
    const random = seededRandom(seed)
    let killsAfterCommits = 0
    let killsBeforeReady = 0
    let startUpMs = 150
    let reported = 0
    let lastJournalEvents = 0
    for (let kill = 0; kill < kills; kill++) {
      const path = join(dir, `journal-${Math.floor(kill / killsPerJournal)}.sqlite`)
      const afterReady = random() >= startUpKillShare
      const moment = {
        afterReady,
        ms: Math.floor(random() * (afterReady ? recordingKillMs : startUpMs)),
      }
      const run = await runAndKill(path, seed + kill, moment)
      const context = `kill ${kill} ${moment.ms} ms after ${afterReady ? 'ready' : 'spawn'} (seed ${seed})`
      lastJournalEvents = checkAfterKill(path, run, context)
      reported += run.reported.size
      if (run.reported.size > 0) killsAfterCommits++
      if (run.readyAfterMs === null) killsBeforeReady++
      else startUpMs = run.readyAfterMs
      // The journal is never found damaged, so nothing is ever set aside.
      expect(
        readdirSync(dir).filter((name) => name.includes('.damaged-')),
        context,
      ).toEqual([])
    }
    // The kills must have hit both the start-up and the recording, or the test proved little.
    expect(killsAfterCommits).toBeGreaterThan(kills / 2)
    expect(killsBeforeReady).toBeGreaterThan(kills / 20)
    console.log(
      `${kills} kills: ${killsAfterCommits} after commits, ${killsBeforeReady} during start-up; ` +
        `${reported} events reported committed, all present; last journal holds ${lastJournalEvents} events`,
    )
  }, 150_000)

  it('refuses a second console process while one records', async () => {
    const path = join(dir, 'held.sqlite')
    const child = spawn(process.execPath, [bundle.file('child'), path, '7'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject)
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          if (chunk.startsWith('ready')) resolve()
        })
      })
      const second = openJournalDatabase({ path, busyTimeoutMs: 100 })
      expect(second.ok).toBe(false)
      if (!second.ok) {
        expect(second.error.code).toBe('journal-in-use')
        expect(second.error.message).toMatch(/in use by another Pilot Light process/)
      }
      expect(verifyJournalFile(path)).toMatchObject({
        ok: false,
        error: { code: 'journal-in-use' },
      })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
