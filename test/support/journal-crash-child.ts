import { silentLogger } from '../../src/backend/log/logger'
import { openJournal } from '../../src/backend/store/open-journal'
import { sampleEvent } from './journal-events'
import { between, seededRandom } from './journal-random'

// The process test/integration/journal-crash.test.ts kills: `node journal-crash-child.mjs DB SEED`
// opens the journal, prints "ready", then appends bursts of events (single appends and groups, with
// some outbox rows marked synced) and prints "SEQ ID" for each event only after its transaction has
// committed. It stops by itself after a while, in case nobody kills it.

const [path, seedText] = process.argv.slice(2)
if (!path) throw new Error('usage: journal-crash-child DB SEED')
const random = seededRandom(Number(seedText ?? 1))
const opened = openJournal({
  path,
  consoleId: 'console-crash',
  clock: Date.now,
  logger: silentLogger,
})
if (!opened.ok) {
  process.stderr.write(`${opened.error.code}: ${opened.error.message}\n`)
  process.exit(2)
}
const { journal, close } = opened.value
// stdout is a pipe: on Linux its writes are synchronous, so a line is in the pipe before the next
// event begins, and what the parent reads after the kill is exactly what was reported.
process.stdout.write('ready\n')
const deadline = Date.now() + 20_000
while (Date.now() < deadline) {
  const burst = random() < 0.4 ? 1 : between(random, 2, 40)
  const committed =
    burst === 1
      ? [journal.append(sampleEvent(random))]
      : journal.appendMany(Array.from({ length: burst }, () => sampleEvent(random)))
  process.stdout.write(committed.map((event) => `${event.seq} ${event.id}\n`).join(''))
  if (random() < 0.1)
    journal.markSynced(journal.pendingOutbox(between(random, 1, 30)).map((event) => event.id))
}
close()
