import { randomUUID } from 'node:crypto'
import type BetterSqlite3 from 'better-sqlite3'
import type { ZodType } from 'zod'
import type { Cancel, Scheduler } from '../../shared/scheduler'
import {
  historyAckSchema,
  historyPath,
  journalAckSchema,
  journalPath,
  type JournalAck,
} from '../../shared/sync/protocol'
import type { QuarantineItem, SyncState, SyncStatus } from '../../shared/sync/status'
import { describeError, type Logger } from '../log/logger'
import type { Journal } from '../store/journal'
import { backoffDelay, retryAfterDelay } from './backoff'
import { journalBatch, type Envelope, type HistoryBatch, type JournalBatch } from './batches'
import type { HistoryFeed } from './history-feed'
import { createHistoryStream, type HistoryStream } from './history-stream'
import { createHttpTransport, type SyncExchange, type SyncTransport } from './http-transport'
import { createSyncStore, type EventRefusal, type StoredError } from './sync-store'

// Sync of the journal, then history, to the central system (DESIGN.md §3.5, docs/sync-protocol.md).
//
// One batch is on the wire at a time, and the next one is prepared while it is (so the console's
// reading and encoding overlap the central system's storing). Each cycle sends, journal first:
//   a batch kept for retry → pending journal events → a released quarantined history batch →
//   history samples → an empty journal batch as heartbeat when nothing was exchanged for a while.
//
// The state the operator sees:
//
//               answer taken                                   answer taken
//   offline ───────────────────────────► online ◄──────────────────────────────┐
//     ▲  ▲   no connection, timeout,       │                                   │
//     │  └── 401/403/404/405/407, 3xx ─────┤                                   │
//     │                                    │ 408, 429, 5xx, unreadable answer  │
//     └── no connection, timeout ── backing-off ───────────────────────────────┘
//
// In offline and backing-off the same batch (same id, same bytes) waits for its retry: full-jitter
// backoff, or exactly what Retry-After asks. Any other 4xx quarantines the batch and moves on.

export type CentralTarget = {
  /** central.url of the site file; the protocol's paths are appended to it. */
  url: string
  siteId: string
  /** Defaults to the journal's console id, and must equal it: seqs count per console. */
  consoleId?: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** PEM bundle of the plant PKI's authorities, trusted instead of the public roots for https. */
  caFile?: string
}

export type SyncLimits = {
  /** Journal events per batch. */
  maxEvents: number
  /** UTF-8 bytes of a batch's JSON body, journal or history (one larger event travels alone). */
  maxBytes: number
  /** History samples per batch. */
  maxSamples: number
}

export type SyncTiming = {
  /** Ceiling of the first retry's delay; it doubles per failure up to backoffMaxMs. */
  backoffBaseMs: number
  backoffMaxMs: number
  /** Longer Retry-After values are cut to this, so a wrong header cannot park sync for days. */
  retryAfterMaxMs: number
  /** A request without a whole answer by then fails, and is retried like a lost connection. */
  requestTimeoutMs: number
  /** How often an idle engine looks for new events (kick() does it at once). */
  pollMs: number
  /** With nothing to send, an empty batch proves the central system reachable this often. */
  heartbeatMs: number
  /** While a backlog drains, status listeners hear at most this often (changes of state at once). */
  statusIntervalMs: number
}

export const defaultSyncLimits: SyncLimits = {
  maxEvents: 500,
  maxBytes: 1024 * 1024,
  maxSamples: 10_000,
}

export const defaultSyncTiming: SyncTiming = {
  backoffBaseMs: 1_000,
  backoffMaxMs: 5 * 60_000,
  retryAfterMaxMs: 60 * 60_000,
  requestTimeoutMs: 30_000,
  pollMs: 1_000,
  heartbeatMs: 30_000,
  statusIntervalMs: 500,
}

export type SyncEngineOptions<Cursor> = {
  journal: Journal
  /** The journal's database handle: quarantine and sync state live beside the outbox. */
  db: BetterSqlite3.Database
  /** History samples, sent only while the journal has nothing pending. */
  history?: HistoryFeed<Cursor>
  central: CentralTarget
  scheduler: Scheduler
  logger: Logger
  /** For backoff jitter; [0, 1). */
  random?: () => number
  /** Replaces node:http(s), for tests; the engine then does not dispose it. */
  http?: SyncTransport
  limits?: Partial<SyncLimits>
  timing?: Partial<SyncTiming>
}

