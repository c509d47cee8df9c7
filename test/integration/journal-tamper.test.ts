import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/backend/store/sha256'
import { verifyJournalFile } from '../../src/backend/store/verify'
import { createUuidv7 } from '../../src/backend/store/uuidv7'
import { canonicalJson } from '../../src/shared/journal/canonical-json'
import { sealEvent } from '../../src/shared/journal/chain'
import { writeSampleJournal } from '../support/journal-fixture'
import { between, pick, seededRandom } from '../support/journal-random'

// The tamper test: editing, deleting, inserting or reordering any journal row of a real
// journal database is detected by the verifier, which names the right seq; at least 100 random
// cases of each. The tampering works as someone with the sqlite3 shell would: triggers and
// constraints dropped (the journal table rebuilt without them), outbox rows moved along with their
// events so that only the chain can give the change away.
//
// Undetectable by any local check, and so not tested here: a forged event appended after the last
// one with a correct hash, or the newest events deleted together with their outbox rows. Both look
// exactly like the console's own work; only the central system's copy or an exported bundle's head
// hash can tell.

const cases = 100
const eventCount = 40
const seed = 8785

type Row = {
  seq: number
  id: string
  ts: string
  type: string
  incident_id: string | null
  actor: string
  data: string
  prev_hash: string
  hash: string
}
type OutboxRow = { event_id: string; synced_at: string | null }
/** One journal row and the outbox row that travels with it. */
type Entry = { row: Row; outbox: OutboxRow | null }
/** The journal as a list in seq order, plus outbox rows whose event is gone. */
type Journal = { entries: Entry[]; orphans: (OutboxRow & { seq: number })[] }
/** A tampered journal, where its chain first breaks, and what was done (for failure messages). */
type Tampering = { journal: Journal; firstBrokenSeq: number; what: string }

let dir: string
let original: string
let tampered: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-tamper-'))
  original = join(dir, 'original.sqlite')
  tampered = join(dir, 'tampered.sqlite')
  writeSampleJournal(original, eventCount, seed)
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function load(path: string): Journal {
  const db = new BetterSqlite3(path, { readonly: true })
  try {
    const outbox = new Map(
      db
        .prepare<[], OutboxRow & { seq: number }>('SELECT seq, event_id, synced_at FROM outbox')
        .all()
        .map(({ seq, ...rest }) => [seq, rest]),
    )
    const rows = db.prepare<[], Row>('SELECT * FROM journal ORDER BY seq').all()
    return {
      entries: rows.map((row) => ({ row, outbox: outbox.get(row.seq) ?? null })),
      orphans: [],
    }
  } finally {
    db.close()
  }
}

/** Writes `journal` into a fresh copy of the original, as the attacker would leave it. */
function store(journal: Journal): void {
  copyFileSync(original, tampered)
  const db = new BetterSqlite3(tampered)
  try {
    // better-sqlite3 turns foreign keys on by default; the sqlite3 shell leaves them off.
    db.pragma('foreign_keys = OFF')
    db.exec(`
      DROP TABLE journal;
      CREATE TABLE journal (seq, id, ts, type, incident_id, actor, data, prev_hash, hash);
      DELETE FROM outbox;
    `)
    const insertRow = db.prepare(
      'INSERT INTO journal VALUES (:seq, :id, :ts, :type, :incident_id, :actor, :data, :prev_hash, :hash)',
    )
    const insertOutbox = db.prepare('INSERT INTO outbox VALUES (?, ?, ?)')
    db.transaction(() => {
      for (const { row, outbox } of journal.entries) {
        insertRow.run(row)
        if (outbox) insertOutbox.run(row.seq, outbox.event_id, outbox.synced_at)
      }
      for (const orphan of journal.orphans)
        insertOutbox.run(orphan.seq, orphan.event_id, orphan.synced_at)
    })()
  } finally {
    db.close()
  }
}

