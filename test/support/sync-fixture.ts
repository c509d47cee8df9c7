import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { expect } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import { journalFileName } from '../../src/backend/store/database'
import type { Journal } from '../../src/backend/store/journal'
import { openJournal } from '../../src/backend/store/open-journal'
import type { SyncEngine, SyncTiming } from '../../src/backend/sync/engine'
import type { Receiver } from '../../src/receiver/receiver'
import { sha256Hex } from '../../src/backend/store/sha256'
import { createChainWalker } from '../../src/shared/journal/chain'
import type { JournalEvent } from '../../src/shared/journal/event'
import { sampleEvent } from './journal-events'
import { seededRandom } from './journal-random'
import { waitFor } from './wait-for'

export const syncConsoleId = 'console-sync-test'
export const syncSiteId = 'north-works'

/** A real journal in a temporary folder, with the database handle sync works on. */
export type SyncJournal = {
  dir: string
  journal: Journal
  db: BetterSqlite3.Database
  /** Appends `count` sample events (grouped, as a busy console does) and returns them. */
  append: (count: number) => JournalEvent[]
  /** Closes the journal and removes the folder. */
  remove: () => void
}

export function openSyncJournal(
  options: { clock?: () => number; seed?: number; dir?: string } = {},
): SyncJournal {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sync-'))
  const random = seededRandom(options.seed ?? 1)
  const opened = openJournal({
    path: join(dir, journalFileName),
    consoleId: syncConsoleId,
    clock: options.clock ?? Date.now,
    logger: silentLogger,
  })
  if (!opened.ok) throw new Error(opened.error.message)
  const { journal, db, close } = opened.value
  return {
    dir,
    journal,
    db,
    append: (count) => {
      const events: JournalEvent[] = []
      while (events.length < count) {
        const group = Math.min(count - events.length, 1_000)
        events.push(...journal.appendMany(Array.from({ length: group }, () => sampleEvent(random))))
      }
      return events
    },
    remove: () => {
      close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Timing for tests on real time: retries within tens of milliseconds, never minutes. */
export const quickTiming: Partial<SyncTiming> = {
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  requestTimeoutMs: 2_000,
  pollMs: 20,
  heartbeatMs: 60_000,
  statusIntervalMs: 0,
}

/** Waits until the engine has nothing left to send and last heard success. */
export async function waitForDrain(
  engine: SyncEngine,
  what = 'the backlog to drain',
): Promise<void> {
  await waitFor(
    what,
    () => {
      const status = engine.status()
      return (
        status.state === 'online' &&
        status.backlog.count === 0 &&
        (status.history.count ?? 0) === 0 &&
        status.nextAttemptAt === null
      )
    },
    15_000,
  )
}

/**
 * The receiver holds exactly the journal's events `expected` (every field, once each) in seq order,
 * and they form an unbroken hash chain from seq 1.
 */
export function expectReceiverHolds(receiver: Receiver, expected: readonly JournalEvent[]): void {
  const held = receiver.store.events(syncConsoleId)
  expect(held.map((event) => event.seq)).toEqual(expected.map((event) => event.seq))
  expect(held.map(({ arrival: _arrival, batchId: _batchId, ...event }) => event)).toEqual(expected)
  const walker = createChainWalker(sha256Hex)
  for (const { arrival: _arrival, batchId: _batchId, ...event } of held)
    expect(walker.next(event)).toBeNull()
}

/** The seqs in the order they reached the receiver. */
export function arrivalOrder(receiver: Receiver): number[] {
  return receiver.store
    .events(syncConsoleId)
    .sort((a, b) => a.arrival - b.arrival)
    .map((event) => event.seq)
}

/**
 * Sockets and servers this process holds: what a test must give back. (Timers are checked on fake
 * time in the unit tests; vitest keeps timers of its own while a test runs.)
 */
export function heldSockets(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind === 'TCPSocketWrap' || kind === 'TCPServerWrap')
    .sort()
}

/** Waits until the process holds no more sockets than `before`; closed ones go once closed. */
export async function socketsGivenBack(before: readonly string[]): Promise<void> {
  await waitFor(
    `sockets and servers to be given back (${before.length} held before)`,
    () => heldSockets().join() === before.join(),
    2_000,
  )
}