export type SyncEngine = {
  /** Begins syncing: the first cycle runs at once. */
  start: () => void
  /** The latest status (no database work: safe to call as often as the UI likes). */
  status: () => SyncStatus
  /** Hears every new status; returns the unsubscribe. */
  onStatus: (listener: (status: SyncStatus) => void) => () => void
  /** Quarantined items for the operator to inspect: up to `limit` events and `limit` history batches. */
  quarantined: (limit?: number) => QuarantineItem[]
  /** Releases quarantined items (event ids, history batch ids, or all) to be sent again; how many. */
  retryQuarantined: (ids: readonly string[] | 'all') => number
  /** Every quarantined item in full, one JSON object per line, for the operator to hand on. */
  exportQuarantined: () => string
  /** Tries now: ends a backoff or poll wait (after the request in flight, if any). */
  kick: () => void
  /** New events were recorded: sent at once while online; during an outage the backoff stands. */
  notify: () => void
  /** Stops: cancels timers, aborts the request in flight, and resolves once nothing touches the database. */
  dispose: () => Promise<void>
}

type Outbound = JournalBatch | HistoryBatch

/** Statuses that mean "this console is not set up right for the central system", not "this batch is bad". */
const misconfigured = new Map([
  [401, "refused this console's credentials: check the token"],
  [403, 'does not allow this console: check the token and the console id'],
  [404, 'has no such address: check central.url'],
  [405, 'does not take batches at this address: check central.url'],
  [407, 'needs proxy credentials the console does not have'],
])

const quarantineMessageLimit = 500

