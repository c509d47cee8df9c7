import { silentLogger } from '../../src/backend/log/logger'
import { openJournal } from '../../src/backend/store/open-journal'
import type { JournalEvent } from '../../src/shared/journal/event'
import { sampleEvent } from './journal-events'
import { between, seededRandom } from './journal-random'

export const testConsoleId = 'console-test'

/**
 * Writes a real journal of `count` events at `path` through the product's own journal (single and
 * grouped appends, some events marked synced), closes it, and returns the events as committed.
 * Everything, ids included, follows from `seed`.
 */
export function writeSampleJournal(path: string, count: number, seed = 1): JournalEvent[] {
  const random = seededRandom(seed)
  let now = Date.UTC(2026, 10, 22, 8, 0, 0)
  const opened = openJournal({
    path,
    consoleId: testConsoleId,
    clock: () => (now += between(random, 0, 900)),
    logger: silentLogger,
    // Seeded ids too: the same seed writes the same journal, byte for byte.
    randomBytes: (size) => Uint8Array.from({ length: size }, () => between(random, 0, 255)),
  })
  if (!opened.ok) throw new Error(opened.error.message)
  const { journal, close } = opened.value
  const events: JournalEvent[] = []
  try {
    while (events.length < count) {
      const group = Math.min(count - events.length, random() < 0.5 ? 1 : between(random, 2, 8))
      if (group === 1) events.push(journal.append(sampleEvent(random)))
      else
        events.push(...journal.appendMany(Array.from({ length: group }, () => sampleEvent(random))))
      if (random() < 0.2) journal.markSynced(journal.pendingOutbox(3).map((event) => event.id))
    }
  } finally {
    close()
  }
  return events
}
