import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataType,
  Int64ToBigInt,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UInt64ToBigInt,
  VariantArrayType,
  resolveNodeId,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type NodeId,
  type StatusCode,
  type Variant,
} from 'node-opcua'
import { applyScale } from '../../shared/field/codec'
import type { Quality, TagValue } from '../../shared/field/values'
import type { Cancel, Scheduler } from '../../shared/scheduler'
import type { OpcUaSource, Tag } from '../../shared/site/schema'
import { describeError, type Logger } from '../log/logger'
import type { DriverFactory } from './driver'

// One OPC UA server, read through one session with one subscription (OPC UA Part 4 §5.13) and a
// monitored item per tag (Part 4 §5.12), following DESIGN.md §4: our own certificate store with
// automatic acceptance off, a server that is down at start-up retried forever, and subscriptions
// that survive reconnects. Section numbers are those of OPC 10000-4 v1.04.
//
// Connection states, as reported to the sink:
//
//   start ──► connecting ──client, session, subscription, items created──► connected
//                 │                                                       │       ▲
//                 │ attempt failed                        connection_lost │       │ connection_reestablished
//                 ▼                                                       ▼       │ (node-opcua repaired it)
//   ┌─────► disconnected ◄──node-opcua gave up, subscription ended, ── disconnected
//   │             │          or the server fell silent
//   └─ retry ◄────┘ (backoff with jitter, a new client each time)
//
// node-opcua repairs a broken channel by itself (Part 4 §6.7: reactivate the session, else create a
// new one and TransferSubscriptions, else recreate the subscription and its items). Whatever it
// cannot repair ends in our own retry loop, which starts from scratch.

/** Our retry loop after a failed connection attempt. */
const initialBackoffMs = 500
const maxBackoffMs = 10_000
/** How often a subscription with nothing to report should still say it is alive (Part 4 §5.13.1.1). */
const keepAliveTargetMs = 5_000
/** node-opcua's default session timeout; raised when the subscription's keep-alive needs more. */
const minimumSessionTimeoutMs = 60_000
/** Connecting (TCP, HEL/ACK, OpenSecureChannel, one retry) may take this long before we give up. */
const connectTimeoutMs = 10_000
/** Any other request that takes longer than this is abandoned (session, subscription, read, close). */
const operationTimeoutMs = 5_000
/** Monitored items created, and values re-read, per request (servers cap both, Part 5 §6.3.11). */
const itemsPerRequest = 500

type ConnectionState = 'connecting' | 'connected' | 'disconnected'

/** A tag with a node id the client can parse. */
type Monitored = { tag: Tag; nodeId: NodeId }

/** One client from its connect attempt until it is disconnected; a new one is made per attempt. */
type Connection = {
  client: OPCUAClient
  session: ClientSession | null
  subscription: ClientSubscription | null
  /** The channel is down and node-opcua is repairing it. */
  repairing: boolean
  /** We are closing it: its events no longer matter. */
  closing: boolean
  /** Settles once the client has let go of everything; shared by everyone who closes it. */
  closed: Promise<void> | null
  /** When the server last answered a publish request (data or keep-alive). */
  lastHeardAt: number
  /** How long the subscription may stay silent before it is considered dead. */
  silenceLimitMs: number
  cancelWatchdog: Cancel
  detach: Array<() => void>
}

const securityModes: Record<OpcUaSource['securityMode'], MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
}

const securityPolicies: Record<OpcUaSource['securityPolicy'], SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
}

