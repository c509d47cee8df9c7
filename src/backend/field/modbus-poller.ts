import type ModbusRTU from 'modbus-serial'
import {
  defaultMaxGap,
  describeBlock,
  joinPieces,
  planBlocks,
  splitBlock,
  type ReadBlock,
  type RefusedSpan,
} from '../../shared/field/block-plan'
import {
  applyScale,
  decodeBits,
  decodeRegisters,
  describeModbusException,
  type ModbusValue,
} from '../../shared/field/codec'
import type { ModbusFrame, SourceDiagnostics, SourceStats } from '../../shared/field/diagnostics'
import type { SourceStatus, TagValue } from '../../shared/field/values'
import { assertNever, fail, ok } from '../../shared/result'
import { every, type Cancel } from '../../shared/scheduler'
import type { Tag } from '../../shared/site/schema'
import type { DriverContext, FieldSink, SourceDriver } from './driver'
import { median } from '../../shared/statistics'
import { describeError } from '../log/logger'

// The polling engine shared by Modbus TCP and Modbus RTU. Both read the same block plan the same
// way under the safety rules of DESIGN.md §4: every request has the client's timeout plus an outer
// watchdog, nothing is left pending, a failed link is thrown away and rebuilt with backoff, and
// exceptions only spoil the reads that raised them. They differ in how the link is opened (a TCP
// socket, a serial port) and in what silence means (see ModbusPollerOptions.silence).
//
// Link states of one driver:
//
//   connecting ──open──▶ (link open, no answer yet) ──first answer──▶ connected
//        ▲                       │                                       │
//        │                       └──────── failure ──────┐ ┌─────────────┘
//        └── after backoff (0.5 s doubling to 10 s) ── disconnected
//
// Requests on one link go through one queue: one request on the wire at a time, whether it comes
// from the poll or from readRegisters (Modbus over Serial Line v1.02 §2.4.1: the master has one
// request outstanding and waits for its reply or its time-out; on TCP we keep the same discipline
// because many gateways behind a TCP port are serial on the other side).

const initialBackoffMs = 500
const maxBackoffMs = 10_000
/** How long a refined plan is trusted before the merged read is tried again (a PLC may be reconfigured). */
export const retryMergedMs = 60_000
const trafficSize = 50
const roundTripSize = 50
const rateWindowMs = 10_000

type ConnectionState = SourceStatus['state']

/** What a link reports while it opens and lives. */
export type ModbusLinkEvents = {
  /** The link is open; requests go through this client. */
  opened: (client: ModbusRTU) => void
  /** The link failed or closed, in words an operator can act on. Later calls are ignored. */
  failed: (reason: string) => void
}

export type ModbusLink = {
  /** Releases the socket or port; resolves once its handle is gone. */
  close: () => Promise<void>
  /** Drops received bytes nobody asked for (a late reply) before the next request is sent. */
  discardInput?: () => void
}

/** Opens one link (a TCP connection, a serial port). It must not throw; it reports via events. */
export type ModbusLinkOpener = (events: ModbusLinkEvents) => ModbusLink

export type ModbusPollerOptions = {
  /** For log scopes. */
  protocol: 'modbus-tcp' | 'modbus-rtu'
  source: { id: string; unitId: number; pollMs: number; timeoutMs: number }
  tags: Tag[]
  /** How operators name the link: "10.0.0.5:502", "/dev/ttyUSB0". */
  endpoint: string
  /** How long opening the link may take before it counts as failed. */
  connectTimeoutMs: number
  open: ModbusLinkOpener
  /**
   * What a request without a usable answer (time-out, garbled frame) means.
   * - 'connection' (TCP): the stream is out of step or the peer is hung; rebuild the link.
   * - 'unit' (RS-485): one device on a shared bus is silent; the others may still answer, so only
   *   that unit's tags go bad for this scan. A scan in which nobody answers rebuilds the link.
   */
  silence: 'connection' | 'unit'
  /**
   * After a silent request, wait this long before the next one, then discard what arrived: a late
   * reply on a bus must not be taken for the answer to the next request.
   */
  quietMs?: number
}