/** Seqs 1, 2, 3… by position, as an attacker keeping the journal gapless would renumber them. */
function renumber(entries: Entry[]): Entry[] {
  return entries.map((entry, index) => ({ ...entry, row: { ...entry.row, seq: index + 1 } }))
}

const flipHex = (random: () => number, hex: string): string => {
  const at = between(random, 0, hex.length - 1)
  const digit =
    hex[at] === '0'
      ? '1'
      : pick(
          random,
          [...'123456789abcdef'].filter((d) => d !== hex[at]),
        )
  return hex.slice(0, at) + digit + hex.slice(at + 1)
}

/** The row as an event, re-sealed: what an attacker who recomputes the row's own hash writes. */
function reseal(row: Row): Row {
  const event = sealEvent(
    {
      id: row.id,
      seq: row.seq,
      ts: row.ts,
      type: row.type,
      incidentId: row.incident_id,
      actor: row.actor,
      data: JSON.parse(row.data) as Record<string, unknown>,
      prevHash: row.prev_hash,
    },
    sha256Hex,
  )
  return { ...row, hash: event.hash }
}

/**
 * Changes one column of a row (never a no-op). Content edits may also be re-sealed, as by someone
 * who knows the hash rule: the row then checks out by itself, and the next event's prevHash gives
 * it away. Changing the id, the hashes, or only the formatting of data shows at the row itself.
 */
function edit(random: () => number, journal: Journal): Tampering {
  const index = between(random, 0, journal.entries.length - 1)
  const entry = journal.entries[index] as Entry
  const row = entry.row
  const data = JSON.parse(row.data) as Record<string, unknown>
  const contentEdits: [string, () => Row][] = [
    [
      'ts',
      () => ({
        ...row,
        ts: new Date(Date.parse(row.ts) + between(random, 1, 9_999_999)).toISOString(),
      }),
    ],
    ['type', () => ({ ...row, type: 'alarm.shelved' })],
    [
      'incident_id',
      () => ({ ...row, incident_id: row.incident_id === null ? 'incident-9' : null }),
    ],
    ['actor', () => ({ ...row, actor: `${row.actor}-x` })],
    [
      'data value',
      () => ({ ...row, data: canonicalJson({ ...data, value: Number(data.value) + 0.5 }) }),
    ],
    ['data key', () => ({ ...row, data: canonicalJson({ ...data, approvedBy: 'operator-ana' }) })],
  ]
  const otherEdits: [string, () => Row][] = [
    ['id', () => ({ ...row, id: flipHex(random, row.id) })],
    ['prev_hash', () => ({ ...row, prev_hash: flipHex(random, row.prev_hash) })],
    ['hash', () => ({ ...row, hash: flipHex(random, row.hash) })],
    // The same data written another way: it hashes the same, but is no longer canonical.
    ['data formatting', () => ({ ...row, data: JSON.stringify(data, null, 1) })],
  ]
  const resealed = index < journal.entries.length - 1 && random() < 0.3
  const [column, change] = pick(random, resealed ? contentEdits : [...contentEdits, ...otherEdits])
  const entries = [...journal.entries]
  entries[index] = { ...entry, row: resealed ? reseal(change()) : change() }
  return {
    journal: { ...journal, entries },
    firstBrokenSeq: row.seq + (resealed ? 1 : 0),
    what: `edit ${column} of seq ${row.seq}${resealed ? ', re-sealed' : ''}`,
  }
}

function remove(random: () => number, journal: Journal): Tampering {
  const index = between(random, 0, journal.entries.length - 1)
  const entries = [...journal.entries]
  const [gone] = entries.splice(index, 1) as [Entry]
  const last = index === entries.length
  const how = last
    ? 'leave its outbox row'
    : pick(random, ['leave a gap', 'renumber', 'leave its outbox row'])
  const orphans =
    how === 'leave its outbox row' && gone.outbox ? [{ seq: gone.row.seq, ...gone.outbox }] : []
  return {
    journal: { entries: how === 'renumber' ? renumber(entries) : entries, orphans },
    firstBrokenSeq: gone.row.seq,
    what: `delete seq ${gone.row.seq} (${how})`,
  }
}

