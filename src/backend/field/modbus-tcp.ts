import { Socket } from 'node:net'
import ModbusRTU from 'modbus-serial'
import {
  defaultMaxGap,
  describeBlock,
  planBlocks,
  type ReadBlock,
} from '../../shared/field/block-plan'
import {
  applyScale,
  decodeBits,
  decodeRegisters,
  describeModbusException,
  type ModbusValue,
} from '../../shared/field/codec'
import type { TagValue } from '../../shared/field/values'
import { every, type Cancel } from '../../shared/scheduler'
import type { ModbusTcpSource, Tag } from '../../shared/site/schema'
import type { DriverFactory } from './driver'

// Polls one Modbus TCP endpoint (a PLC or a gateway) by block reads, following the safety rules of
// DESIGN.md §4: every request has the client's timeout plus an outer watchdog, nothing is left
// pending, a failed socket is thrown away and rebuilt with backoff, and exceptions only spoil the
// block that raised them.

const initialBackoffMs = 500
const maxBackoffMs = 10_000
/** A TCP handshake across a plant network may take longer than a Modbus answer on it. */
const minConnectTimeoutMs = 2_000

type ConnectionState = 'connecting' | 'connected' | 'disconnected'

type ReadOutcome =
  | { kind: 'registers'; words: number[] }
  | { kind: 'bits'; bits: boolean[] }
  | { kind: 'exception'; code: number }
  | { kind: 'transport'; reason: string }

/** One TCP connection, from the connect attempt until its socket is closed. */
type Session = {
  socket: Socket
  client: ModbusRTU | null
  phase: 'connecting' | 'open'
  ended: boolean
  /** The device has answered at least one request on this connection. */
  answered: boolean
  /** Resolves once the socket's handle is released. */
  closed: Promise<void>
  /** In-flight reads waiting to hear that the connection is gone. */
  endListeners: Set<(reason: string) => void>
  cancelConnectWatchdog: Cancel
  cancelPolling: Cancel
  cycle: Promise<void> | null
}

type ReplyCallback<T> = (error: unknown, result: { data: T } | undefined) => void