type Answer =
  | { kind: 'registers'; words: number[] }
  | { kind: 'bits'; bits: boolean[] }
  | { kind: 'exception'; code: number }

type ReadOutcome =
  | Answer
  /** No usable answer; the link itself may be fine (a time-out, a garbled frame). */
  | { kind: 'silent'; reason: string }
  /** The link is gone or in an unknown state; the session has been ended. */
  | { kind: 'lost'; reason: string }

/** One opened link, from the open attempt until it is released. */
type Session = {
  link: ModbusLink | null
  client: ModbusRTU | null
  ended: boolean
  /** The device has answered at least one request on this link. */
  answered: boolean
  /** Resolves once the link's handle is released. */
  closed: Promise<void>
  /** Reads and pauses waiting to hear that the link is gone. */
  endListeners: Set<(reason: string) => void>
  cancelConnectWatchdog: Cancel
  cancelPolling: Cancel
  cycle: Promise<void> | null
  /** Tail of the request queue. */
  queue: Promise<void>
}

/** A planned block the device refused as a whole, read as smaller pieces for a while. */
type Refinement = { pieces: ReadBlock[]; refused: RefusedSpan[]; retryMergedAt: number }

type ReplyCallback<T> = (error: unknown, result: { data: T } | undefined) => void

/** Refusals bisection can locate (Modbus Application Protocol v1.1b3 §7). */
const illegalDataAddress = 0x02
const illegalDataValue = 0x03
const isRefusal = (outcome: ReadOutcome): boolean =>
  outcome.kind === 'exception' &&
  (outcome.code === illegalDataAddress || outcome.code === illegalDataValue)