export function createSyncEngine<Cursor>(options: SyncEngineOptions<Cursor>): SyncEngine {
  const { journal, db, history, central, scheduler, random = Math.random } = options
  const logger = options.logger.child('sync')
  const limits = { ...defaultSyncLimits, ...options.limits }
  const timing = { ...defaultSyncTiming, ...options.timing }
  const consoleId = central.consoleId ?? journal.consoleId
  if (consoleId !== journal.consoleId)
    throw new Error(
      `central.consoleId ${consoleId} is not the journal's console ${journal.consoleId}: the ` +
        "central system chains a console's events by its seqs, so they must sync under its id",
    )
  const base = central.url.replace(/\/+$/, '')
  const journalUrl = base + journalPath(consoleId)
  const historyUrl = base + historyPath(consoleId)
  const target = displayedTarget(central.url)
  const store = createSyncStore(db, scheduler.now)
  const samples: HistoryStream | null =
    history === undefined ? null : createHistoryStream(history, store, limits.maxSamples)
  const ownsTransport = options.http === undefined
  const transport = options.http ?? createHttpTransport({ caFile: central.caFile })
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    ...(central.token === undefined ? {} : { Authorization: `Bearer ${central.token}` }),
  }

  let started = false
  let disposed = false
  /** The batch that failed, sent again as it is on the next attempt. */
  let retrying: Outbound | null = null
  /** The batch prepared while the last one was on the wire, and the generation it belongs to. */
  let prepared: { batch: Outbound; generation: number } | null = null
  /** Moves on whenever a prepared batch may no longer be the right next one. */
  let generation = 0
  let failures = 0
  let wake: Cancel | null = null
  let running: Promise<void> | null = null
  let kickedWhileRunning = false
  let notifiedWhileRunning = false
  let inFlight: AbortController | null = null
  let lastContactAt = Number.NEGATIVE_INFINITY
  /** Shrink when the central system answers 413. */
  let maxEvents = limits.maxEvents
  let journalMaxBytes = limits.maxBytes
  let historyMaxBytes = limits.maxBytes

  let state: SyncState = 'offline'
  let nextAttemptAt: number | null = null
  let lastSuccessAt = store.lastSuccessAt()
  let historyLastSuccessAt = store.historyLastSuccessAt()
  let lastError: StoredError | null = store.lastError()
  let snapshot = readStatus()
  let snapshotJson = JSON.stringify(snapshot)
  let publishedAt = Number.NEGATIVE_INFINITY
  const listeners = new Set<(status: SyncStatus) => void>()

  if (central.token !== undefined && new URL(central.url).protocol === 'http:')
    logger.warn('central.url is http: the bearer token travels unencrypted', { target })

  function readStatus(): SyncStatus {
    const historyBacklog = history?.backlog?.() ?? null
    return {
      state,
      target,
      backlog: store.backlog(),
      history: {
        enabled: history !== undefined,
        count: history === undefined ? 0 : (historyBacklog?.count ?? null),
        oldestTs: historyBacklog?.oldestTs ?? null,
        lastSuccessAt: historyLastSuccessAt,
      },
      lastSuccessAt,
      lastError,
      quarantineCount: store.quarantineCount(),
      nextAttemptAt,
    }
  }

  /**
   * Refreshes the status and tells listeners when it changed. Unforced calls (a batch taken while
   * a backlog drains) count the backlog at most every statusIntervalMs: counting a large outbox
   * costs milliseconds that the drain and the event loop should not pay per batch.
   */
  const publish = (force: boolean): void => {
    const now = scheduler.now()
    if (!force && state === snapshot.state && now - publishedAt < timing.statusIntervalMs) return
    publishedAt = now
    snapshot = readStatus()
    const json = JSON.stringify(snapshot)
    if (json === snapshotJson) return
    snapshotJson = json
    for (const listener of listeners) listener(snapshot)
  }

  /** The backlog on screen follows recording within statusIntervalMs, however fast events come. */
  let trailingPublish: (() => void) | null = null
  const publishSoon = (): void => {
    if (trailingPublish || disposed) return
    const wait = Math.max(0, timing.statusIntervalMs - (scheduler.now() - publishedAt))
    trailingPublish = scheduler.after(wait, () => {
      trailingPublish = null
      publishDespiteFailure()
    })
  }

  /** After a failed cycle the database may be what failed: the status must not throw again. */
  const publishDespiteFailure = (): void => {
    try {
      publish(true)
    } catch (error) {
      logger.error('sync status unavailable', { error: describeError(error) })
      snapshot = { ...snapshot, lastError, nextAttemptAt }
      for (const listener of listeners) listener(snapshot)
    }
  }

  const enter = (next: SyncState, message: string | null): void => {
    if (next === state) return
    if (next === 'online') logger.info('central system reachable', { target })
    else logger.warn(`sync ${next}`, { target, message })
    state = next
  }

  const fail = (message: string, at = scheduler.now()): void => {
    lastError = { at, message }
    store.recordError(lastError)
  }

  const envelope = (): Envelope => ({ consoleId, siteId: central.siteId, batchId: randomUUID() })

  const nextJournalBatch = (afterSeq = 0): JournalBatch | null => {
    const rows = store.pendingEvents(maxEvents, afterSeq)
    return rows.length === 0 ? null : journalBatch(rows, envelope(), journalMaxBytes)
  }

  /** What to send next, journal first; null when there is nothing to send. */
  const nextBatch = (): Outbound | null => {
    const oldestPending = store.oldestPendingSeq()
    const journalWaits = oldestPending !== null
    if (retrying?.stream === 'journal' && retrying.events.length > 0) return retrying
    // History always yields to the journal, even a history batch waiting for its retry.
    if (retrying?.stream === 'history') {
      if (!journalWaits) return retrying
      samples?.giveBack(retrying)
    }
    // A heartbeat is never worth keeping for its retry: the next one is as good.
    retrying = null
    const ready = prepared?.generation === generation ? prepared.batch : null
    prepared = null
    // Still the oldest pending events? An event released from quarantine while the batch was
    // prepared comes first.
    if (ready?.stream === 'journal' && ready.events[0]?.seq === oldestPending) return ready
    if (journalWaits) return nextJournalBatch()
    if (ready?.stream === 'history' && samples?.isNext(ready)) return ready
    const fromHistory = samples?.next(envelope(), historyMaxBytes) ?? null
    if (fromHistory !== null) return fromHistory
    if (scheduler.now() - lastContactAt >= timing.heartbeatMs)
      return journalBatch([], envelope(), journalMaxBytes)
    return null
  }

  /**
   * The batch after `sent`, built while `sent` is on the wire: journal events past it, or the next
   * history batch when the journal has nothing waiting (of the current read, or of the read ahead
   * of it when `sent` is the current read's last).
   */
  const prepareAfter = (sent: Outbound): void => {
    let batch: Outbound | null = null
    try {
      if (sent.stream === 'journal' && sent.events.length > 0)
        batch = nextJournalBatch((sent.events.at(-1) as { seq: number }).seq)
      else if (sent.stream === 'history' && store.oldestPendingSeq() === null)
        batch = samples?.next(envelope(), historyMaxBytes, { released: false }) ?? null
    } catch (error) {
      // Only a head start: the next cycle builds the batch again (and reports what fails).
      logger.warn('could not prepare the next batch', { error: describeError(error) })
    }
    prepared = batch === null ? null : { batch, generation }
  }

  /** One exchange; returns the ms until the next cycle. */
  const cycle = async (): Promise<number> => {
    const outbound = nextBatch()
    if (outbound === null) {
      publish(true)
      return timing.pollMs
    }
    if (outbound.stream === 'history' && outbound !== retrying) samples?.take(outbound)
    const controller = new AbortController()
    inFlight = controller
    let timedOut = false
    const cancelTimeout = scheduler.after(timing.requestTimeoutMs, () => {
      timedOut = true
      controller.abort()
    })
    let exchange: SyncExchange
    try {
      let markSent = (): void => {}
      const sent = new Promise<'sent'>((resolve) => (markSent = () => resolve('sent')))
      const answer = transport.post({
        url: outbound.stream === 'journal' ? journalUrl : historyUrl,
        headers: { ...headers, 'Idempotency-Key': outbound.batchId },
        body: outbound.body,
        signal: controller.signal,
        sent: markSent,
      })
      // While the central system works on this batch, this process builds the next one.
      if ((await Promise.race([sent, answer])) === 'sent' && !disposed) prepareAfter(outbound)
      exchange = await answer
    } finally {
      cancelTimeout()
      inFlight = null
    }
    if (disposed) return 0
    if (timedOut)
      exchange = {
        kind: 'failed',
        message: `no answer within ${timing.requestTimeoutMs / 1000} s`,
      }
    return settle(outbound, exchange)
  }

  const settle = (outbound: Outbound, exchange: SyncExchange): number => {
    if (exchange.kind === 'failed')
      return retryLater(outbound, 'offline', `Cannot reach the central system: ${exchange.message}`)
    const { status, body } = exchange
    const said = serverMessage(body)
    if (status >= 200 && status < 300)
      return outbound.stream === 'journal'
        ? settleJournal(outbound, body)
        : settleHistory(outbound, body)
    const problem = misconfigured.get(status)
    if (problem !== undefined)
      return retryLater(
        outbound,
        'offline',
        `The central system ${problem} (HTTP ${status}: ${said})`,
      )
    if (status === 408 || status === 429 || status >= 500)
      return retryLater(
        outbound,
        'backing-off',
        `The central system cannot take the batch now (HTTP ${status}: ${said})`,
        exchange.retryAfter,
      )
    if (status === 413 && shrink(outbound)) return 0
    if (status >= 400 && status < 500) return refuse(outbound, status, said)
    return retryLater(
      outbound,
      'offline',
      `Unexpected answer from the central system (HTTP ${status}); is central.url the final address?`,
    )
  }

  const retryLater = (
    outbound: Outbound,
    next: SyncState,
    message: string,
    retryAfter: string | null = null,
  ): number => {
    retrying = outbound
    generation += 1
    // History read ahead of the failed batch is dropped, and read again when next needed.
    samples?.dropReadAhead()
    failures += 1
    const now = scheduler.now()
    const asked = retryAfterDelay(retryAfter, now)
    const delay =
      asked === null
        ? backoffDelay(
            failures,
            { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs },
            random,
          )
        : Math.min(asked, timing.retryAfterMaxMs)
    logger.debug('sync attempt failed', { message, failures, delayMs: delay })
    fail(message, now)
    enter(next, message)
    nextAttemptAt = now + delay
    publish(true)
    return delay
  }

  /** The central system answered (taking the batch or refusing it for good): back to normal pacing. */
  const reached = (): void => {
    retrying = null
    failures = 0
    nextAttemptAt = null
    lastContactAt = scheduler.now()
    enter('online', null)
  }

  const succeeded = (): void => {
    reached()
    lastSuccessAt = lastContactAt
  }

  const settleJournal = (batch: JournalBatch, body: string): number => {
    const ack = parseAck(body, journalAckSchema)
    if (ack === null)
      return retryLater(
        batch,
        'backing-off',
        'The central system answered with an unreadable acknowledgement',
      )
    const { done, rejected, strangers } = sortAcknowledgement(batch, ack)
    if (strangers > 0)
      logger.warn('acknowledgement names events that were not in the batch; ignored', {
        batchId: batch.batchId,
        strangers,
      })
    if (batch.events.length > 0 && done.length === 0 && rejected.length === 0)
      return retryLater(batch, 'backing-off', 'The central system took none of the batch')
    // Ids in no list are sent again, before anything prepared after them.
    if (done.length + rejected.length < batch.events.length) generation += 1
    store.settleJournal(done, rejected, batch.batchId)
    succeeded()
    if (rejected.length > 0) {
      logger.warn('events quarantined: the central system rejected them', {
        batchId: batch.batchId,
        events: rejected.length,
        firstReason: rejected[0]?.reason,
      })
      fail(`The central system rejected ${rejected.length} event(s): ${rejected[0]?.reason}`)
    }
    publish(rejected.length > 0 || batch.events.length === 0)
    // A heartbeat found nothing to send: wait. Otherwise there may be more.
    return batch.events.length === 0 ? timing.pollMs : 0
  }

  const settleHistory = (batch: HistoryBatch, body: string): number => {
    const ack = parseAck(body, historyAckSchema)
    if (ack === null)
      return retryLater(
        batch,
        'backing-off',
        'The central system answered with an unreadable acknowledgement',
      )
    if (ack.accepted + ack.duplicate !== batch.sampleCount)
      return retryLater(
        batch,
        'backing-off',
        `The central system acknowledged ${ack.accepted + ack.duplicate} of ${batch.sampleCount} samples`,
      )
    samples?.settled(batch)
    store.recordHistorySuccess()
    succeeded()
    historyLastSuccessAt = lastSuccessAt
    publish(false)
    return 0
  }

  /** 413: halves the limits and cuts the batch again smaller; false when it cannot be cut. */
  const shrink = (outbound: Outbound): boolean => {
    if (outbound.stream === 'journal') {
      if (outbound.events.length <= 1) return false
      maxEvents = Math.max(1, Math.floor(outbound.events.length / 2))
      journalMaxBytes = Math.max(1, Math.floor(outbound.body.length / 2))
    } else {
      if (samples === null || !samples.shrink(outbound)) return false
      historyMaxBytes = Math.max(1, Math.floor(outbound.body.length / 2))
      samples.giveBack(outbound)
    }
    retrying = null
    generation += 1
    const size = outbound.stream === 'journal' ? outbound.events.length : outbound.sampleCount
    fail(`The central system found a batch of ${size} too large (HTTP 413); sending smaller ones`)
    publish(true)
    return true
  }

  /** Any other 4xx: the batch is quarantined with the server's message, and sync moves on. */
  const refuse = (outbound: Outbound, status: number, said: string): number => {
    const message = `HTTP ${status}: ${said}`
    const error = {
      at: scheduler.now(),
      message: `The central system refused a batch (${message})`,
    }
    if (outbound.stream === 'history') {
      store.refuseHistory(outbound, message, status, error)
      // Settled only once its samples are safe in quarantine: a crash in between sends them again.
      // A batch the operator released and the central system refused again stays in quarantine:
      // settling it would delete the only copy (its samples were marked synced when first kept).
      if (outbound.source.kind !== 'quarantine') samples?.settled(outbound)
      logger.warn('history batch quarantined: the central system refused it', {
        batchId: outbound.batchId,
        samples: outbound.sampleCount,
        message,
      })
    } else if (outbound.events.length === 0) {
      // A central system that refuses the empty heartbeat batch is still reachable.
      logger.warn('the central system refused a heartbeat', { message })
      store.recordError(error)
    } else {
      const refusals = outbound.events.map(({ seq, id }) => ({ seq, id, reason: message }))
      store.refuseJournal(refusals, status, outbound.batchId, error)
      logger.warn('batch quarantined: the central system refused it', {
        batchId: outbound.batchId,
        events: refusals.length,
        message,
      })
    }
    lastError = error
    reached()
    publish(true)
    return 0
  }

  const schedule = (ms: number): void => {
    wake?.()
    wake = scheduler.after(ms, run)
  }

  /** One cycle whatever happens in it; returns the ms until the next. */
  const attempt = async (): Promise<number> => {
    try {
      return await cycle()
    } catch (error) {
      // A database failure or a bug: reported, retried with backoff, never the end of sync. What
      // was read from the history feed is forgotten and read again, so nothing hangs on a batch
      // whose answer was never settled.
      failures += 1
      generation += 1
      retrying = null
      samples?.reset()
      const delay = backoffDelay(
        failures,
        { baseMs: timing.backoffBaseMs, maxMs: timing.backoffMaxMs },
        random,
      )
      logger.error('sync cycle failed', { error: describeError(error) })
      lastError = { at: scheduler.now(), message: `Sync failed: ${describeError(error)}` }
      nextAttemptAt = scheduler.now() + delay
      publishDespiteFailure()
      return delay
    }
  }

  function run(): void {
    wake = null
    if (disposed || running !== null) return
    running = (async () => {
      // While a backlog drains, cycles follow each other at once rather than through a timer (a
      // timer of 0 still waits a millisecond or more, per batch). Each of them waits for its
      // answer, so the event loop runs in between.
      for (;;) {
        let delay = await attempt()
        if (disposed) return
        if (kickedWhileRunning) {
          kickedWhileRunning = false
          delay = 0
        }
        // New events during a request that failed wait for the backoff like everything else.
        if (notifiedWhileRunning) {
          notifiedWhileRunning = false
          if (state === 'online') delay = 0
        }
        if (delay > 0) {
          running = null
          schedule(delay)
          return
        }
      }
    })()
  }

  function kick(): void {
    if (!started || disposed) return
    if (running !== null) kickedWhileRunning = true
    else schedule(0)
  }

  /**
   * Something new was recorded. While online this sends it now instead of at the next poll; while
   * offline or backing off it only updates the backlog on screen: a console recording during an
   * outage must not cut its backoff or Retry-After short (many consoles doing so would retry in
   * step, the very thing jitter prevents). kick() is the operator's "try now", which may.
   */
  function notify(): void {
    if (!started || disposed) return
    if (state !== 'online') {
      publishSoon()
      return
    }
    if (running !== null) notifiedWhileRunning = true
    else schedule(0)
  }

  return {
    start: () => {
      if (started || disposed) return
      started = true
      schedule(0)
    },
    status: () => snapshot,
    onStatus: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    quarantined: (limit = 1_000) => store.quarantined(limit),
    retryQuarantined: (ids) => {
      const released = store.retry(ids)
      logger.info('quarantined items released for retry', { released })
      // Released events go before anything prepared after them.
      generation += 1
      publish(true)
      if (released > 0) kick()
      return released
    },
    exportQuarantined: () => store.exportNdjson(),
    kick,
    notify,
    dispose: async () => {
      if (disposed) return
      disposed = true
      wake?.()
      wake = null
      trailingPublish?.()
      trailingPublish = null
      inFlight?.abort()
      await running
      if (ownsTransport) transport.dispose()
      listeners.clear()
    },
  }
}