export const createOpcUaDriver: DriverFactory<OpcUaSource> = (source, tags, sink, context) => {
  const { scheduler } = context
  const logger = context.logger.child(`opcua.${source.id}`)
  const pkiDir = join(context.dataDir, 'pki')
  const publishingMs = source.publishingMs ?? source.samplingMs
  // Part 4 §5.13.2: the server sends a keep-alive after maxKeepAliveCount empty publishing
  // intervals, and drops the subscription after lifetimeCount of them without a Publish request
  // (at least three keep-alives). The session must outlive both, or a short outage would cost the
  // session and every monitored item with it (Part 4 §5.6.2).
  const maxKeepAliveCount = Math.max(2, Math.ceil(keepAliveTargetMs / publishingMs))
  const keepAliveMs = maxKeepAliveCount * publishingMs
  const sessionTimeoutMs = Math.max(minimumSessionTimeoutMs, 3 * keepAliveMs)
  const lifetimeCount = Math.max(3 * maxKeepAliveCount, Math.ceil(sessionTimeoutMs / publishingMs))
  // A socket that carries nothing for this long is dead even if TCP has not noticed (a cable
  // pulled, a switch reset): node-opcua then breaks the channel and repairs it.
  const transportTimeoutMs = Math.max(20_000, 3 * keepAliveMs)

  const monitored: Monitored[] = []
  const unmonitorable: Array<{ tag: Tag; reason: string }> = []
  for (const tag of tags) {
    const parsed = parseNodeId(tag)
    if ('nodeId' in parsed) monitored.push({ tag, nodeId: parsed.nodeId })
    else unmonitorable.push({ tag, reason: parsed.reason })
  }
  /** Tags the server refused to monitor (unknown node, no access…): tried again after a reconnect. */
  const refused = new Map<string, Monitored>()
  /** When each tag last had a notification, so a re-read never overwrites a fresher value. */
  const notifiedAt = new Map<string, number>()

  let started = false
  let disposed = false
  let disposal: Promise<void> | null = null
  let connection: Connection | null = null
  let certificates: Promise<SharedCertificateManager> | null = null
  let attempt: Promise<void> | null = null
  let cancelRetry: Cancel = () => {}
  let backoffMs = initialBackoffMs
  let status: { state: ConnectionState; lastError: string | null; since: number } | null = null
  let pending: TagValue[] = []

  // While retrying, the state stays `disconnected` with the time the outage began, so an operator
  // (and the alarm on a lost connection) sees one outage, not a flicker per attempt.
  const reportStatus = (state: ConnectionState, lastError: string | null): boolean => {
    if (disposed || (status && status.state === state && status.lastError === lastError))
      return false
    const since = status && status.state === state ? status.since : scheduler.now()
    status = { state, lastError, since }
    if (state === 'disconnected')
      logger.warn('disconnected', { endpoint: source.endpoint, lastError })
    else logger.info(state, { endpoint: source.endpoint })
    try {
      sink.status(status)
    } catch (error) {
      logger.error('status sink failed', { error: describeError(error) })
    }
    return true
  }

  // Notifications of one publish response arrive one monitored item at a time, synchronously;
  // gathering them until the next microtask hands the sink one batch per response.
  const reportValues = (values: TagValue[]): void => {
    if (disposed || values.length === 0) return
    if (pending.length === 0) queueMicrotask(flushValues)
    pending.push(...values)
  }
  const flushValues = (): void => {
    const values = pending
    pending = []
    if (disposed || values.length === 0) return
    try {
      sink.values(values)
    } catch (error) {
      logger.error('value sink failed', { error: describeError(error) })
    }
  }

  const markBad = (reason: string): void => {
    reportValues(monitored.map(({ tag }) => badValue(tag, reason)))
  }

  function badValue(tag: Tag, reason: string): TagValue {
    return {
      tagId: tag.id,
      value: null,
      quality: 'bad',
      reason,
      sourceTs: null,
      receivedTs: scheduler.now(),
      sourceId: source.id,
    }
  }

  const onDataValue = (current: Connection, tag: Tag, dataValue: DataValue): void => {
    if (current !== connection || current.closing) return
    const now = scheduler.now()
    current.lastHeardAt = now
    notifiedAt.set(tag.id, now)
    if (current.repairing) {
      // A notification only arrives over a working channel and session: node-opcua may deliver
      // republished values before it emits connection_reestablished, and a good value must never
      // sit beside a source shown as disconnected.
      current.repairing = false
      reportStatus('connected', null)
    }
    reportValues([toTagValue(tag, dataValue, source.id, now)])
  }

  const scheduleRetry = (): void => {
    if (disposed) return
    // Jitter keeps a control room's consoles from hammering a recovering server in step.
    const delay = Math.round(backoffMs * (0.8 + Math.random() * 0.4))
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs)
    cancelRetry()
    cancelRetry = scheduler.after(delay, () => {
      attempt = connect()
    })
  }

  /** Ends a connection that cannot be used any more and starts again from scratch. */
  const restart = async (current: Connection, reason: string): Promise<void> => {
    if (current.closing || disposed) return
    logger.warn('restarting the connection', { reason })
    if (reportStatus('disconnected', reason)) markBad(reason)
    await closeConnection(current, logger, scheduler)
    if (connection === current) connection = null
    scheduleRetry()
  }

  const connect = async (): Promise<void> => {
    if (disposed) return
    let manager: OPCUACertificateManager
    try {
      certificates ??= acquireCertificateManager(pkiDir)
      manager = (await certificates).manager
    } catch (error) {
      certificates = null
      const reason = `cannot open the certificate store ${pkiDir}: ${plainMessage(error)}`
      if (reportStatus('disconnected', reason)) markBad(reason)
      scheduleRetry()
      return
    }
    if (disposed) return

    const client = OPCUAClient.create({
      applicationName: 'Pilot Light',
      applicationUri: `urn:${hostname()}:pilot-light`,
      clientName: `pilot-light.${source.id}`,
      clientCertificateManager: manager,
      securityMode: securityModes[source.securityMode],
      securityPolicy: securityPolicies[source.securityPolicy],
      // Servers behind NAT or with a hostname in their endpoint list still serve us.
      endpointMustExist: false,
      // One quick retry inside node-opcua, then our own loop takes over with a fresh client, so
      // every failure reaches the operator with its reason. A positive maxRetry also turns on
      // node-opcua's automatic repair of a connection that breaks later, which retries forever
      // with this initial and maximum delay.
      connectionStrategy: {
        maxRetry: 1,
        initialDelay: initialBackoffMs,
        maxDelay: maxBackoffMs,
        randomisationFactor: 0.2,
      },
      requestedSessionTimeout: sessionTimeoutMs,
      transportTimeout: transportTimeoutMs,
      // The subscription's keep-alives already prove the session alive.
      keepSessionAlive: false,
    })
    const current: Connection = {
      client,
      session: null,
      subscription: null,
      repairing: false,
      closing: false,
      closed: null,
      lastHeardAt: scheduler.now(),
      silenceLimitMs: 0,
      cancelWatchdog: () => {},
      detach: [],
    }
    connection = current

    try {
      // Every step is bounded: an endpoint that accepts TCP and never answers must not hold the
      // attempt (and the operator's status) forever.
      await withTimeout(client.connect(source.endpoint), connectTimeoutMs, scheduler)
      if (current.closing) return
      const session = await withTimeout(client.createSession(), operationTimeoutMs, scheduler)
      current.session = session
      if (current.closing) return
      const subscription = await withTimeout(
        session.createSubscription2({
          requestedPublishingInterval: publishingMs,
          requestedMaxKeepAliveCount: maxKeepAliveCount,
          requestedLifetimeCount: lifetimeCount,
          maxNotificationsPerPublish: 0,
          publishingEnabled: true,
          priority: 10,
        }),
        operationTimeoutMs,
        scheduler,
      )
      current.subscription = subscription
      if (current.closing) return
      watchConnection(current)
      await monitor(current, monitored)
      if (current.closing) return
      backoffMs = initialBackoffMs
      logger.info('subscribed', {
        tags: monitored.length,
        refused: refused.size,
        publishingInterval: subscription.publishingInterval,
        maxKeepAliveCount: subscription.maxKeepAliveCount,
      })
      // A break during set-up is being repaired; connection_reestablished reports it.
      if (!current.repairing) reportStatus('connected', null)
      startWatchdog(current)
    } catch (error) {
      if (current.closing || disposed) return
      const reason = describeConnectError(error, source.endpoint, pkiDir)
      if (reportStatus('disconnected', reason)) markBad(reason)
      await closeConnection(current, logger, scheduler)
      if (connection === current) connection = null
      scheduleRetry()
    }
  }

  /** Creates monitored items for `entries` on the connection's subscription, in chunks. */
  const monitor = async (current: Connection, entries: Monitored[]): Promise<void> => {
    const subscription = current.subscription
    if (!subscription) return
    for (let first = 0; first < entries.length; first += itemsPerRequest) {
      if (current.closing) return
      const chunk = entries.slice(first, first + itemsPerRequest)
      const group = ClientMonitoredItemGroup.create(
        subscription,
        chunk.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value })),
        // Part 4 §5.12.1.5: a queue of one that discards the oldest keeps only the latest value.
        { samplingInterval: source.samplingMs, queueSize: 1, discardOldest: true },
        TimestampsToReturn.Both,
      )
      group.on('changed', (_item, dataValue: DataValue, index: number) => {
        const entry = chunk[index]
        if (entry) onDataValue(current, entry.tag, dataValue)
      })
      await waitForGroup(group, scheduler)
      const refusals: TagValue[] = []
      chunk.forEach((entry, index) => {
        const statusCode = group.monitoredItems[index]?.statusCode
        if (statusCode && statusCode.isGood()) {
          refused.delete(entry.tag.id)
          return
        }
        // Part 4 §5.12.2: a monitored item the server cannot create comes back with a bad
        // StatusCode (BadNodeIdUnknown, BadNodeIdInvalid, BadUserAccessDenied…); the others carry on.
        refused.set(entry.tag.id, entry)
        const reason = statusCode ? statusCode.name : 'BadMonitoredItemIdInvalid'
        logger.warn('the server refused to monitor a tag', {
          tag: entry.tag.id,
          nodeId: entry.nodeId.toString(),
          reason,
        })
        refusals.push(badValue(entry.tag, reason))
      })
      reportValues(refusals)
    }
  }

  const watchConnection = (current: Connection): void => {
    const { client, subscription } = current
    const live = (): boolean => current === connection && !current.closing && !disposed

    const onConnectionLost = (): void => {
      if (!live()) return
      current.repairing = true
      if (reportStatus('disconnected', 'connection lost')) markBad('connection lost')
    }
    const onReconnectionFailed = (error: Error): void => {
      if (!live()) return
      reportStatus('disconnected', `connection lost; reconnecting failed: ${plainMessage(error)}`)
    }
    const onReestablished = (): void => {
      if (!live()) return
      current.repairing = false
      current.lastHeardAt = scheduler.now()
      reportStatus('connected', null)
      void afterRepair(current)
    }
    const onClose = (error?: Error | null): void => {
      // A close with an error is node-opcua giving up on its repair; ours starts over.
      if (!live() || !error) return
      void restart(current, `connection closed: ${plainMessage(error)}`)
    }
    client.on('connection_lost', onConnectionLost)
    client.on('reconnection_attempt_has_failed', onReconnectionFailed)
    client.on('connection_reestablished', onReestablished)
    client.on('close', onClose)
    // Listeners go when the connection closes, so a late event of an old client never touches
    // the state of the next one.
    current.detach.push(() => {
      client.off('connection_lost', onConnectionLost)
      client.off('reconnection_attempt_has_failed', onReconnectionFailed)
      client.off('connection_reestablished', onReestablished)
      client.off('close', onClose)
    })
    if (!subscription) return

    const onHeard = (): void => {
      current.lastHeardAt = scheduler.now()
    }
    const onStatusChanged = (statusCode: StatusCode): void => {
      logger.info('subscription status changed', { status: statusCode.name })
    }
    const onTerminated = (): void => {
      // The server ended it (Part 4 §5.13.1.1: BadTimeout after its lifetime) or node-opcua did.
      if (!live()) return
      void restart(current, 'the server ended the subscription')
    }
    const onInternalError = (error: Error): void => {
      if (!live()) return
      void restart(current, `subscription failed: ${plainMessage(error)}`)
    }
    subscription.on('keepalive', onHeard)
    subscription.on('received_notifications', onHeard)
    subscription.on('status_changed', onStatusChanged)
    subscription.on('terminated', onTerminated)
    subscription.on('internal_error', onInternalError)
    current.detach.push(() => {
      subscription.off('keepalive', onHeard)
      subscription.off('received_notifications', onHeard)
      subscription.off('status_changed', onStatusChanged)
      subscription.off('terminated', onTerminated)
      subscription.off('internal_error', onInternalError)
    })
  }

  /**
   * After a repair, values that did not change during the outage are not sent again (a reactivated
   * session only republishes what was queued), so every tag that has not had a notification since
   * is read once; tags the server refused before are offered to it again.
   */
  const afterRepair = async (current: Connection): Promise<void> => {
    const session = current.session
    if (!session) return
    const since = scheduler.now()
    const readable = monitored.filter(({ tag }) => !refused.has(tag.id))
    try {
      for (let first = 0; first < readable.length; first += itemsPerRequest) {
        const chunk = readable.slice(first, first + itemsPerRequest)
        const dataValues = await withTimeout(
          session.read(
            chunk.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value })),
            0,
          ),
          operationTimeoutMs,
          scheduler,
        )
        if (current !== connection || current.closing) return
        const now = scheduler.now()
        const values: TagValue[] = []
        chunk.forEach(({ tag }, index) => {
          const dataValue = dataValues[index]
          if (!dataValue || (notifiedAt.get(tag.id) ?? -Infinity) >= since) return
          values.push(toTagValue(tag, dataValue, source.id, now))
        })
        reportValues(values)
      }
      const retry = [...refused.values()]
      if (retry.length > 0) await monitor(current, retry)
    } catch (error) {
      if (current !== connection || current.closing) return
      await restart(current, `cannot refresh values after reconnecting: ${plainMessage(error)}`)
    }
  }

  /**
   * The last line of defence: a subscription that neither notifies nor keeps alive for well past
   * its keep-alive period while the channel looks fine is dead in a way node-opcua did not see.
   */
  const startWatchdog = (current: Connection): void => {
    const subscription = current.subscription
    if (!subscription) return
    const revisedKeepAliveMs = subscription.publishingInterval * subscription.maxKeepAliveCount
    current.silenceLimitMs = 3 * Math.max(revisedKeepAliveMs, publishingMs) + 2_000
    const checkMs = Math.max(1_000, Math.round(current.silenceLimitMs / 4))
    const check = (): void => {
      if (current.closing || current !== connection) return
      const silence = scheduler.now() - current.lastHeardAt
      if (!current.repairing && silence > current.silenceLimitMs) {
        void restart(
          current,
          `no publish response from the server for ${Math.round(silence / 1000)} s`,
        )
        return
      }
      current.cancelWatchdog = scheduler.after(checkMs, check)
    }
    current.cancelWatchdog = scheduler.after(checkMs, check)
  }

  return {
    start: () => {
      if (started || disposed) return
      started = true
      for (const { tag, reason } of unmonitorable)
        logger.warn('tag cannot be monitored', { tag: tag.id, reason })
      reportValues(unmonitorable.map(({ tag, reason }) => badValue(tag, reason)))
      reportStatus('connecting', null)
      attempt = connect()
    },
    dispose: () => {
      disposal ??= (async () => {
        disposed = true
        pending = []
        cancelRetry()
        const current = connection
        connection = null
        if (current) await closeConnection(current, logger, scheduler)
        // An attempt in flight notices `closing` at its next step; wait for it to stop touching
        // the client before the certificate store goes.
        await attempt?.catch(() => {})
        if (certificates) {
          const shared = await certificates.catch(() => null)
          await shared?.release()
        }
      })()
      return disposal
    },
  }
}