export function createModbusPoller(
  options: ModbusPollerOptions,
  sink: FieldSink,
  context: DriverContext,
): SourceDriver {
  const { source, endpoint, tags } = options
  const { scheduler } = context
  const logger = context.logger.child(`${options.protocol}.${source.id}`)
  const plan = planBlocks(tags, { unitId: source.unitId, maxGap: defaultMaxGap })
  const plannedTags = plan.blocks.flatMap((block) => block.tags.map((planned) => planned.tag))
  // The client's own timer fires at timeoutMs; the watchdog only catches what it misses.
  const watchdogMs = source.timeoutMs + Math.max(100, Math.round(source.timeoutMs / 4))
  const quietMs = options.quietMs ?? 0

  for (const { tag, reason } of plan.unplanned)
    logger.warn('tag cannot be read', { tag: tag.id, reason })

  let started = false
  let disposed = false
  let disposal: Promise<void> | null = null
  /** The release of the most recent link, awaited by dispose() even when no session is open. */
  let lastClosed: Promise<void> = Promise.resolve()
  let session: Session | null = null
  let cancelReconnect: Cancel = () => {}
  let backoffMs = initialBackoffMs
  let status: { state: ConnectionState; lastError: string | null; since: number } | null = null
  const refinements = new Map<ReadBlock, Refinement>()
  const diagnostics = createDiagnostics(() => scheduler.now())

  // While retrying, the state stays `disconnected` with the time the outage began, so an operator
  // (and the alarm on a lost connection) sees one outage, not a flicker per attempt.
  const reportStatus = (state: ConnectionState, lastError: string | null): void => {
    if (disposed || (status && status.state === state && status.lastError === lastError)) return
    const since = status && status.state === state ? status.since : scheduler.now()
    status = { state, lastError, since }
    if (state === 'disconnected') logger.warn('disconnected', { endpoint, lastError })
    else logger.info(state, { endpoint })
    try {
      sink.status(status)
    } catch (error) {
      logger.error('status sink failed', { error: describeError(error) })
    }
  }

  const reportValues = (values: TagValue[]): void => {
    if (disposed || values.length === 0) return
    try {
      sink.values(values)
    } catch (error) {
      logger.error('value sink failed', { error: describeError(error) })
    }
  }

  const tagValue = (tag: Tag, value: ModbusValue | null, reason?: string): TagValue => ({
    tagId: tag.id,
    value,
    quality: reason === undefined ? 'good' : 'bad',
    ...(reason === undefined ? {} : { reason }),
    // Modbus carries no timestamps (Modbus Application Protocol v1.1b3 has none in its PDUs).
    sourceTs: null,
    receivedTs: scheduler.now(),
    sourceId: source.id,
  })

  const badValues = (block: ReadBlock, reason: string): TagValue[] =>
    block.tags.map(({ tag }) => tagValue(tag, null, reason))

  const unplannedValues = (): TagValue[] =>
    plan.unplanned.map(({ tag, reason }) => tagValue(tag, null, reason))

  const endSession = (ending: Session, reason: string): void => {
    if (ending.ended) return
    ending.ended = true
    ending.cancelConnectWatchdog()
    ending.cancelPolling()
    for (const listener of ending.endListeners) listener(reason)
    ending.endListeners.clear()
    if (ending.link) ending.closed = ending.link.close()
    lastClosed = ending.closed
    if (session === ending) session = null
    if (disposed) return
    reportStatus('disconnected', reason)
    reportValues([...plannedTags.map((tag) => tagValue(tag, null, reason)), ...unplannedValues()])
    const delay = backoffMs
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs)
    cancelReconnect = scheduler.after(delay, connect)
  }

  /** Connected means the device answers, not merely that the link opened (a hung gateway does that). */
  const markAnswered = (current: Session): void => {
    if (current.answered) return
    current.answered = true
    backoffMs = initialBackoffMs
    reportStatus('connected', null)
  }

  const connect = (): void => {
    if (disposed) return
    const current: Session = {
      link: null,
      client: null,
      ended: false,
      answered: false,
      closed: Promise.resolve(),
      endListeners: new Set(),
      cancelConnectWatchdog: () => {},
      cancelPolling: () => {},
      cycle: null,
      queue: Promise.resolve(),
    }
    session = current
    current.cancelConnectWatchdog = scheduler.after(options.connectTimeoutMs, () =>
      endSession(
        current,
        `cannot connect to ${endpoint}: no answer within ${options.connectTimeoutMs} ms`,
      ),
    )
    let link: ModbusLink
    try {
      link = options.open({
        opened: (client) => {
          if (current.ended || current.client) return
          current.cancelConnectWatchdog()
          current.client = client
          client.setTimeout(source.timeoutMs)
          startPolling(current)
        },
        failed: (reason) => endSession(current, reason),
      })
    } catch (error) {
      endSession(current, `cannot connect to ${endpoint}: ${describeError(error)}`)
      return
    }
    current.link = link
    // The opener may have failed before it returned its link.
    if (current.ended) current.closed = link.close()
  }

  const startPolling = (current: Session): void => {
    if (plan.blocks.length === 0) markAnswered(current)
    // One cycle at a time: a tick that finds a cycle still running waits for it.
    const runCycle = (): Promise<void> => {
      if (current.ended) return Promise.resolve()
      current.cycle ??= pollCycle(current).finally(() => {
        current.cycle = null
      })
      return current.cycle
    }
    void runCycle()
    current.cancelPolling = every(scheduler, source.pollMs, runCycle, (error) =>
      logger.error('poll cycle failed', { error: describeError(error) }),
    )
  }

  const pollCycle = async (current: Session): Promise<void> => {
    try {
      const values: TagValue[] = []
      /** Units that did not answer in this scan, with the reason: their other blocks wait. */
      const silentUnits = new Map<number, string>()
      let answered = false
      let lastSilence: string | null = null
      for (const block of plan.blocks) {
        if (current.ended) return
        const silence = silentUnits.get(block.unitId)
        if (silence !== undefined) {
          for (const piece of piecesOf(block)) diagnostics.blockError(piece, silence)
          values.push(...badValues(block, silence))
          continue
        }
        const result = await readPlanned(current, block)
        if (current.ended) return
        switch (result.kind) {
          case 'lost':
            return
          case 'silent':
            silentUnits.set(block.unitId, result.reason)
            lastSilence = result.reason
            values.push(...badValues(block, result.reason))
            break
          case 'values':
            answered = true
            values.push(...result.values)
            break
          default:
            return assertNever(result, 'poll result')
        }
      }
      if (!answered && lastSilence !== null) {
        // Nobody on the bus answered a whole scan: the adapter or the cable is the likelier fault.
        endSession(current, lastSilence)
        return
      }
      reportValues([...values, ...unplannedValues()])
    } catch (error) {
      endSession(current, `internal error while polling ${endpoint}: ${describeError(error)}`)
    }
  }

  const piecesOf = (block: ReadBlock): ReadBlock[] => refinements.get(block)?.pieces ?? [block]

  type PlannedResult =
    | { kind: 'values'; values: TagValue[] }
    | { kind: 'silent'; reason: string }
    | { kind: 'lost'; reason: string }

  /**
   * Reads one planned block: as planned, or as the pieces it was split into after a refusal. The
   * merged read is tried again every retryMergedMs in case the device was reconfigured.
   */
  const readPlanned = async (current: Session, block: ReadBlock): Promise<PlannedResult> => {
    const refinement = refinements.get(block)
    if (refinement && scheduler.now() < refinement.retryMergedAt) {
      return readPieces(current, block, refinement, null)
    }
    const outcome = await read(current, block)
    if (outcome.kind === 'lost' || outcome.kind === 'silent') return outcome
    markAnswered(current)
    if (isRefusal(outcome) && splitBlock(block)) {
      if (refinement) {
        // Still refused: keep the pieces we know, and look again later.
        refinement.retryMergedAt = scheduler.now() + retryMergedMs
        return readPieces(current, block, refinement, null)
      }
      logger.info('block refused, splitting it', { block: describeBlock(block) })
      const fresh: Refinement = {
        pieces: [block],
        refused: [],
        retryMergedAt: scheduler.now() + retryMergedMs,
      }
      return readPieces(current, block, fresh, outcome)
    }
    if (refinement) {
      logger.info('merged block readable again', { block: describeBlock(block) })
      refinements.delete(block)
    }
    return { kind: 'values', values: blockValues(block, outcome) }
  }

  /**
   * Reads the pieces of a refined block, splitting any piece the device refuses until each refused
   * read holds one tag (or tags that cannot be parted), then remembers the new pieces.
   * `firstOutcome` is the answer already received for the block itself.
   */
  const readPieces = async (
    current: Session,
    block: ReadBlock,
    refinement: Refinement,
    firstOutcome: Answer | null,
  ): Promise<PlannedResult> => {
    const pending = [...refinement.pieces]
    const done: ReadBlock[] = []
    const good = new Set<ReadBlock>()
    const refused = [...refinement.refused]
    const values: TagValue[] = []
    let known = firstOutcome
    for (let piece = pending.shift(); piece; piece = pending.shift()) {
      const outcome = known ?? (await read(current, piece))
      known = null
      if (outcome.kind === 'lost' || outcome.kind === 'silent') return outcome
      markAnswered(current)
      if (isRefusal(outcome)) {
        const halves = splitBlock(piece)
        if (halves) {
          refused.push({ start: piece.start, count: piece.count })
          pending.unshift(...halves)
          continue
        }
      } else if (outcome.kind !== 'exception') {
        good.add(piece)
      }
      done.push(piece)
      values.push(...blockValues(piece, outcome))
    }
    refinements.set(block, {
      pieces: joinPieces(done, good, refused),
      refused,
      retryMergedAt: refinement.retryMergedAt,
    })
    return { kind: 'values', values }
  }

  /** Runs `task` when every request queued before it has finished: one request on the wire. */
  const exclusive = <T>(current: Session, task: () => Promise<T>): Promise<T> => {
    const run = current.queue.then(task)
    current.queue = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  /** Waits `ms`, or less if the link goes away. */
  const pause = (current: Session, ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (current.ended || ms <= 0) {
        resolve()
        return
      }
      const done = (): void => {
        cancel()
        current.endListeners.delete(done)
        resolve()
      }
      const cancel = scheduler.after(ms, done)
      current.endListeners.add(done)
    })

  /**
   * `silence` says what an unanswered request means; the byte-order helper passes 'unit' so an
   * engineer asking about a unit id a gateway does not serve cannot take the whole link down.
   */
  const read = (
    current: Session,
    block: ReadBlock,
    silence: ModbusPollerOptions['silence'] = options.silence,
  ): Promise<ReadOutcome> =>
    exclusive(current, async () => {
      const outcome = await transact(current, block)
      if (outcome.kind === 'lost' || (outcome.kind === 'silent' && silence === 'connection')) {
        endSession(current, outcome.reason)
        return { kind: 'lost', reason: outcome.reason } satisfies ReadOutcome
      }
      if (outcome.kind === 'silent') await pause(current, quietMs)
      return outcome
    })

  /** One request and its answer. Always settles: answer, client error, lost link or watchdog. */
  const transact = (current: Session, block: ReadBlock): Promise<ReadOutcome> =>
    new Promise((resolve) => {
      const what = describeBlock(block)
      const client = current.client
      if (!client || current.ended) {
        resolve({ kind: 'lost', reason: `not connected to ${endpoint}` })
        return
      }
      let settled = false
      let cancelWatchdog: Cancel = () => {}
      const sentAt = performance.now()
      const finish = (outcome: ReadOutcome, timedOut = false): void => {
        if (settled) return
        settled = true
        cancelWatchdog()
        current.endListeners.delete(onEnd)
        diagnostics.answer(block, outcome, performance.now() - sentAt, timedOut)
        resolve(outcome)
      }
      const onEnd = (reason: string): void => finish({ kind: 'lost', reason })
      cancelWatchdog = scheduler.after(watchdogMs, () =>
        finish(
          {
            kind: 'lost',
            reason: `no answer within ${watchdogMs} ms to a read of ${what} (watchdog)`,
          },
          true,
        ),
      )
      current.endListeners.add(onEnd)
      const onFailure = (error: unknown): void => {
        const code = (error as { modbusCode?: unknown } | null)?.modbusCode
        const errno = (error as { errno?: unknown } | null)?.errno
        if (typeof code === 'number') finish({ kind: 'exception', code })
        else if (errno === 'ETIMEDOUT') {
          finish(
            {
              kind: 'silent',
              reason: `no answer within ${source.timeoutMs} ms to a read of ${what}`,
            },
            true,
          )
        } else if (describeError(error) === 'Port Not Open') {
          finish({ kind: 'lost', reason: `not connected to ${endpoint}` })
        } else {
          finish({
            kind: 'silent',
            reason: `garbled reply to a read of ${what}: ${describeError(error)}`,
          })
        }
      }
      const onRegisters: ReplyCallback<number[]> = (error, result) => {
        if (error || !result) onFailure(error)
        else finish({ kind: 'registers', words: result.data })
      }
      const onBits: ReplyCallback<boolean[]> = (error, result) => {
        if (error || !result) onFailure(error)
        else finish({ kind: 'bits', bits: result.data })
      }
      current.link?.discardInput?.()
      diagnostics.request(block)
      // The callback API (not the promise one) so a request dropped by destroy() leaves no promise
      // behind in the library; the unit id goes with each request instead of living in setID.
      try {
        const { unitId, start, count } = block
        if (block.table === 'coil') client.writeFC1(unitId, start, count, onBits)
        else if (block.table === 'discrete') client.writeFC2(unitId, start, count, onBits)
        else if (block.table === 'holding') client.writeFC3(unitId, start, count, onRegisters)
        else client.writeFC4(unitId, start, count, onRegisters)
      } catch (error) {
        onFailure(error)
      }
    })

  const blockValues = (block: ReadBlock, outcome: Answer): TagValue[] => {
    if (outcome.kind === 'exception') {
      return badValues(block, `${describeModbusException(outcome.code)} at ${describeBlock(block)}`)
    }
    return block.tags.map(({ tag, address, index, count }) => {
      try {
        const raw =
          outcome.kind === 'bits'
            ? decodeBits(address, outcome.bits.slice(index, index + count))
            : decodeRegisters(address, outcome.words.slice(index, index + count))
        return tagValue(tag, applyScale(raw, tag.scale))
      } catch (error) {
        return tagValue(
          tag,
          null,
          `cannot decode ${address.table} ${address.offset}: ${describeError(error)}`,
        )
      }
    })
  }

  const readRegisters: NonNullable<SourceDriver['readRegisters']> = async (request) => {
    const current = session
    // Nothing waits for a connection: an engineer at the byte-order helper wants to know now.
    if (!current || !current.client || current.ended) {
      const why = status?.lastError ? `: ${status.lastError}` : ''
      return fail('not-connected', `${endpoint} is not connected${why}`)
    }
    const block: ReadBlock = {
      unitId: request.unitId ?? source.unitId,
      table: request.table,
      start: request.offset,
      count: request.count,
      tags: [],
    }
    const outcome = await read(current, block, 'unit')
    switch (outcome.kind) {
      case 'registers':
        markAnswered(current)
        return ok(outcome.words.slice(0, request.count))
      case 'exception':
        markAnswered(current)
        return fail(
          'modbus-exception',
          `${describeModbusException(outcome.code)} at ${describeBlock(block)}`,
        )
      case 'bits':
        return fail('internal', `a read of ${describeBlock(block)} returned bits`)
      case 'silent':
      case 'lost':
        return fail('no-answer', outcome.reason)
      default:
        return assertNever(outcome, 'read outcome')
    }
  }

  return {
    start: () => {
      if (started || disposed) return
      started = true
      reportStatus('connecting', null)
      reportValues(unplannedValues())
      connect()
    },
    dispose: () => {
      if (!disposal) {
        disposed = true
        cancelReconnect()
        const current = session
        if (current) {
          const cycle = current.cycle ?? Promise.resolve()
          const queue = current.queue
          endSession(current, 'the console closed the connection')
          disposal = Promise.all([current.closed, cycle, queue]).then(() => undefined)
        } else {
          // Between sessions (waiting to reconnect) the last socket or port may still be closing.
          disposal = lastClosed
        }
      }
      return disposal
    },
    diagnostics: (): Omit<SourceDiagnostics, 'sourceId'> => ({
      stats: diagnostics.stats(),
      details: {
        kind: 'modbus',
        blocks: plan.blocks.flatMap(piecesOf).map((piece) => ({
          unitId: piece.unitId,
          table: piece.table,
          start: piece.start,
          count: piece.count,
          tagIds: piece.tags.map(({ tag }) => tag.id),
          lastError: diagnostics.lastError(piece),
        })),
        unplanned: plan.unplanned.map(({ tag, reason }) => ({ tagId: tag.id, reason })),
        traffic: diagnostics.traffic(),
      },
    }),
    readRegisters,
  }
}

