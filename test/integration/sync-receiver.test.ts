import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/backend/store/sha256'
import { createUuidv7 } from '../../src/backend/store/uuidv7'
import { createReceiver, type Receiver } from '../../src/receiver/receiver'
import { sealEvent } from '../../src/shared/journal/chain'
import type { JournalEvent } from '../../src/shared/journal/event'
import { bundleForNode, type Bundle } from '../support/journal-bundle'
import {
  openSyncJournal,
  syncConsoleId,
  syncSiteId,
  type SyncJournal,
} from '../support/sync-fixture'

// The reference receiver on its own, as a central team would probe it: what it stores, what it
// rejects and why, and what it refuses whole.

let journal: SyncJournal
let receiver: Receiver
let events: JournalEvent[]

beforeEach(async () => {
  journal = openSyncJournal()
  events = journal.append(10)
  receiver = await createReceiver({ dbPath: join(journal.dir, 'central.sqlite'), token: 'secret' })
})

afterEach(async () => {
  await receiver.dispose()
  journal.remove()
})

const nextUuidv7 = createUuidv7()
const randomUuidv7 = (): string => nextUuidv7(Date.now())

type Answer = { status: number; body: Record<string, unknown>; headers: Headers }

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  url = receiver.url,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer secret',
      'Content-Type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  }
}

const journalPath = `/v1/consoles/${syncConsoleId}/journal`
const historyPath = `/v1/consoles/${syncConsoleId}/history`

function batch(batchEvents: readonly unknown[], batchId = randomUUID()) {
  return { consoleId: syncConsoleId, siteId: syncSiteId, batchId, events: batchEvents }
}

const ev = (seq: number): JournalEvent => events[seq - 1] as JournalEvent