/**
 * Tears a connection down: subscription, session, then the channel, each bounded in time. Whoever
 * calls it (a failed attempt, a restart, dispose) waits for the same teardown.
 */
function closeConnection(current: Connection, logger: Logger, scheduler: Scheduler): Promise<void> {
  current.closed ??= teardown(current, logger, scheduler)
  return current.closed
}

async function teardown(current: Connection, logger: Logger, scheduler: Scheduler): Promise<void> {
  current.closing = true
  current.cancelWatchdog()
  for (const detach of current.detach) detach()
  current.detach = []
  const { client, session, subscription } = current
  // Over a broken channel, requests would wait for a repair that is being cancelled: skip them,
  // the server drops the session on its own when it times out (Part 4 §5.6.2).
  const channelUp = !current.repairing && !client.isReconnecting
  const step = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      await withTimeout(work(), operationTimeoutMs, scheduler)
    } catch (error) {
      logger.debug(`${what} failed while closing`, { error: plainMessage(error) })
    }
  }
  if (channelUp && subscription) await step('DeleteSubscriptions', () => subscription.terminate())
  if (channelUp && session) await step('CloseSession', () => session.close(true))
  await step('disconnect', () => client.disconnect())
}

/** Waits until a monitored item group is created on the server (or refused as a whole). */
function waitForGroup(group: ClientMonitoredItemGroup, scheduler: Scheduler): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve())
      group.once('err', (message: string) => reject(new Error(message)))
      group.once('terminated', (error?: Error) =>
        reject(error ?? new Error('monitored items terminated')),
      )
    }),
    operationTimeoutMs * 2,
    scheduler,
  )
}