function insert(random: () => number, journal: Journal): Tampering {
  const entries = [...journal.entries]
  const index = between(random, 0, entries.length)
  const previousHash = index === 0 ? '0'.repeat(64) : (entries[index - 1] as Entry).row.hash
  const id = createUuidv7()(Date.parse('2026-11-22T09:00:00.000Z'))
  const fresh: Row = {
    seq: index + 1,
    id,
    ts: '2026-11-22T09:00:00.000Z',
    type: 'control.write-confirmed',
    incident_id: null,
    actor: 'operator-ben',
    data: canonicalJson({ tag: 'plant-001.boiler-1.setpoint', value: 16.5 }),
    prev_hash: previousHash,
    hash: '',
  }
  // Forged: linked and sealed correctly, with an outbox row; only the next event can expose it,
  // so it goes before the end. Replayed: a copy of another row. Garbage: a hash that is not its own.
  const kinds = index < entries.length ? ['forged', 'replayed', 'garbage'] : ['replayed', 'garbage']
  const kind = pick(random, kinds)
  let inserted: Entry
  if (kind === 'forged')
    inserted = { row: reseal(fresh), outbox: { event_id: id, synced_at: null } }
  else if (kind === 'replayed') {
    const others = entries.filter((_, other) => other !== index)
    inserted = { row: { ...pick(random, others).row }, outbox: null }
  } else
    inserted = {
      row: { ...fresh, hash: sha256Hex(String(random())) },
      outbox: { event_id: id, synced_at: null },
    }
  entries.splice(index, 0, inserted)
  return {
    journal: { entries: renumber(entries), orphans: [] },
    firstBrokenSeq: index + 1 + (kind === 'forged' ? 1 : 0),
    what: `insert ${kind} at seq ${index + 1}`,
  }
}

function reorder(random: () => number, journal: Journal): Tampering {
  const entries = [...journal.entries]
  const from = between(random, 0, entries.length - 1)
  let to = between(random, 0, entries.length - 2)
  if (to >= from) to += 1
  const swap = random() < 0.5
  if (swap) [entries[from], entries[to]] = [entries[to] as Entry, entries[from] as Entry]
  else entries.splice(to, 0, ...entries.splice(from, 1))
  return {
    journal: { entries: renumber(entries), orphans: [] },
    firstBrokenSeq: Math.min(from, to) + 1,
    what: `${swap ? 'swap' : 'move'} seq ${from + 1} and seq ${to + 1}`,
  }
}

describe('journal verifier against tampering', () => {
  it('finds the untouched journal intact, also after rewriting it the way the tampering does', () => {
    expect(verifyJournalFile(original)).toMatchObject({
      ok: true,
      value: { linked: eventCount, problem: null },
    })
    store(load(original))
    expect(verifyJournalFile(tampered)).toMatchObject({
      ok: true,
      value: { linked: eventCount, problem: null },
    })
  })

  const tamperings = { edit, remove, insert, reorder }
  for (const [name, tamper] of Object.entries(tamperings)) {
    it(`detects ${cases} random cases of ${name} and names the first broken seq`, () => {
      const random = seededRandom(seed + name.length)
      const base = load(original)
      for (let attempt = 0; attempt < cases; attempt++) {
        const { journal, firstBrokenSeq, what } = tamper(random, base)
        store(journal)
        const verdict = verifyJournalFile(tampered)
        expect(verdict.ok, what).toBe(true)
        if (verdict.ok)
          expect(verdict.value.problem?.seq, `${what}: ${verdict.value.problem?.message}`).toBe(
            firstBrokenSeq,
          )
      }
    })
  }
})