export const createModbusTcpDriver: DriverFactory<ModbusTcpSource> = (
  source,
  tags,
  sink,
  context,
) => {
  const { scheduler } = context
  const logger = context.logger.child(`modbus-tcp.${source.id}`)
  const endpoint = `${source.host}:${source.port}`
  const plan = planBlocks(tags, { unitId: source.unitId, maxGap: defaultMaxGap })
  const plannedTags = plan.blocks.flatMap((block) => block.tags.map((planned) => planned.tag))
  // The client's own timer fires at timeoutMs; the watchdog only catches what it misses.
  const watchdogMs = source.timeoutMs + Math.max(100, Math.round(source.timeoutMs / 4))
  const connectTimeoutMs = Math.max(source.timeoutMs, minConnectTimeoutMs)

  for (const { tag, reason } of plan.unplanned)
    logger.warn('tag cannot be read', { tag: tag.id, reason })

  let started = false
  let disposed = false
  let disposal: Promise<void> | null = null
  let session: Session | null = null
  let cancelReconnect: Cancel = () => {}
  let backoffMs = initialBackoffMs
  let status: { state: ConnectionState; lastError: string | null; since: number } | null = null

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
      logger.error('status sink failed', { error: messageOf(error) })
    }
  }

  const reportValues = (values: TagValue[]): void => {
    if (disposed || values.length === 0) return
    try {
      sink.values(values)
    } catch (error) {
      logger.error('value sink failed', { error: messageOf(error) })
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

  const unplannedValues = (): TagValue[] =>
    plan.unplanned.map(({ tag, reason }) => tagValue(tag, null, reason))

  const release = (ending: Session): void => {
    // destroy(), unlike close(), also clears the client's timers of any unanswered transaction.
    if (ending.client) ending.client.destroy(() => {})
    ending.socket.destroy()
  }

  const endSession = (ending: Session, reason: string): void => {
    if (ending.ended) return
    ending.ended = true
    ending.cancelConnectWatchdog()
    ending.cancelPolling()
    for (const listener of ending.endListeners) listener(reason)
    ending.endListeners.clear()
    release(ending)
    if (session === ending) session = null
    if (disposed) return
    reportStatus('disconnected', reason)
    reportValues([...plannedTags.map((tag) => tagValue(tag, null, reason)), ...unplannedValues()])
    const delay = backoffMs
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs)
    cancelReconnect = scheduler.after(delay, connect)
  }

  /** Connected means the device answers, not merely that TCP accepted (a hung gateway does that). */
  const markAnswered = (current: Session): void => {
    if (current.answered) return
    current.answered = true
    backoffMs = initialBackoffMs
    reportStatus('connected', null)
  }

  const connect = (): void => {
    if (disposed) return
    const socket = new Socket()
    const current: Session = {
      socket,
      client: null,
      phase: 'connecting',
      ended: false,
      answered: false,
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
      endListeners: new Set(),
      cancelConnectWatchdog: () => {},
      cancelPolling: () => {},
      cycle: null,
    }
    session = current
    socket.on('error', (error) => {
      endSession(
        current,
        current.phase === 'connecting'
          ? `cannot connect to ${endpoint}: ${describeSocketError(error)}`
          : `connection to ${endpoint} lost: ${describeSocketError(error)}`,
      )
    })
    socket.on('close', () => endSession(current, `${endpoint} closed the connection`))
    current.cancelConnectWatchdog = scheduler.after(connectTimeoutMs, () =>
      endSession(current, `cannot connect to ${endpoint}: no answer within ${connectTimeoutMs} ms`),
    )
    socket.once('connect', () => {
      current.cancelConnectWatchdog()
      if (current.ended) return
      socket.setNoDelay(true)
      const client = new ModbusRTU()
      current.client = client
      // We own the socket (connectTCP adopts it), so dispose() can wait for its 'close' event.
      client.connectTCP(source.host, { port: source.port, socket }, (error: unknown) => {
        if (error) {
          endSession(current, `cannot connect to ${endpoint}: ${messageOf(error)}`)
          return
        }
        if (current.ended) return
        client.setTimeout(source.timeoutMs)
        current.phase = 'open'
        startPolling(current)
      })
    })
    socket.connect({ host: source.host, port: source.port })
  }

  const startPolling = (current: Session): void => {
    if (plan.blocks.length === 0) markAnswered(current)
    // One cycle at a time, so one request on the wire at a time: a tick that finds a cycle still
    // running waits for it instead of starting another.
    const runCycle = (): Promise<void> => {
      if (current.ended) return Promise.resolve()
      current.cycle ??= pollCycle(current).finally(() => {
        current.cycle = null
      })
      return current.cycle
    }
    void runCycle()
    current.cancelPolling = every(scheduler, source.pollMs, runCycle)
  }

  const pollCycle = async (current: Session): Promise<void> => {
    try {
      const values: TagValue[] = []
      for (const block of plan.blocks) {
        if (current.ended) return
        const outcome = await read(current, block)
        if (current.ended) return
        if (outcome.kind === 'transport') {
          endSession(current, outcome.reason)
          return
        }
        markAnswered(current)
        values.push(...blockValues(block, outcome))
      }
      reportValues([...values, ...unplannedValues()])
    } catch (error) {
      endSession(current, `internal error while polling ${endpoint}: ${messageOf(error)}`)
    }
  }

  /** Always settles: with the answer, the client's error, a lost connection or the watchdog. */
  const read = (current: Session, block: ReadBlock): Promise<ReadOutcome> =>
    new Promise((resolve) => {
      const what = describeBlock(block)
      let settled = false
      let cancelWatchdog: Cancel = () => {}
      const onEnd = (reason: string): void => finish({ kind: 'transport', reason })
      const finish = (outcome: ReadOutcome): void => {
        if (settled) return
        settled = true
        cancelWatchdog()
        current.endListeners.delete(onEnd)
        resolve(outcome)
      }
      cancelWatchdog = scheduler.after(watchdogMs, () =>
        finish({
          kind: 'transport',
          reason: `no answer within ${watchdogMs} ms to a read of ${what} (watchdog)`,
        }),
      )
      current.endListeners.add(onEnd)
      const client = current.client
      if (!client || current.ended) {
        finish({ kind: 'transport', reason: `not connected to ${endpoint}` })
        return
      }
      const onFailure = (error: unknown): void => {
        const code = (error as { modbusCode?: unknown } | null)?.modbusCode
        if (typeof code === 'number') finish({ kind: 'exception', code })
        else if ((error as { errno?: unknown } | null)?.errno === 'ETIMEDOUT') {
          finish({
            kind: 'transport',
            reason: `no answer within ${source.timeoutMs} ms to a read of ${what}`,
          })
        } else finish({ kind: 'transport', reason: `read of ${what} failed: ${messageOf(error)}` })
      }
      const onRegisters: ReplyCallback<number[]> = (error, result) => {
        if (error || !result) onFailure(error)
        else finish({ kind: 'registers', words: result.data })
      }
      const onBits: ReplyCallback<boolean[]> = (error, result) => {
        if (error || !result) onFailure(error)
        else finish({ kind: 'bits', bits: result.data })
      }
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

  const blockValues = (
    block: ReadBlock,
    outcome: Exclude<ReadOutcome, { kind: 'transport' }>,
  ): TagValue[] => {
    if (outcome.kind === 'exception') {
      const reason = `${describeModbusException(outcome.code)} at ${describeBlock(block)}`
      return block.tags.map(({ tag }) => tagValue(tag, null, reason))
    }
    return block.tags.map(({ tag, address, index, count }) => {
      try {
        const raw =
          outcome.kind === 'bits'
            ? decodeBits(address, outcome.bits.slice(index, index + count))
            : decodeRegisters(address, outcome.words.slice(index, index + count))
        const value = applyScale(raw, tag.scale)
        if (typeof value === 'number' && !Number.isFinite(value)) {
          return tagValue(
            tag,
            null,
            `the device sent ${value} at ${address.table} ${address.offset}`,
          )
        }
        return tagValue(tag, value)
      } catch (error) {
        return tagValue(
          tag,
          null,
          `cannot decode ${address.table} ${address.offset}: ${messageOf(error)}`,
        )
      }
    })
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
          endSession(current, 'the console closed the connection')
          disposal = Promise.all([current.closed, cycle]).then(() => undefined)
        } else {
          disposal = Promise.resolve()
        }
      }
      return disposal
    },
  }
}

/** modbus-serial's errors are not always Error instances, but all carry a message. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : String(error)
}

const socketErrorWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'connection reset by the device',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host name',
  ETIMEDOUT: 'the network timed out',
  EPIPE: 'the device closed the connection while we were sending',
}

function describeSocketError(error: Error & { code?: string }): string {
  const words = error.code ? socketErrorWords[error.code] : undefined
  return words ? `${words} (${error.code})` : error.message
}