/** Figures for the Connections view, kept as requests happen (cheap: a few counters and rings). */
function createDiagnostics(now: () => number) {
  let requests = 0
  let errors = 0
  let timeouts = 0
  let unanswered = 0
  const roundTrips: number[] = []
  const requestTimes: number[] = []
  const frames: ModbusFrame[] = []
  const blockErrors = new WeakMap<ReadBlock, string | null>()
  let firstRequestAt: number | null = null

  const frame = (entry: ModbusFrame): void => {
    frames.push(entry)
    if (frames.length > trafficSize) frames.shift()
  }
  const prune = (at: number): void => {
    while (requestTimes.length > 0 && (requestTimes[0] as number) <= at - rateWindowMs)
      requestTimes.shift()
  }

  return {
    request: (block: ReadBlock): void => {
      const at = now()
      requests++
      firstRequestAt ??= at
      requestTimes.push(at)
      prune(at)
      frame({ ts: at, direction: 'request', unitId: block.unitId, hex: requestPdu(block) })
    },
    answer: (block: ReadBlock, outcome: ReadOutcome, elapsedMs: number, timedOut: boolean) => {
      const at = now()
      const unitId = block.unitId
      if (outcome.kind === 'registers' || outcome.kind === 'bits' || outcome.kind === 'exception') {
        roundTrips.push(elapsedMs)
        if (roundTrips.length > roundTripSize) roundTrips.shift()
      }
      switch (outcome.kind) {
        case 'registers':
        case 'bits':
          blockErrors.set(block, null)
          frame({ ts: at, direction: 'response', unitId, hex: responsePdu(block, outcome) })
          return
        case 'exception': {
          errors++
          const words = describeModbusException(outcome.code)
          blockErrors.set(block, `${words} at ${describeBlock(block)}`)
          frame({
            ts: at,
            direction: 'error',
            unitId,
            hex: hex([functionCode(block.table) | 0x80, outcome.code]),
            note: words,
          })
          return
        }
        case 'silent':
        case 'lost':
          errors++
          unanswered++
          if (timedOut) timeouts++
          blockErrors.set(block, outcome.reason)
          frame({ ts: at, direction: 'error', unitId, hex: '', note: outcome.reason })
          return
        default:
          return assertNever(outcome, 'read outcome')
      }
    },
    blockError: (block: ReadBlock, reason: string): void => void blockErrors.set(block, reason),
    lastError: (block: ReadBlock): string | null => blockErrors.get(block) ?? null,
    traffic: (): ModbusFrame[] => [...frames],
    stats: (): SourceStats => {
      const at = now()
      prune(at)
      // Over the last 10 s, or since the first request when the driver is younger than that.
      const windowMs =
        firstRequestAt === null
          ? rateWindowMs
          : Math.min(rateWindowMs, Math.max(1000, at - firstRequestAt))
      return {
        roundTripMs: median(roundTrips),
        requestsPerSecond: (requestTimes.length * 1000) / windowMs,
        requests,
        errors,
        timeouts,
        frameLossPercent: requests === 0 ? 0 : (unanswered / requests) * 100,
      }
    },
  }
}

