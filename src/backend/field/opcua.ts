import type { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  DeadbandType,
  Int64ToBigInt,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UInt64ToBigInt,
  UserTokenType,
  Variant,
  VariableIds,
  VariantArrayType,
  coerceInt64,
  coerceUInt64,
  findBasicDataType,
  resolveNodeId,
  type ClientSecureChannelLayer,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type NodeId,
  type StatusCode,
  type UserIdentityInfo,
} from 'node-opcua'
import type { CertificateInfo, SourceDiagnostics } from '../../shared/field/diagnostics'
import { applyScale, removeScale } from '../../shared/field/codec'
import type { Quality, TagValue } from '../../shared/field/values'
import { fail, ok, type Result } from '../../shared/result'
import type { Cancel, Scheduler } from '../../shared/scheduler'
import type { OpcUaSource, Tag } from '../../shared/site/schema'
import { describeError, type Logger } from '../log/logger'
import type { DriverFactory, SourceDriver } from './driver'
import {
  acquireCertificateManager,
  certificateTrustStatus,
  describeCertificate,
  onCertificateTrusted,
  pkiFolder,
  type SharedCertificateManager,
} from './opcua-pki'
import { createServiceStats } from './opcua-stats'

// One OPC UA server, read through one session (OPC UA Part 4 §5.6) with as many subscriptions
// (Part 4 §5.13) as the server's limits need and a monitored item per tag (Part 4 §5.12), following
// DESIGN.md §4: our own certificate store with automatic acceptance off, a server that is down at
// start-up retried forever, and subscriptions that survive reconnects. Section numbers are those of
// OPC 10000-4 v1.04 (and OPC 10000-5 v1.05 for the ServerCapabilities that version added).
//
// Connection states, as reported to the sink:
//
//   start ──► connecting ──client, session, subscriptions, items created──► connected
//                 │                                                       │       ▲
//                 │ attempt failed                        connection_lost │       │ connection_reestablished
//                 ▼                                                       ▼       │ (node-opcua repaired it)
//   ┌─────► disconnected ◄──node-opcua gave up, subscription ended, ── disconnected
//   │             │          or the server fell silent
//   └─ retry ◄────┘ (backoff with jitter, a new client each time; at once when a certificate of
//                    our store was just trusted)
//
// node-opcua repairs a broken channel by itself (Part 4 §6.7: reactivate the session, else create a
// new one and TransferSubscriptions, else recreate the subscriptions and their items). Whatever it
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
/**
 * Monitored items created, and values re-read, per request, at most: servers cap both (Part 5
 * §6.3.11 OperationLimits) and a smaller published MaxMonitoredItemsPerCall wins.
 */
const itemsPerRequest = 500
/** The server's clock is read this often while only Publish flows, to keep the round trip current. */
const roundTripProbeMs = 10_000

type ConnectionState = 'connecting' | 'connected' | 'disconnected'

/** A tag with a node id the client can parse. */
type Monitored = { tag: Tag; nodeId: NodeId }

/**
 * Limits the server publishes in its ServerCapabilities (Part 5 §6.3.2) and OperationLimits (Part 5
 * §6.3.11); Infinity where it publishes none or 0, which means "no limit".
 */
type ServerLimits = {
  itemsPerSubscription: number
  itemsPerCall: number
  subscriptionsPerSession: number
}

const noLimits: ServerLimits = {
  itemsPerSubscription: Infinity,
  itemsPerCall: Infinity,
  subscriptionsPerSession: Infinity,
}

/** One subscription of a connection and the share of the tags it carries. */
type SubscriptionSlot = {
  subscription: ClientSubscription
  /** Monitored items the server created on it. */
  items: number
  /** How many it may hold: the server's published limit, or what it held when it said it was full. */
  capacity: number
  /** When the server last answered one of its publish requests (data or keep-alive). */
  lastHeardAt: number
  /** How long it may stay silent before it is considered dead. */
  silenceLimitMs: number
}