function withTimeout<T>(work: Promise<T>, ms: number, scheduler: Scheduler): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = scheduler.after(ms, () => reject(new Error(`no answer within ${ms} ms`)))
    work.then(
      (value) => {
        cancel()
        resolve(value)
      },
      (error: unknown) => {
        cancel()
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

function parseNodeId(tag: Tag): { nodeId: NodeId } | { reason: string } {
  if (!tag.nodeId) return { reason: 'BadNodeIdInvalid: the tag has no nodeId' }
  try {
    return { nodeId: resolveNodeId(tag.nodeId) }
  } catch (error) {
    // Part 6 §5.3.1.10 gives the string form, e.g. ns=2;s=Header.Pressure or ns=3;i=1001.
    return { reason: `BadNodeIdInvalid: "${tag.nodeId}" is not a node id (${plainMessage(error)})` }
  }
}

/** Part 4 §7.34.1: the two top bits of a StatusCode are its severity (00 good, 01 uncertain). */
function qualityOf(statusCode: StatusCode): Quality {
  const severity = statusCode.value >>> 30
  if (severity === 0) return 'good'
  if (severity === 1) return 'uncertain'
  return 'bad'
}

export function toTagValue(
  tag: Tag,
  dataValue: DataValue,
  sourceId: string,
  receivedTs: number,
): TagValue {
  const quality = qualityOf(dataValue.statusCode)
  const sourceTs = dataValue.sourceTimestamp ? dataValue.sourceTimestamp.getTime() : null
  const base = { tagId: tag.id, sourceTs, receivedTs, sourceId }
  if (quality === 'bad') {
    return { ...base, value: null, quality, reason: dataValue.statusCode.name }
  }
  const converted = fromVariant(dataValue.value)
  if ('unsupported' in converted) {
    return { ...base, value: null, quality: 'bad', reason: converted.unsupported }
  }
  const value = applyScale(converted.value, tag.scale)
  return quality === 'good'
    ? { ...base, value, quality }
    : { ...base, value, quality, reason: dataValue.statusCode.name }
}

function fromVariant(
  variant: Variant,
): { value: number | boolean | string } | { unsupported: string } {
  if (variant.arrayType !== VariantArrayType.Scalar) {
    return { unsupported: `arrays are not supported (${DataType[variant.dataType]})` }
  }
  const raw: unknown = variant.value
  switch (variant.dataType) {
    case DataType.Boolean:
      return typeof raw === 'boolean' ? { value: raw } : { unsupported: 'malformed Boolean' }
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return typeof raw === 'number' ? { value: raw } : { unsupported: 'malformed number' }
    case DataType.Int64:
    case DataType.UInt64: {
      // node-opcua carries 64-bit integers as [high, low]; a number keeps 53 bits, which covers
      // every counter a plant will reach.
      if (typeof raw === 'bigint') return { value: Number(raw) }
      if (!Array.isArray(raw)) return { unsupported: 'malformed 64-bit integer' }
      const words = raw as number[]
      const big = variant.dataType === DataType.Int64 ? Int64ToBigInt(words) : UInt64ToBigInt(words)
      return { value: Number(big) }
    }
    case DataType.String:
      return typeof raw === 'string' ? { value: raw } : { unsupported: 'empty String' }
    case DataType.LocalizedText: {
      const text = (raw as { text?: unknown } | null)?.text
      return typeof text === 'string' ? { value: text } : { unsupported: 'empty LocalizedText' }
    }
    case DataType.Null:
      return { unsupported: 'the server sent no value' }
    default:
      return { unsupported: `data type ${DataType[variant.dataType]} is not supported` }
  }
}

/** Turns node-opcua's connect errors (several lines, with advice) into one line for an operator. */
function describeConnectError(error: unknown, endpoint: string, pkiDir: string): string {
  const message = plainMessage(error)
  const inner = /Err = \((.*)\)\s*$/s.exec(message)?.[1] ?? message
  const text = inner.replace(/\s+/g, ' ').trim()
  if (/ECONNREFUSED/.test(text))
    return `cannot connect to ${endpoint}: connection refused (${text})`
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return `cannot connect to ${endpoint}: unknown host (${text})`
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(text))
    return `cannot connect to ${endpoint}: no route or no answer (${text})`
  if (
    /BadCertificateUntrusted|certificate.*(untrusted|not trusted|verification failed)/i.test(text)
  ) {
    return `cannot connect to ${endpoint}: the server certificate is not trusted; it was put in ${join(pkiDir, 'rejected')} to be reviewed and trusted (${text})`
  }
  return `cannot connect to ${endpoint}: ${text}`
}

function plainMessage(error: unknown): string {
  return describeError(error).replace(/\s+/g, ' ').trim()
}

type SharedCertificateManager = { manager: OPCUACertificateManager; release: () => Promise<void> }

type CertificateStoreEntry = {
  manager: OPCUACertificateManager
  ready: Promise<void>
  users: number
}

/**
 * One certificate manager per PKI folder, shared by every OPC UA source of the console: they share
 * one client certificate and one list of trusted servers (DESIGN.md §4). Automatic acceptance is
 * off, so an unknown server certificate is refused and lands in `<pki>/rejected` for the operator
 * to review. The manager is disposed when its last user lets go, which closes its file watchers.
 */
const certificateStores = new Map<string, CertificateStoreEntry>()

async function acquireCertificateManager(pkiDir: string): Promise<SharedCertificateManager> {
  let entry = certificateStores.get(pkiDir)
  if (!entry) {
    const manager = new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: false,
    })
    entry = { manager, ready: manager.initialize(), users: 0 }
    certificateStores.set(pkiDir, entry)
  }
  entry.users += 1
  const acquired = entry
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    acquired.users -= 1
    if (acquired.users > 0) return
    if (certificateStores.get(pkiDir) === acquired) certificateStores.delete(pkiDir)
    await acquired.ready.catch(() => {})
    // Each client counts itself as a user of the manager and lets go on disconnect, but not after
    // a failed connect; we own the manager, so it goes now.
    acquired.manager.referenceCounter = 0
    await acquired.manager.dispose()
  }
  try {
    await acquired.ready
  } catch (error) {
    await release()
    throw error
  }
  return { manager: acquired.manager, release }
}
