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
  encodeBits,
  encodeRegisters,
  removeScale,
  type ModbusValue,
} from '../../shared/field/codec'
import type { ModbusFrame, SourceDiagnostics, SourceStats } from '../../shared/field/diagnostics'
import type { SourceStatus, TagValue } from '../../shared/field/values'
import { assertNever, fail, ok, type Result } from '../../shared/result'
import { every, type Cancel } from '../../shared/scheduler'
import type { Tag } from '../../shared/site/schema'
import type { DriverContext, FieldSink, SourceDriver } from './driver'
import { median } from '../../shared/statistics'
import { describeError } from '../log/logger'

// The polling engine shared by Modbus TCP and Modbus RTU. Both read the same block plan, and write,
// the same way under the safety rules of DESIGN.md §4: every request has the client's timeout plus
// an outer watchdog, nothing is left pending, a failed link is thrown away and rebuilt with backoff,
// exceptions only spoil the reads that raised them, and writes are never queued while disconnected
// nor retried. They differ in how the link is opened (a TCP
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
// from the poll, from readRegisters or from a write (Modbus over Serial Line v1.02 §2.4.1: the
// master has one request outstanding and waits for its reply or its time-out; on TCP we keep the
// same discipline because many gateways behind a TCP port are serial on the other side).

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

/** What a device sends back when it carried a request out. */
type ReadData = { kind: 'registers'; words: number[] } | { kind: 'bits'; bits: boolean[] }
type Written = { kind: 'written' }
type Reply = ReadData | Written

type Answer = ReadData | { kind: 'exception'; code: number }

type Outcome<R extends Reply> =
  | R
  | { kind: 'exception'; code: number }
  /** No usable answer; the link itself may be fine (a time-out, a garbled frame). */
  | { kind: 'silent'; reason: string }
  /** The link is gone or in an unknown state; the session has been ended. */
  | { kind: 'lost'; reason: string }

type ReadOutcome = Outcome<ReadData>

/** What the traffic log and the block diagnostics keep of a request. */
type RequestFrame = {
  unitId: number
  functionCode: number
  /** The request PDU in hex, as sent. */
  pdu: string
  /** The planned block a poll read is for: its last error is shown in the Connections view. */
  block: ReadBlock | null
}