/** One client from its connect attempt until it is disconnected; a new one is made per attempt. */
type Connection = {
  client: OPCUAClient
  session: ClientSession | null
  limits: ServerLimits
  slots: SubscriptionSlot[]
  /** The channel is down and node-opcua is repairing it. */
  repairing: boolean
  /** We are closing it: its events no longer matter. */
  closing: boolean
  /** Settles once the client has let go of everything; shared by everyone who closes it. */
  closed: Promise<void> | null
  cancelWatchdog: Cancel
  /** When we last timed a request other than Publish, to know when to probe. */
  lastProbeAt: number
  probing: boolean
  detach: Array<() => void>
  /** The built-in type of each node written on this connection, by node id (Part 3 §5.6.2). */
  dataTypes: Map<string, DataType>
  /** A write sent on it went unanswered: its teardown goes straight to disconnect (see write). */
  writeUnanswered: boolean
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
  const pkiDir = pkiFolder(context.dataDir)
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
  // Part 4 §5.12.1.5: a queue of one that discards the oldest keeps only the latest value.
  const queueSize = source.queueSize ?? 1
  const filter = dataChangeFilter(source.deadband)

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
  const stats = createServiceStats(scheduler)

  let started = false
  let disposed = false
  let disposal: Promise<void> | null = null
  let connection: Connection | null = null
  let certificates: Promise<SharedCertificateManager> | null = null
  let attempt: Promise<void> | null = null
  let attempting = false
  let retryAfterAttempt = false
  let cancelRetry: Cancel = () => {}
  let stopListeningForTrust: () => void = () => {}
  let backoffMs = initialBackoffMs
  let status: { state: ConnectionState; lastError: string | null; since: number } | null = null
  let pending: TagValue[] = []
  /** The certificate the server last presented, and whether our store trusts it. */
  let serverCertificate: CertificateInfo | null = null

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
    // A loop, not push(...values): a site with tens of thousands of tags marked bad at once would
    // overflow the call stack with that many arguments.
    for (const value of values) pending.push(value)
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

  const onDataValue = (
    current: Connection,
    slot: SubscriptionSlot,
    tag: Tag,
    dataValue: DataValue,
  ): void => {
    if (current !== connection || current.closing) return
    const now = scheduler.now()
    slot.lastHeardAt = now
    notifiedAt.set(tag.id, now)
    if (current.repairing || status?.state !== 'connected') {
      // A notification only arrives over a working channel and session: node-opcua may deliver
      // republished values before it emits connection_reestablished, and the first subscriptions
      // publish while later monitored items are still being created. A good value must never sit
      // beside a source shown as disconnected or connecting.
      current.repairing = false
      reportStatus('connected', null)
    }
    reportValues([toTagValue(tag, dataValue, source.id, now)])
  }

  /**
   * Part 4 §6.1.3: the client checks the server's certificate against its trust list. We note which
   * certificate that was (and the verdict), so the Connections view can show the one that was
   * refused and an engineer can trust it (opcua-pki.ts).
   */
  const noteServerCertificate = (certificate: Buffer, verdict: StatusCode | null): void => {
    let info: CertificateInfo
    try {
      info = describeCertificate(certificate, 'unknown')
    } catch (error) {
      logger.debug('cannot read the server certificate', { error: plainMessage(error) })
      return
    }
    // Good: in our trusted folder, or issued by a CA in our issuers folder (node-opcua accepts
    // both); either way trusted.
    if (verdict?.equals(StatusCodes.Good)) {
      serverCertificate = { ...info, status: 'trusted' }
      return
    }
    if (verdict?.equals(StatusCodes.BadCertificateUntrusted)) {
      serverCertificate = { ...info, status: 'rejected' }
      return
    }
    // Another verdict (expired, wrong host name…) says nothing about the trust list: look.
    const known =
      serverCertificate?.thumbprint === info.thumbprint ? serverCertificate.status : null
    serverCertificate = { ...info, status: known ?? 'unknown' }
    certificateTrustStatus(pkiDir, info.thumbprint).then(
      (trust) => {
        if (serverCertificate?.thumbprint === info.thumbprint)
          serverCertificate = { ...serverCertificate, status: trust }
      },
      (error: unknown) =>
        logger.debug('cannot read the trust list', { error: plainMessage(error) }),
    )
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

  /** An engineer trusted a certificate of our store: a source waiting on it need not wait longer. */
  const retryNow = (): void => {
    if (disposed || !started || attempting || connection) return
    logger.info('a certificate was trusted: retrying now')
    cancelRetry()
    backoffMs = initialBackoffMs
    attempt = connect()
  }

  /** Ends a connection that cannot be used any more and starts again from scratch. */
  const restart = async (current: Connection, reason: string): Promise<void> => {
    if (current.closing || disposed) return
    logger.warn('restarting the connection', { reason })
    if (reportStatus('disconnected', reason)) markBad(reason)
    stats.dropInFlight()
    await closeConnection(current, logger, scheduler)
    if (connection === current) connection = null
    scheduleRetry()
  }

  /** Part 4 §7.36: anonymous, or a UserNameIdentityToken when the site names a user. */
  const userIdentity = (): { identity: UserIdentityInfo | undefined } | { reason: string } => {
    if (source.userName === undefined) return { identity: undefined }
    let password = source.password ?? ''
    if (source.passwordEnv !== undefined) {
      const fromEnvironment = process.env[source.passwordEnv]
      if (fromEnvironment === undefined) {
        return {
          reason: `cannot sign in to ${source.endpoint} as ${source.userName}: the environment variable ${source.passwordEnv} (passwordEnv) is not set`,
        }
      }
      password = fromEnvironment
    }
    return { identity: { type: UserTokenType.UserName, userName: source.userName, password } }
  }

  const connect = async (): Promise<void> => {
    // A live connection needs no second client (a retry timer may fire after a later success).
    if (disposed || connection) return
    if (attempting) {
      // A restart during a long attempt (a subscription ended while items were still being
      // created) scheduled this retry: run it once the attempt ends, never drop it, or the
      // source would stay disconnected for good.
      retryAfterAttempt = true
      return
    }
    attempting = true
    try {
      await attemptConnection()
    } finally {
      attempting = false
    }
    if (retryAfterAttempt && !disposed) {
      retryAfterAttempt = false
      if (!connection) {
        cancelRetry()
        // Awaited, so whoever awaits this attempt (dispose) also waits for the retry.
        await connect()
      }
    }
  }

  const attemptConnection = async (): Promise<void> => {
    const user = userIdentity()
    if ('reason' in user) {
      if (reportStatus('disconnected', user.reason)) markBad(user.reason)
      scheduleRetry()
      return
    }
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
      clientCertificateManager: observingServerCertificate(manager, noteServerCertificate),
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
      limits: noLimits,
      slots: [],
      repairing: false,
      closing: false,
      closed: null,
      cancelWatchdog: () => {},
      lastProbeAt: scheduler.now(),
      probing: false,
      detach: [],
      dataTypes: new Map(),
      writeUnanswered: false,
    }
    connection = current
    countRequests(current)

    try {
      // Every step is bounded: an endpoint that accepts TCP and never answers must not hold the
      // attempt (and the operator's status) forever.
      await withTimeout(client.connect(source.endpoint), connectTimeoutMs, scheduler)
      if (current.closing) return
      // CreateSession then ActivateSession with our identity (Part 4 §5.6.2, §5.6.3).
      const session = await withTimeout(
        client.createSession(user.identity),
        operationTimeoutMs,
        scheduler,
      )
      current.session = session
      if (current.closing) return
      if (!serverCertificate && session.serverCertificate?.length)
        noteServerCertificate(session.serverCertificate, null)
      current.limits = await readServerLimits(session)
      if (current.closing) return
      // One subscription even without tags: its keep-alives prove the server alive.
      await openSubscription(current)
      if (current.closing) return
      watchClient(current)
      await place(current, monitored)
      if (current.closing) return
      backoffMs = initialBackoffMs
      logger.info('subscribed', {
        tags: monitored.length,
        refused: refused.size,
        subscriptions: current.slots.length,
        publishingInterval: current.slots[0]?.subscription.publishingInterval,
        maxKeepAliveCount: current.slots[0]?.subscription.maxKeepAliveCount,
      })
      // A break during set-up is being repaired; connection_reestablished reports it.
      if (!current.repairing) reportStatus('connected', null)
      startWatchdog(current)
    } catch (error) {
      if (current.closing || disposed) return
      const reason = describeConnectError(error, source, pkiDir)
      if (reportStatus('disconnected', reason)) markBad(reason)
      stats.dropInFlight()
      await closeConnection(current, logger, scheduler)
      if (connection === current) connection = null
      scheduleRetry()
    }
  }

  /**
   * Counts the client's service requests for the diagnostics: every secure channel it opens
   * (node-opcua opens a new one when it repairs a connection) reports what it sends, what comes
   * back (a ServiceFault included) and what times out.
   */
  const countRequests = (current: Connection): void => {
    const onChannel = (channel: ClientSecureChannelLayer): void => {
      const onSent = (request: {
        requestHeader: { requestHandle: number }
        schema: { name: string }
      }): void => {
        if (!current.closing) stats.sent(request.requestHeader.requestHandle, request.schema.name)
      }
      const onAnswered = (transaction: {
        request: { requestHeader: { requestHandle: number } }
        response: { responseHeader: { serviceResult: StatusCode } }
      }): void => {
        if (current.closing) return
        stats.answered(
          transaction.request.requestHeader.requestHandle,
          transaction.response.responseHeader.serviceResult.isGood(),
        )
      }
      const onTimedOut = (request: { requestHeader: { requestHandle: number } }): void => {
        if (!current.closing) stats.timedOut(request.requestHeader.requestHandle)
      }
      current.detach.push(
        listen(channel, {
          send_request: onSent,
          end_transaction: onAnswered,
          timed_out_request: onTimedOut,
        }),
      )
    }
    current.detach.push(listen(current.client, { secure_channel_created: onChannel }))
  }

  /** Reads the limits that decide how tags are spread over subscriptions and requests. */
  const readServerLimits = async (session: ClientSession): Promise<ServerLimits> => {
    const nodes = [
      VariableIds.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription,
      VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
      VariableIds.Server_ServerCapabilities_MaxSubscriptionsPerSession,
    ]
    try {
      const values = await withTimeout(
        session.read(
          nodes.map((id) => ({ nodeId: resolveNodeId(id), attributeId: AttributeIds.Value })),
        ),
        operationTimeoutMs,
        scheduler,
      )
      // A server older than 1.05 has no MaxMonitoredItemsPerSubscription (BadNodeIdUnknown): no
      // published limit, and place() learns it from BadTooManyMonitoredItems instead.
      const limit = (index: number): number => {
        const dataValue = values[index]
        const value: unknown = dataValue?.statusCode.isGood() ? dataValue.value.value : null
        return typeof value === 'number' && value > 0 ? value : Infinity
      }
      const limits = {
        itemsPerSubscription: limit(0),
        itemsPerCall: limit(1),
        subscriptionsPerSession: limit(2),
      }
      logger.debug('server limits', limits)
      return limits
    } catch (error) {
      logger.debug('cannot read the server limits', { error: plainMessage(error) })
      return noLimits
    }
  }

  /** Creates one more subscription on the connection's session and watches it. */
  const openSubscription = async (current: Connection): Promise<SubscriptionSlot> => {
    const session = current.session
    if (!session) throw new Error('no session')
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
    const revisedKeepAliveMs = subscription.publishingInterval * subscription.maxKeepAliveCount
    const slot: SubscriptionSlot = {
      subscription,
      items: 0,
      capacity: current.limits.itemsPerSubscription,
      lastHeardAt: scheduler.now(),
      silenceLimitMs: 3 * Math.max(revisedKeepAliveMs, publishingMs) + 2_000,
    }
    current.slots.push(slot)
    watchSubscription(current, slot)
    return slot
  }

  /**
   * Spreads `entries` over the connection's subscriptions: each takes at most the server's
   * MaxMonitoredItemsPerSubscription (Part 5 §6.3.2), each request at most MaxMonitoredItemsPerCall
   * (Part 5 §6.3.11), and new subscriptions are opened as needed. A server that publishes no limit
   * but answers BadTooManyMonitoredItems (Part 4 §5.12.2) has told us where its limit is: that
   * subscription is full, the rest go to the next one.
   */
  const place = async (current: Connection, entries: Monitored[]): Promise<void> => {
    const perRequest = Math.min(itemsPerRequest, current.limits.itemsPerCall)
    let queue = entries
    while (queue.length > 0) {
      if (current.closing) return
      let slot = current.slots.find((candidate) => candidate.items < candidate.capacity)
      if (!slot) {
        if (current.slots.length >= current.limits.subscriptionsPerSession) {
          refuseAll(
            queue,
            `BadTooManySubscriptions: the server allows ${current.limits.subscriptionsPerSession} subscriptions per session and they are full`,
          )
          return
        }
        try {
          slot = await openSubscription(current)
        } catch (error) {
          // Part 4 §5.13.2: a server may refuse another subscription; the tags that do not fit
          // are refused, the others carry on.
          if (!/BadTooManySubscriptions/.test(plainMessage(error))) throw error
          refuseAll(queue, `BadTooManySubscriptions: ${plainMessage(error)}`)
          return
        }
        if (current.closing) return
      }
      const batch = queue.slice(0, Math.min(perRequest, slot.capacity - slot.items))
      queue = queue.slice(batch.length)
      const full = await createItems(current, slot, batch)
      if (full.length === 0) continue
      if (slot.items === 0) {
        // Not even one fits in an empty subscription: the server as a whole is full.
        refuseAll(
          [...full, ...queue],
          'BadTooManyMonitoredItems: the server monitors no more items',
        )
        return
      }
      logger.info('the server says a subscription is full', { items: slot.items })
      slot.capacity = slot.items
      queue = [...full, ...queue]
    }
  }

  const refuseAll = (entries: Monitored[], reason: string): void => {
    if (entries.length === 0) return
    logger.warn('the server refused to monitor tags', { tags: entries.length, reason })
    for (const entry of entries) refused.set(entry.tag.id, entry)
    reportValues(entries.map(({ tag }) => badValue(tag, reason)))
  }

  /**
   * Creates monitored items for `entries` on one subscription, in one request. Returns those the
   * server refused because the subscription is full; other refusals are reported as bad values.
   */
  const createItems = async (
    current: Connection,
    slot: SubscriptionSlot,
    entries: Monitored[],
  ): Promise<Monitored[]> => {
    if (entries.length === 0) return []
    const group = ClientMonitoredItemGroup.create(
      slot.subscription,
      entries.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: source.samplingMs, queueSize, discardOldest: true, filter },
      TimestampsToReturn.Both,
    )
    group.on('changed', (_item, dataValue: DataValue, index: number) => {
      const entry = entries[index]
      if (entry) onDataValue(current, slot, entry.tag, dataValue)
    })
    await waitForGroup(group, scheduler)
    const refusals: TagValue[] = []
    const full: Monitored[] = []
    entries.forEach((entry, index) => {
      const statusCode = group.monitoredItems[index]?.statusCode
      if (statusCode && statusCode.isGood()) {
        refused.delete(entry.tag.id)
        slot.items += 1
        return
      }
      if (statusCode?.equals(StatusCodes.BadTooManyMonitoredItems)) {
        full.push(entry)
        return
      }
      // Part 4 §5.12.2: a monitored item the server cannot create comes back with a bad
      // StatusCode (BadNodeIdUnknown, BadNodeIdInvalid, BadUserAccessDenied, BadFilterNotAllowed…);
      // the others carry on.
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
    return full
  }

  const live = (current: Connection): boolean =>
    current === connection && !current.closing && !disposed

  const watchClient = (current: Connection): void => {
    const { client } = current
    const onConnectionLost = (): void => {
      if (!live(current)) return
      current.repairing = true
      stats.dropInFlight()
      if (reportStatus('disconnected', 'connection lost')) markBad('connection lost')
    }
    const onReconnectionFailed = (error: Error): void => {
      if (!live(current)) return
      reportStatus('disconnected', `connection lost; reconnecting failed: ${plainMessage(error)}`)
    }
    const onReestablished = (): void => {
      if (!live(current)) return
      current.repairing = false
      const now = scheduler.now()
      for (const slot of current.slots) slot.lastHeardAt = now
      // A server that restarted may run a new program with other types: ask again before writing.
      current.dataTypes.clear()
      reportStatus('connected', null)
      void afterRepair(current)
    }
    const onClose = (error?: Error | null): void => {
      // A close with an error is node-opcua giving up on its repair; ours starts over.
      if (!live(current) || !error) return
      void restart(current, `connection closed: ${plainMessage(error)}`)
    }
    // Listeners go when the connection closes, so a late event of an old client never touches
    // the state of the next one.
    current.detach.push(
      listen(client, {
        connection_lost: onConnectionLost,
        reconnection_attempt_has_failed: onReconnectionFailed,
        connection_reestablished: onReestablished,
        close: onClose,
      }),
    )
  }

  const watchSubscription = (current: Connection, slot: SubscriptionSlot): void => {
    const { subscription } = slot
    const onHeard = (): void => {
      slot.lastHeardAt = scheduler.now()
    }
    const onStatusChanged = (statusCode: StatusCode): void => {
      logger.info('subscription status changed', { status: statusCode.name })
    }
    const onTerminated = (): void => {
      // The server ended it (Part 4 §5.13.1.1: BadTimeout after its lifetime) or node-opcua did.
      if (!live(current)) return
      void restart(current, 'the server ended the subscription')
    }
    const onInternalError = (error: Error): void => {
      if (!live(current)) return
      void restart(current, `subscription failed: ${plainMessage(error)}`)
    }
    current.detach.push(
      listen(subscription, {
        keepalive: onHeard,
        received_notifications: onHeard,
        status_changed: onStatusChanged,
        terminated: onTerminated,
        internal_error: onInternalError,
      }),
    )
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
      if (retry.length > 0) await place(current, retry)
    } catch (error) {
      if (current !== connection || current.closing) return
      await restart(current, `cannot refresh values after reconnecting: ${plainMessage(error)}`)
    }
  }

  /**
   * The last line of defence: a subscription that neither notifies nor keeps alive for well past
   * its keep-alive period while the channel looks fine is dead in a way node-opcua did not see.
   * The same timer reads the server's clock now and then, to keep the round-trip figure current.
   */
  const startWatchdog = (current: Connection): void => {
    const silenceLimitMs = Math.max(...current.slots.map((slot) => slot.silenceLimitMs))
    const checkMs = Math.min(roundTripProbeMs, Math.max(1_000, Math.round(silenceLimitMs / 4)))
    const check = (): void => {
      if (current.closing || current !== connection) return
      const now = scheduler.now()
      if (!current.repairing) {
        for (const slot of current.slots) {
          const silence = now - slot.lastHeardAt
          if (silence > slot.silenceLimitMs) {
            void restart(
              current,
              `no publish response from the server for ${Math.round(silence / 1000)} s`,
            )
            return
          }
        }
        if (now - current.lastProbeAt >= roundTripProbeMs) void probe(current)
      }
      current.cancelWatchdog = scheduler.after(checkMs, check)
    }
    current.cancelWatchdog = scheduler.after(checkMs, check)
  }

  /** Reads Server.ServerStatus.CurrentTime (Part 5 §12.10): a cheap request to time. */
  const probe = async (current: Connection): Promise<void> => {
    const session = current.session
    if (!session || current.probing) return
    current.probing = true
    current.lastProbeAt = scheduler.now()
    try {
      await withTimeout(
        session.read({
          nodeId: resolveNodeId(VariableIds.Server_ServerStatus_CurrentTime),
          attributeId: AttributeIds.Value,
        }),
        operationTimeoutMs,
        scheduler,
      )
    } catch (error) {
      // Counted in the figures; the subscriptions' keep-alives decide whether the link is dead.
      logger.debug('round-trip probe failed', { error: plainMessage(error) })
    } finally {
      current.probing = false
    }
  }

  /**
   * Whether a request made on `session` now goes out at once, to a server the operator sees as
   * connected. node-opcua holds a request made while the channel is down and a repair is under
   * way, and one the server answers BadSessionIdInvalid while it repairs the session, and sends it
   * after the repair (client_session_impl.js, performMessageTransaction and #reprocessRequest):
   * long after the operator decided, for a write.
   */
  const canSend = (current: Connection, session: ClientSession): boolean =>
    !disposed &&
    current === connection &&
    current.session === session &&
    !current.closing &&
    !current.repairing &&
    !session.isReconnecting &&
    status?.state === 'connected'

  const notConnected = (tag: Tag): Result<void> => {
    const why = status?.lastError ? ` (${status.lastError})` : ''
    return fail(
      'not-connected',
      `${tag.id}: not written: ${source.endpoint} is not connected${why}`,
    )
  }

  /**
   * DESIGN.md §4: one Write (Part 4 §5.10.4) of the tag's node, now or not at all. Without a working
   * session nothing is sent, and a write that fails is never sent again. The node's DataType is
   * read once per connection, so the value travels in the type the server expects.
   */
  const write: SourceDriver['write'] = (tag, value) => {
    const current = connection
    const session = current?.session
    if (!current || !session || !canSend(current, session))
      return Promise.resolve(notConnected(tag))
    const parsed = parseNodeId(tag)
    if (!('nodeId' in parsed)) {
      return Promise.resolve(fail('invalid-node', `${tag.id}: not written: ${parsed.reason}`))
    }
    const { nodeId } = parsed
    const key = nodeId.toString()
    let raw: number | boolean | string
    try {
      raw = removeScale(value, tag.scale)
    } catch (error) {
      return Promise.resolve(
        fail('invalid-scale', `${tag.id}: not written: ${plainMessage(error)}`),
      )
    }

    // Once the deadline has passed the caller has its answer: a late DataType must not lead to a
    // write nobody waits for any more.
    let abandoned = false
    let sent = false
    const attempt = async (): Promise<Result<void>> => {
      let dataType = current.dataTypes.get(key)
      if (dataType === undefined) {
        const read = await session.read({ nodeId, attributeId: AttributeIds.DataType })
        if (!read.statusCode.isGood()) {
          return fail(
            'refused',
            `${tag.id}: not written: the server refused to read the data type of ${key}: ${read.statusCode.name}`,
          )
        }
        dataType = await findBasicDataType(session, read.value.value as NodeId)
        current.dataTypes.set(key, dataType)
      }
      if (abandoned) return fail('no-answer', `${tag.id}: not written: abandoned`)
      const encoded = toVariant(raw, dataType)
      if ('problem' in encoded) {
        return fail('wrong-type', `${tag.id}: not written: ${key} ${encoded.problem}`)
      }
      // The DataType took requests and time: the channel may have broken, a repair begun, or the
      // connection been closed meanwhile. Checked again with nothing awaited before the send.
      if (!canSend(current, session)) return notConnected(tag)
      sent = true
      const statusCode = await session.write({
        nodeId,
        attributeId: AttributeIds.Value,
        value: { value: encoded.variant },
      })
      return statusCode.isGood()
        ? ok(undefined)
        : fail('refused', `${tag.id}: the server refused the write: ${statusCode.name}`)
    }
    // Whether a write that got no answer was applied cannot be known from here.
    const unknownOutcome = (what: string): Result<void> =>
      sent
        ? fail(
            'no-answer',
            `${tag.id}: ${what}; the server may or may not have applied it: read the value back before writing again`,
          )
        : fail('no-answer', `${tag.id}: not written: ${what}`)

    return new Promise<Result<void>>((resolve) => {
      const settle = (result: Result<void>): void => {
        if (result.ok) logger.info('written', { tag: tag.id, value })
        else logger.warn('write failed', { tag: tag.id, value, error: result.error.message })
        resolve(result)
      }
      const cancel = scheduler.after(operationTimeoutMs, () => {
        abandoned = true
        settle(unknownOutcome(`no answer within ${operationTimeoutMs / 1000} s`))
        if (!sent) return
        // node-opcua may still send it: a write the server answered BadSessionIdInvalid is sent
        // again once node-opcua has a session again, however long that takes, and would land over
        // a value the operator wrote after reading back. So the connection goes, straight to
        // disconnect, which marks the session closed before it sends anything (closeSession).
        // node-opcua's repair then stops at its next step (reconnection.js, _shouldNotContinue),
        // what it held fails (session dispose, flushPendingTransactions), and a session detached
        // from its client sends nothing more. The next write goes out on a new client.
        current.writeUnanswered = true
        void restart(
          current,
          `a write to ${key} got no answer within ${operationTimeoutMs / 1000} s`,
        )
      })
      attempt().then(
        (result) => {
          if (abandoned) return
          cancel()
          settle(result)
        },
        (error: unknown) => {
          if (abandoned) return
          cancel()
          settle(unknownOutcome(`the request failed: ${plainMessage(error)}`))
        },
      )
    })
  }

  const sessionState = (current: Connection | null): string => {
    if (!current) return status?.state === 'disconnected' ? 'closed' : 'none'
    if (current.closing) return 'closing'
    if (!current.session) return 'opening'
    if (current.repairing) return 'repairing'
    return 'active'
  }

  const diagnostics = (): Omit<SourceDiagnostics, 'sourceId'> => {
    const current = connection
    const session = current?.session ?? null
    return {
      stats: stats.snapshot(),
      details: {
        kind: 'opcua',
        securityMode: source.securityMode,
        securityPolicy: source.securityPolicy,
        session: {
          state: sessionState(current),
          sessionId: session ? session.sessionId.toString() : null,
          timeoutMs: session ? session.timeout : null,
        },
        subscriptions: (current?.slots ?? []).map(({ subscription, items }) => ({
          id: subscription.subscriptionId ?? null,
          publishingIntervalMs: subscription.publishingInterval,
          monitoredItems: items,
          state: current?.repairing ? 'repairing' : subscription.isActive ? 'active' : 'inactive',
        })),
        serverCertificate,
      },
    }
  }

  return {
    start: () => {
      if (started || disposed) return
      started = true
      for (const { tag, reason } of unmonitorable)
        logger.warn('tag cannot be monitored', { tag: tag.id, reason })
      reportValues(unmonitorable.map(({ tag, reason }) => badValue(tag, reason)))
      stopListeningForTrust = onCertificateTrusted(pkiDir, retryNow)
      reportStatus('connecting', null)
      attempt = connect()
    },
    diagnostics,
    write,
    dispose: () => {
      disposal ??= (async () => {
        disposed = true
        pending = []
        cancelRetry()
        stopListeningForTrust()
        stats.forgetInFlight()
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
 * The certificate manager as the client sees it, except that the verdict on the server's
 * certificate is also told to `observe`. node-opcua does not keep the certificate it refused, and
 * the operator must be shown which one that was; every other use goes to the shared manager itself
 * (methods bound to it, so its private fields keep working).
 */
function observingServerCertificate(
  manager: OPCUACertificateManager,
  observe: (certificate: Buffer, verdict: StatusCode | null) => void,
): OPCUACertificateManager {
  return new Proxy(manager, {
    get(target, property) {
      if (property === 'checkCertificate') {
        return async (chain: Buffer | Buffer[]): Promise<StatusCode> => {
          const verdict = await target.checkCertificate(chain)
          observe(Array.isArray(chain) ? Buffer.concat(chain) : chain, verdict)
          return verdict
        }
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target)
    },
  })
}

/** Part 4 §7.17.2: the DataChangeFilter of a deadband, or none (report every change). */
function dataChangeFilter(deadband: OpcUaSource['deadband']): DataChangeFilter | null {
  if (!deadband) return null
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
    deadbandValue: deadband.value,
  })
}

/**
 * Tears a connection down: subscriptions, session, then the channel, each bounded in time. Whoever
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
  const { client, session, slots } = current
  // Over a broken channel, requests would wait for a repair that is being cancelled: skip them,
  // the server drops the session on its own when it times out (Part 4 §5.6.2). After a write went
  // unanswered, disconnect must be the first thing: it closes the session before anything else can
  // happen on it (see write).
  const channelUp = !current.repairing && !client.isReconnecting && !current.writeUnanswered
  const step = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      await withTimeout(work(), operationTimeoutMs, scheduler)
    } catch (error) {
      logger.debug(`${what} failed while closing`, { error: plainMessage(error) })
    }
  }
  if (channelUp) {
    for (const { subscription } of slots)
      await step('DeleteSubscriptions', () => subscription.terminate())
  }
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

/** What each integer DataType holds; 64-bit ones as far as a number is exact (2^53). */
const integerRanges: Partial<Record<DataType, readonly [number, number]>> = {
  [DataType.SByte]: [-0x80, 0x7f],
  [DataType.Byte]: [0, 0xff],
  [DataType.Int16]: [-0x8000, 0x7fff],
  [DataType.UInt16]: [0, 0xffff],
  [DataType.Int32]: [-0x80000000, 0x7fffffff],
  [DataType.UInt32]: [0, 0xffffffff],
  [DataType.Int64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [DataType.UInt64]: [0, Number.MAX_SAFE_INTEGER],
}

/** The largest finite Float (IEEE 754 single precision). */
const maxFloat = 3.4028234663852886e38

/**
 * A raw value as a Variant of the node's built-in type. Integers are rounded to the nearest
 * (removing a scale leaves 191.49999…) and refused when out of range, never wrapped or clamped: a
 * wrapped setpoint is a wrong setpoint.
 */
function toVariant(
  value: number | boolean | string,
  dataType: DataType,
): { variant: Variant } | { problem: string } {
  const typeName = DataType[dataType] ?? `DataType ${dataType}`
  if (dataType === DataType.Boolean) {
    return typeof value === 'boolean'
      ? { variant: new Variant({ dataType, value }) }
      : { problem: `holds a Boolean, not ${JSON.stringify(value)}` }
  }
  const range = integerRanges[dataType]
  if (dataType !== DataType.Float && dataType !== DataType.Double && !range) {
    return { problem: `holds a ${typeName}, which the console does not write` }
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { problem: `holds a ${typeName}, not ${JSON.stringify(value)}` }
  }
  if (!range) {
    if (dataType === DataType.Float && Math.abs(value) > maxFloat) {
      return { problem: `holds a Float, and ${value} is beyond its range` }
    }
    return { variant: new Variant({ dataType, value }) }
  }
  const rounded = Math.round(value)
  const [low, high] = range
  if (rounded < low || rounded > high) {
    return { problem: `holds a ${typeName} (${low} to ${high}); ${value} does not fit` }
  }
  if (dataType === DataType.Int64) {
    return { variant: new Variant({ dataType, value: coerceInt64(rounded) }) }
  }
  if (dataType === DataType.UInt64) {
    return { variant: new Variant({ dataType, value: coerceUInt64(rounded) }) }
  }
  return { variant: new Variant({ dataType, value: rounded }) }
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
function describeConnectError(error: unknown, source: OpcUaSource, pkiDir: string): string {
  const { endpoint } = source
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
  // Part 4 §7.37: an endpoint lists the identities it accepts (UserTokenPolicies); node-opcua
  // checks before it asks.
  const policy = /Cannot find (\w+) user token policy/i.exec(text)
  if (policy) {
    const advice = source.userName === undefined ? '; give the source a userName' : ''
    return `cannot connect to ${endpoint}: the server does not accept ${policy[1]?.toLowerCase() ?? 'this'} sign-in (no such user token policy on the endpoint)${advice}`
  }
  // Part 4 §5.6.3: ActivateSession refuses an identity with BadUserAccessDenied or
  // BadIdentityToken{Rejected,Invalid}; the password itself never appears in the message.
  const identity = /Bad(UserAccessDenied|IdentityTokenRejected|IdentityTokenInvalid)/.exec(text)
  if (identity) {
    const who = source.userName === undefined ? 'anonymous sign-in' : `user "${source.userName}"`
    return `cannot connect to ${endpoint}: the server rejected the identity (${who}): ${identity[0]} (${text})`
  }
  return `cannot connect to ${endpoint}: ${text}`
}

/**
 * Adds listeners to one of node-opcua's emitters and returns the one call that removes exactly
 * those again, so a connection's teardown can never forget one of them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-opcua types each event's arguments differently
function listen(emitter: object, listeners: Record<string, (...args: any[]) => void>): () => void {
  const events = emitter as EventEmitter
  for (const [event, listener] of Object.entries(listeners)) events.on(event, listener)
  return () => {
    for (const [event, listener] of Object.entries(listeners)) events.off(event, listener)
  }
}

function plainMessage(error: unknown): string {
  return describeError(error).replace(/\s+/g, ' ').trim()
}