/** Which acknowledged ids count, and how. */
function sortAcknowledgement(
  batch: JournalBatch,
  ack: JournalAck,
): { done: number[]; rejected: EventRefusal[]; strangers: number } {
  const inBatch = new Map(batch.events.map((event) => [event.id, event]))
  const rejected = new Map<string, EventRefusal>()
  let strangers = 0
  for (const { id, reason } of ack.rejected) {
    const event = inBatch.get(id)
    if (event === undefined) strangers += 1
    else if (!rejected.has(id))
      rejected.set(id, { ...event, reason: reason.slice(0, quarantineMessageLimit) })
  }
  // An id both taken and rejected is quarantined: kept and shown beats marked done and lost.
  const done = new Set<number>()
  for (const id of [...ack.accepted, ...ack.duplicate]) {
    const event = inBatch.get(id)
    if (event === undefined) strangers += 1
    else if (!rejected.has(id)) done.add(event.seq)
  }
  return { done: [...done], rejected: [...rejected.values()], strangers }
}

function parseAck<T>(body: string, schema: ZodType<T>): T | null {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return null
  }
  const parsed = schema.safeParse(value)
  return parsed.success ? parsed.data : null
}

/** The server's words for a refusal: a JSON error or message field, else the text, kept short. */
function serverMessage(body: string): string {
  let said = body
  try {
    const value = JSON.parse(body) as unknown
    if (typeof value === 'object' && value !== null) {
      const { error, message } = value as Record<string, unknown>
      if (typeof error === 'string') said = error
      else if (typeof message === 'string') said = message
    }
  } catch {
    // Not JSON: the text itself.
  }
  said = said.replace(/\s+/g, ' ').trim()
  if (said.length === 0) return 'no message'
  return said.length > quarantineMessageLimit ? `${said.slice(0, quarantineMessageLimit)}…` : said
}

/** The address as the operator may see it: without user name or password. */
function displayedTarget(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString().replace(/\/+$/, '')
}
