import { CanonicalJsonError, canonicalJson } from './canonical-json'
import {
  genesisHash,
  journalEventSchema,
  type JournalEvent,
  type UnsealedJournalEvent,
} from './event'

// The hash chain of DESIGN.md §3.4: hash = sha256_hex(prevHash + canonicalJson(event without
// hash)), prevHash of the first event 64 zeros. Pure rules over a hash function the caller passes
// in (node:crypto in the backend, Web Crypto wherever a bundle is checked in a page), so one
// implementation serves the journal, its verifier and exported report bundles.

/** SHA-256 of the UTF-8 bytes of `text`, as 64 lower-case hex digits. */
export type Sha256Hex = (text: string) => string

/** Picks exactly the hashed fields, so a stray property on the argument cannot change the hash. */
function hashedFields(event: UnsealedJournalEvent): UnsealedJournalEvent {
  const { id, seq, ts, type, incidentId, actor, data, prevHash } = event
  return { id, seq, ts, type, incidentId, actor, data, prevHash }
}

export function chainHash(event: UnsealedJournalEvent, sha256Hex: Sha256Hex): string {
  return sha256Hex(event.prevHash + canonicalJson(hashedFields(event)))
}

export function sealEvent(event: UnsealedJournalEvent, sha256Hex: Sha256Hex): JournalEvent {
  return { ...hashedFields(event), hash: chainHash(event, sha256Hex) }
}

/** The first broken link of a chain: the seq it concerns and what is wrong, in plain words. */
export type ChainProblem = { seq: number; message: string }

/** Names an event in a message the way an engineer can find it again. */
export function describeEvent(event: Pick<JournalEvent, 'id' | 'type'>): string {
  return `event ${event.id}, ${event.type}`
}

export type ChainWalker = {
  /**
   * Checks the next event in seq order (as stored or exported, so any shape) and returns what is
   * wrong with it, or null when it links. After a problem the chain is broken and the walker
   * should not be fed further.
   */
  next: (candidate: unknown) => ChainProblem | null
  /** How many events linked so far. */
  linked: () => number
  /** The last linked event's seq and hash; the genesis hash and seq 0 before the first. */
  head: () => { seq: number; hash: string }
}

/**
 * Walks a journal from seq 1: seqs gapless, each event well formed with an id not seen before,
 * each prevHash the previous event's hash, and each hash recomputing from the event's contents.
 */
export function createChainWalker(sha256Hex: Sha256Hex): ChainWalker {
  let previous = { seq: 0, hash: genesisHash }
  const seenIds = new Set<string>()

  const next = (candidate: unknown): ChainProblem | null => {
    const expectedSeq = previous.seq + 1
    const claimedSeq =
      typeof candidate === 'object' && candidate !== null && 'seq' in candidate
        ? candidate.seq
        : undefined
    if (typeof claimedSeq === 'number' && claimedSeq > expectedSeq) {
      const from = previous.seq === 0 ? 'starts at' : `goes from seq ${previous.seq} to`
      return { seq: expectedSeq, message: `missing (the journal ${from} seq ${claimedSeq})` }
    }
    if (typeof claimedSeq === 'number' && claimedSeq < expectedSeq)
      return {
        seq: expectedSeq,
        message: `missing: the next event carries seq ${claimedSeq}, out of order or repeated`,
      }
    const parsed = journalEventSchema.safeParse(candidate)
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`)
        .join('; ')
      return { seq: expectedSeq, message: `malformed event (${issues})` }
    }
    const event = parsed.data
    if (seenIds.has(event.id))
      return { seq: event.seq, message: `id ${event.id} was already used by an earlier event` }
    if (event.prevHash !== previous.hash) {
      const what = previous.seq === 0 ? 'the genesis hash (64 zeros)' : `seq ${previous.seq}'s hash`
      return {
        seq: event.seq,
        message: `prevHash does not match ${what} (${describeEvent(event)})`,
      }
    }
    let recomputed: string
    try {
      recomputed = chainHash(event, sha256Hex)
    } catch (error) {
      // JSON.parse accepts escaped lone surrogates, which canonical JSON cannot hold.
      if (!(error instanceof CanonicalJsonError)) throw error
      return { seq: event.seq, message: `data is not canonical JSON: ${error.message}` }
    }
    if (recomputed !== event.hash)
      return {
        seq: event.seq,
        message: `hash does not match its contents (${describeEvent(event)})`,
      }
    seenIds.add(event.id)
    previous = { seq: event.seq, hash: event.hash }
    return null
  }

  return { next, linked: () => previous.seq, head: () => ({ ...previous }) }
}