/** Modbus Application Protocol v1.1b3 §6.1–§6.4: read coils, discrete inputs, holding, input. */
export function functionCode(table: ReadBlock['table']): number {
  switch (table) {
    case 'coil':
      return 0x01
    case 'discrete':
      return 0x02
    case 'holding':
      return 0x03
    case 'input':
      return 0x04
    default:
      return assertNever(table, 'table')
  }
}

/** "03 00 64 00 0c" */
export function hex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ')
}

/** The request PDU: function code, starting address, quantity (§6.1–§6.4, all big-endian). */
export function requestPdu(block: Pick<ReadBlock, 'table' | 'start' | 'count'>): string {
  const { start, count } = block
  return hex([functionCode(block.table), start >> 8, start & 0xff, count >> 8, count & 0xff])
}

/**
 * The response PDU as the device sent it: function code, byte count, then the registers high byte
 * first or the bits packed eight to a byte, least significant first (§6.1–§6.4).
 */
export function responsePdu(
  block: Pick<ReadBlock, 'table' | 'count'>,
  answer:
    { kind: 'registers'; words: readonly number[] } | { kind: 'bits'; bits: readonly boolean[] },
): string {
  const data: number[] = []
  if (answer.kind === 'registers') {
    for (const word of answer.words) data.push((word >> 8) & 0xff, word & 0xff)
  } else {
    const byteCount = Math.ceil(block.count / 8)
    for (let byte = 0; byte < byteCount; byte++) {
      let value = 0
      for (let bit = 0; bit < 8; bit++) if (answer.bits[byte * 8 + bit]) value |= 1 << bit
      data.push(value)
    }
  }
  return hex([functionCode(block.table), data.length, ...data])
}