describe('reference receiver: journal', () => {
  it('stores a batch, and answers a repeat with duplicates', async () => {
    const first = await post(journalPath, batch(events.slice(0, 4)))
    expect(first).toMatchObject({
      status: 200,
      body: { accepted: events.slice(0, 4).map((e) => e.id), duplicate: [], rejected: [] },
    })
    const again = await post(journalPath, batch(events.slice(0, 5)))
    expect(again.body).toEqual({
      accepted: [ev(5).id],
      duplicate: events.slice(0, 4).map((e) => e.id),
      rejected: [],
    })
    expect(receiver.store.events(syncConsoleId).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('answers the empty heartbeat batch with empty lists', async () => {
    const answer = await post(journalPath, batch([]))
    expect(answer).toMatchObject({
      status: 200,
      body: { accepted: [], duplicate: [], rejected: [] },
    })
  })

  it('rejects events one by one, with reasons, and stores the rest', async () => {
    await post(journalPath, batch(events.slice(0, 2)))
    const tampered = { ...ev(3), actor: 'someone-else' }
    const answer = await post(journalPath, batch([tampered, ev(4)]))
    expect(answer.body).toEqual({
      accepted: [ev(4).id],
      duplicate: [],
      rejected: [{ id: ev(3).id, reason: 'hash does not match the contents of the event' }],
    })
    // The real seq 3 links to both neighbours.
    expect((await post(journalPath, batch([ev(3)]))).body.accepted).toEqual([ev(3).id])
  })

  it('checks the chain on both sides of a gap once the neighbours are there', async () => {
    await post(journalPath, batch(events.slice(0, 3)))
    // Seq 5 arrives before seq 4 (4 was quarantined at the console): stored, the gap stays.
    expect((await post(journalPath, batch([ev(5)]))).body.accepted).toEqual([ev(5).id])
    // Another console's seq 4 (or an edited one) cannot fill the gap: it links to neither side.
    const other = openSyncJournal({ seed: 9 })
    const stranger = other.append(4)[3] as JournalEvent
    other.remove()
    const refused = await post(journalPath, batch([stranger]))
    expect(refused.body.rejected).toEqual([
      { id: stranger.id, reason: 'prevHash does not match the hash of seq 3' },
    ])
    const filled = await post(journalPath, batch([ev(4)]))
    expect(filled.body.accepted).toEqual([ev(4).id])
    expect(receiver.store.events(syncConsoleId).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('rejects an event whose successor, already stored, does not link to it', async () => {
    await post(journalPath, batch([ev(1), ev(2), ev(4)]))
    // A well-sealed seq 3 that links to seq 2 but is not the event seq 4 was chained to.
    const { hash: _hash, ...unsealed } = ev(3)
    const impostor = sealEvent(
      { ...unsealed, id: randomUuidv7(), actor: 'someone-else' },
      sha256Hex,
    )
    const answer = await post(journalPath, batch([impostor]))
    expect(answer.body.rejected).toEqual([
      { id: impostor.id, reason: 'seq 4, already stored, does not link to this event' },
    ])
    expect((await post(journalPath, batch([ev(3)]))).body.accepted).toEqual([ev(3).id])
  })

  it('rejects a seq already held by another event, an id reused for other content, and malformed events', async () => {
    await post(journalPath, batch(events.slice(0, 3)))
    const other = openSyncJournal({ seed: 9 })
    const rival = other.append(1)[0] as JournalEvent
    other.remove()
    // Well sealed and linking to seq 3, but under the id of seq 2.
    const { hash: _hash, ...unsealed } = ev(4)
    const reused = sealEvent({ ...unsealed, id: ev(2).id }, sha256Hex)
    // JSON leaves out a property that is undefined: the event arrives without data.
    const answer = await post(journalPath, batch([rival, reused, { ...ev(5), data: undefined }]))
    expect(answer.body.rejected).toEqual([
      { id: rival.id, reason: `seq 1 is already held by event ${ev(1).id}` },
      { id: ev(2).id, reason: 'conflicts with a different event already stored under this id' },
      { id: ev(5).id, reason: expect.stringMatching(/^malformed event \(data: /) as string },
    ])
    expect(receiver.store.events(syncConsoleId)).toHaveLength(3)
  })

  it.each<[string, unknown, Record<string, string>, RegExp]>([
    ['a body that is not JSON', '{"events": [', {}, /not JSON/],
    ['another console in the body', { ...batch([]), consoleId: 'other' }, {}, /not the console/],
    ['a bad envelope', { consoleId: syncConsoleId, events: [] }, {}, /siteId: .*batchId: /],
    [
      'an Idempotency-Key that is not the batchId',
      batch([]),
      { 'Idempotency-Key': randomUUID() },
      /Idempotency-Key/,
    ],
    ['events out of seq order', 'reversed', {}, /ascending seq order \(events\[1\]\)/],
    ['an event without an id', 'anonymous', {}, /events\[0\] has no id/],
  ])('refuses a batch with %s (400)', async (_what, body, headers, message) => {
    const sent =
      body === 'reversed'
        ? batch([ev(2), ev(1)])
        : body === 'anonymous'
          ? batch([{ ...ev(1), id: undefined }])
          : body
    const answer = await post(journalPath, sent, headers)
    expect(answer.status).toBe(400)
    expect(answer.body.error).toMatch(message)
    expect(receiver.store.events(syncConsoleId)).toEqual([])
  })

  it('asks for the bearer token (401), and knows its addresses (404, 405) and body type (415)', async () => {
    const unauthorised = await post(journalPath, batch([]), { Authorization: 'Bearer guess' })
    expect(unauthorised.status).toBe(401)
    expect(unauthorised.headers.get('www-authenticate')).toBe('Bearer')
    expect((await post('/v1/consoles/x/events', batch([]))).status).toBe(404)
    expect((await fetch(`${receiver.url}${journalPath}`)).status).toBe(405)
    expect((await post(journalPath, 'x', { 'Content-Type': 'text/plain' })).status).toBe(415)
  })

  it('refuses bodies and batches over its limits (413)', async () => {
    const small = await createReceiver({
      dbPath: join(journal.dir, 'small.sqlite'),
      maxBodyBytes: 2_000,
      maxEvents: 3,
    })
    try {
      expect((await post(journalPath, batch(events), {}, small.url)).status).toBe(413)
      const tooMany = {
        ...batch(events.slice(0, 4)),
        events: events.slice(0, 4).map((e) => ({ id: e.id, seq: e.seq })),
      }
      const answer = await post(journalPath, tooMany, {}, small.url)
      expect(answer).toMatchObject({ status: 413, body: { error: 'at most 3 events per batch' } })
    } finally {
      await small.dispose()
    }
  })
})

describe('reference receiver: history', () => {
  const sample = { tagId: 'plant-001.boiler-1.pressure', ts: 1_000, value: 14.2, quality: 'good' }

  it('stores samples once by (console, tag, ts) and counts duplicates', async () => {
    const body = (samples: unknown[]) => ({
      consoleId: syncConsoleId,
      siteId: syncSiteId,
      batchId: randomUUID(),
      samples,
    })
    const later = { ...sample, ts: 2_000 }
    expect((await post(historyPath, body([sample]))).body).toEqual({ accepted: 1, duplicate: 0 })
    expect((await post(historyPath, body([sample, later]))).body).toEqual({
      accepted: 1,
      duplicate: 1,
    })
    expect(receiver.store.history(syncConsoleId)).toEqual([sample, later])
  })

  it('refuses a batch with a malformed sample, naming it (400)', async () => {
    const answer = await post(historyPath, {
      consoleId: syncConsoleId,
      siteId: syncSiteId,
      batchId: randomUUID(),
      samples: [sample, { ...sample, quality: 'great' }],
    })
    expect(answer).toMatchObject({
      status: 400,
      body: { error: 'samples[1] quality must be one of good, uncertain, bad, stale' },
    })
    expect(receiver.store.historyCount(syncConsoleId)).toBe(0)
  })
})

describe('npm run receiver', () => {
  let bundle: Bundle

  beforeAll(async () => {
    bundle = await bundleForNode({ receiver: 'src/receiver/main.ts' })
  })

  afterAll(() => bundle?.remove())

  it('prints its address when ready, logs each batch, asks for the token from the environment, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [bundle.file('receiver'), '--db', join(journal.dir, 'cli.sqlite'), '--port', '0'],
      {
        env: { ...process.env, PILOT_LIGHT_RECEIVER_TOKEN: 'secret' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
      const ready = (await lines.next()).value as string
      expect(ready).toMatch(/^Pilot Light receiver: http:\/\/127\.0\.0\.1:\d+$/)
      const url = ready.replace('Pilot Light receiver: ', '')
      const sent = batch(events.slice(0, 2))
      expect((await post(journalPath, sent, {}, url)).body.accepted).toHaveLength(2)
      expect((await lines.next()).value).toMatch(
        new RegExp(
          `journal ${syncConsoleId} ${sent.batchId} HTTP 200 accepted 2 duplicate 0 rejected 0$`,
        ),
      )
      expect((await post(journalPath, sent, { Authorization: '' }, url)).status).toBe(401)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('says what is wrong with its command line (exit 2)', async () => {
    const child = spawn(process.execPath, [bundle.file('receiver'), '--port', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2)
    expect(stderr).toContain('--db is required')
  })
})