/** One request to put on the wire: a block read or a write. */
type WireRequest<R extends Reply> = RequestFrame & {
  /** "a read of holding 100–111 (unit 1)", for reasons an operator reads. */
  what: string
  send: (client: ModbusRTU, reply: (error: unknown, answer?: R) => void) => void
  /** The response PDU as the device sent it, for the traffic log. */
  responsePdu: (answer: R) => string
}

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

  /** Reads a block: the poll passes the planned block, the byte-order helper an ad-hoc one. */
  const read = (
    current: Session,
    block: ReadBlock,
    silence: ModbusPollerOptions['silence'] = options.silence,
  ): Promise<ReadOutcome> => exchange(current, readRequest(block), silence)

  /**
   * Puts one request on the wire when every request queued before it has finished. `silence` says
   * what an unanswered request means; the byte-order helper passes 'unit' so an engineer asking
   * about a unit id a gateway does not serve cannot take the whole link down.
   */
  const exchange = <R extends Reply>(
    current: Session,
    request: WireRequest<R>,
    silence: ModbusPollerOptions['silence'] = options.silence,
  ): Promise<Outcome<R>> =>
    exclusive(current, async () => {
      const outcome = await transact(current, request)
      if (outcome.kind === 'lost' || (outcome.kind === 'silent' && silence === 'connection')) {
        endSession(current, outcome.reason)
        return { kind: 'lost', reason: outcome.reason } satisfies Outcome<R>
      }
      if (outcome.kind === 'silent') await pause(current, quietMs)
      return outcome
    })

  /** One request and its answer. Always settles: answer, client error, lost link or watchdog. */
  const transact = <R extends Reply>(
    current: Session,
    request: WireRequest<R>,
  ): Promise<Outcome<R>> =>
    new Promise((resolve) => {
      const { what } = request
      const client = current.client
      if (!client || current.ended) {
        resolve({ kind: 'lost', reason: `not connected to ${endpoint}` })
        return
      }
      let settled = false
      let cancelWatchdog: Cancel = () => {}
      const sentAt = performance.now()
      const finish = (outcome: Outcome<R>, timedOut = false): void => {
        if (settled) return
        settled = true
        cancelWatchdog()
        current.endListeners.delete(onEnd)
        const response =
          outcome.kind === 'exception' || outcome.kind === 'silent' || outcome.kind === 'lost'
            ? null
            : request.responsePdu(outcome)
        diagnostics.answer(request, outcome, response, performance.now() - sentAt, timedOut)
        resolve(outcome)
      }
      const onEnd = (reason: string): void => finish({ kind: 'lost', reason })
      cancelWatchdog = scheduler.after(watchdogMs, () =>
        finish(
          { kind: 'lost', reason: `no answer within ${watchdogMs} ms to ${what} (watchdog)` },
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
            { kind: 'silent', reason: `no answer within ${source.timeoutMs} ms to ${what}` },
            true,
          )
        } else if (describeError(error) === 'Port Not Open') {
          finish({ kind: 'lost', reason: `not connected to ${endpoint}` })
        } else {
          finish({ kind: 'silent', reason: `garbled reply to ${what}: ${describeError(error)}` })
        }
      }
      current.link?.discardInput?.()
      diagnostics.request(request)
      // The callback API (not the promise one) so a request dropped by destroy() leaves no promise
      // behind in the library; the unit id goes with each request instead of living in setID.
      try {
        request.send(client, (error, answer) => {
          if (error || !answer) onFailure(error)
          else finish(answer)
        })
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

  /** Why nothing can be sent now: no link, or not yet one the device has answered on. */
  const notConnected = (): string => {
    const why = status?.lastError ? `: ${status.lastError}` : ''
    return `${endpoint} is not connected${why}`
  }

  const readRegisters: NonNullable<SourceDriver['readRegisters']> = async (request) => {
    const current = session
    // Nothing waits for a connection: an engineer at the byte-order helper wants to know now.
    if (!current || !current.client || current.ended) {
      return fail('not-connected', notConnected())
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

  /**
   * DESIGN.md §4: a write goes out only on a link the device has answered on (never queued while
   * disconnected, nothing waits for a connection), takes its place in the request queue behind the
   * poll, has the reads' timeout and watchdog, and is sent once: a write that got no answer may or
   * may not have reached the device, and only reading it back can tell, which is the caller's job.
   */
  const write: SourceDriver['write'] = async (tag, value) => {
    if (tag.source !== source.id) {
      return fail('wrong-source', `${tag.id} belongs to source ${tag.source}, not ${source.id}`)
    }
    const planned = planWrite(tag, value, source.unitId)
    if (!planned.ok) return planned
    const current = session
    if (!current || !current.client || current.ended || !current.answered) {
      return fail('not-connected', `${tag.id} was not written: ${notConnected()}`)
    }
    const request = planned.value
    // A write still queued when the link went away never left: say so, rather than "maybe".
    let sent = false
    const outcome = await exchange(current, {
      ...request,
      send: (client, reply) => {
        sent = true
        request.send(client, reply)
      },
    })
    if (outcome.kind === 'lost' && !sent) {
      return fail('not-connected', `${tag.id} was not written: ${outcome.reason}`)
    }
    switch (outcome.kind) {
      case 'written':
        markAnswered(current)
        return ok(undefined)
      case 'exception':
        markAnswered(current)
        return fail(
          'modbus-exception',
          `${tag.id}: the device refused ${request.what}: ${describeModbusException(outcome.code)}`,
        )
      case 'silent':
      case 'lost':
        return fail(
          'no-answer',
          `${tag.id}: ${outcome.reason}; the write may or may not have taken effect, read the value back before writing again`,
        )
      default:
        return assertNever(outcome, 'write outcome')
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
    write,
  }
}

/** The read of a block: FC1–FC4 by table (Modbus Application Protocol v1.1b3 §6.1–§6.4). */
function readRequest(block: ReadBlock): WireRequest<ReadData> {
  const { unitId, table, start, count } = block
  return {
    unitId,
    functionCode: functionCode(table),
    pdu: requestPdu(block),
    block,
    what: `a read of ${describeBlock(block)}`,
    responsePdu: (answer) => responsePdu(block, answer),
    send: (client, reply) => {
      const onRegisters: ReplyCallback<number[]> = (error, result) =>
        reply(error, error || !result ? undefined : { kind: 'registers', words: result.data })
      const onBits: ReplyCallback<boolean[]> = (error, result) =>
        reply(error, error || !result ? undefined : { kind: 'bits', bits: result.data })
      if (table === 'coil') client.writeFC1(unitId, start, count, onBits)
      else if (table === 'discrete') client.writeFC2(unitId, start, count, onBits)
      else if (table === 'holding') client.writeFC3(unitId, start, count, onRegisters)
      else client.writeFC4(unitId, start, count, onRegisters)
    },
  }
}

/** Modbus Application Protocol v1.1b3 §6.5, §6.6, §6.12: write single coil, register, registers. */
const writeCoilCode = 0x05
const writeRegisterCode = 0x06
const writeRegistersCode = 0x10

/**
 * The request that writes `value` (engineering units) to a tag: its scale removed, encoded as its
 * address says, FC5 for a coil, FC6 for one holding register, FC16 for several. Refused here, with
 * the reason, is what cannot be written safely: read-only tables, and a bit inside a holding
 * register, which would need a read-modify-write of the whole register (a change the PLC makes to
 * the other bits in between would be undone) or a mask write (FC22) that many devices lack.
 */
function planWrite(
  tag: Tag,
  value: number | boolean,
  defaultUnitId: number,
): Result<WireRequest<Written>> {
  const address = tag.address
  if (!address) return fail('not-modbus', `${tag.id} has no Modbus address`)
  const unitId = address.unitId ?? defaultUnitId
  const where = (count: number) =>
    describeBlock({ unitId, table: address.table, start: address.offset, count })
  const refuse = (why: string) => fail('not-writable', `${tag.id} cannot be written: ${why}`)
  switch (address.table) {
    case 'input':
    case 'discrete':
      return refuse(
        `${address.table === 'input' ? 'input registers' : 'discrete inputs'} are read-only (${where(1)})`,
      )
    case 'holding':
      if (address.bit !== undefined) {
        return refuse(
          `it is bit ${address.bit} of ${where(1)}; writing it would overwrite the register's other bits`,
        )
      }
      break
    case 'coil':
      break
    default:
      return assertNever(address.table, 'table')
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return fail('invalid-value', `${tag.id}: ${value} is not a finite number`)
  }
  let encoded: { bits: boolean[] } | { words: number[] }
  try {
    encoded =
      address.table === 'coil'
        ? { bits: encodeBits(address, value) }
        : { words: encodeRegisters(address, removeScale(value, tag.scale)) }
  } catch (error) {
    return fail('invalid-value', `${tag.id}: ${value} cannot be written: ${describeError(error)}`)
  }
  const shown = `${value}${typeof value === 'number' && tag.unit ? ` ${tag.unit}` : ''}`
  if ('bits' in encoded) {
    return ok(coilWrite(unitId, address.offset, encoded.bits[0] === true, shown, where(1)))
  }
  return ok(
    registerWrite(unitId, address.offset, encoded.words, shown, where(encoded.words.length)),
  )
}

/**
 * A write's answer echoes the request (§6.5, §6.6, §6.12). modbus-serial does not compare the echo
 * with what was sent; one that names another address or value answers some other request, and is
 * treated as a garbled reply.
 */
type WriteCallback<T> = (error: unknown, result: T | undefined) => void

function coilWrite(
  unitId: number,
  offset: number,
  state: boolean,
  shown: string,
  where: string,
): WireRequest<Written> {
  // FC5 sends ON as FF 00 and OFF as 00 00, and the device echoes the request.
  const pdu = hex([writeCoilCode, offset >> 8, offset & 0xff, state ? 0xff : 0x00, 0x00])
  return {
    unitId,
    functionCode: writeCoilCode,
    pdu,
    block: null,
    what: `a write of ${shown} to ${where}`,
    responsePdu: () => pdu,
    send: (client, reply) => {
      const onEcho: WriteCallback<{ address: number; state: boolean }> = (error, result) => {
        if (error || !result) reply(error)
        else if (result.address !== offset || result.state !== state) {
          reply(new Error(`the device echoed coil ${result.address} = ${result.state}`))
        } else reply(null, { kind: 'written' })
      }
      client.writeFC5(unitId, offset, state, onEcho)
    },
  }
}

function registerWrite(
  unitId: number,
  offset: number,
  words: number[],
  shown: string,
  where: string,
): WireRequest<Written> {
  const what = `a write of ${shown} to ${where}`
  const [word] = words
  if (words.length === 1 && word !== undefined) {
    const pdu = hex([writeRegisterCode, offset >> 8, offset & 0xff, word >> 8, word & 0xff])
    return {
      unitId,
      functionCode: writeRegisterCode,
      pdu,
      block: null,
      what,
      responsePdu: () => pdu,
      send: (client, reply) => {
        const onEcho: WriteCallback<{ address: number; value: number }> = (error, result) => {
          if (error || !result) reply(error)
          else if (result.address !== offset || result.value !== word) {
            reply(new Error(`the device echoed register ${result.address} = ${result.value}`))
          } else reply(null, { kind: 'written' })
        }
        client.writeFC6(unitId, offset, word, onEcho)
      },
    }
  }
  const count = words.length
  const head = [writeRegistersCode, offset >> 8, offset & 0xff, count >> 8, count & 0xff]
  const data = words.flatMap((value) => [value >> 8, value & 0xff])
  return {
    unitId,
    functionCode: writeRegistersCode,
    pdu: hex([...head, data.length, ...data]),
    block: null,
    what,
    // The answer echoes the starting address and the quantity written (§6.12).
    responsePdu: () => hex(head),
    send: (client, reply) => {
      const onEcho: WriteCallback<{ address: number; length: number }> = (error, result) => {
        if (error || !result) reply(error)
        else if (result.address !== offset || result.length !== count) {
          reply(new Error(`the device echoed ${result.length} registers from ${result.address}`))
        } else reply(null, { kind: 'written' })
      }
      client.writeFC16(unitId, offset, words, onEcho)
    },
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
    request: (request: RequestFrame): void => {
      const at = now()
      requests++
      firstRequestAt ??= at
      requestTimes.push(at)
      prune(at)
      frame({ ts: at, direction: 'request', unitId: request.unitId, hex: request.pdu })
    },
    /** `response` is the response PDU in hex when the device carried the request out. */
    answer: (
      request: RequestFrame,
      outcome: Outcome<Reply>,
      response: string | null,
      elapsedMs: number,
      timedOut: boolean,
    ) => {
      const at = now()
      const { unitId, block } = request
      if (outcome.kind !== 'silent' && outcome.kind !== 'lost') {
        roundTrips.push(elapsedMs)
        if (roundTrips.length > roundTripSize) roundTrips.shift()
      }
      switch (outcome.kind) {
        case 'registers':
        case 'bits':
        case 'written':
          if (block) blockErrors.set(block, null)
          frame({ ts: at, direction: 'response', unitId, hex: response ?? '' })
          return
        case 'exception': {
          errors++
          const words = describeModbusException(outcome.code)
          if (block) blockErrors.set(block, `${words} at ${describeBlock(block)}`)
          frame({
            ts: at,
            direction: 'error',
            unitId,
            hex: hex([request.functionCode | 0x80, outcome.code]),
            note: words,
          })
          return
        }
        case 'silent':
        case 'lost':
          errors++
          unanswered++
          if (timedOut) timeouts++
          if (block) blockErrors.set(block, outcome.reason)
          frame({ ts: at, direction: 'error', unitId, hex: '', note: outcome.reason })
          return
        default:
          return assertNever(outcome, 'outcome')
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
