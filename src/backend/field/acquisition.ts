import type { ConnectionEvent, SourceStatus, TagValue } from '../../shared/field/values'
import { every, type Cancel } from '../../shared/scheduler'
import { assertNever, fail, ok, type Result } from '../../shared/result'
import type { RawReadRequest, SourceDiagnostics } from '../../shared/field/diagnostics'
import type { Site, Source, Tag } from '../../shared/site/schema'
import type { DriverContext, DriverFactory, SourceDriver } from './driver'

export type DriverFactories = {
  'modbus-tcp': DriverFactory<Extract<Source, { protocol: 'modbus-tcp' }>>
  'modbus-rtu': DriverFactory<Extract<Source, { protocol: 'modbus-rtu' }>>
  opcua: DriverFactory<Extract<Source, { protocol: 'opcua' }>>
}

export type Acquisition = {
  values: () => TagValue[]
  /** The latest reading of one tag. */
  valueOf: (tagId: string) => TagValue | undefined
  sources: () => SourceStatus[]
  /** Called with every reading drivers report (a poll reports every tag, changed or not) and every staleness change. */
  onValues: (listener: (values: TagValue[]) => void) => void
  onSources: (listener: (sources: SourceStatus[]) => void) => void
  /** Outages: one event when a source is lost, one when it is back. */
  onConnectionEvent: (listener: (event: ConnectionEvent) => void) => void
  diagnostics: (sourceId: string) => Result<SourceDiagnostics>
  /** One raw register read on a Modbus source, for the byte-order helper. */
  readRegisters: (request: RawReadRequest) => Promise<Result<number[]>>
  /**
   * Writes one tag through its source's driver, in engineering units. No policy here: who may write
   * what, and when, is decided by the caller (control, drills) before it gets this far.
   */
  write: (tagId: string, value: number | boolean) => Promise<Result<void>>
  dispose: () => Promise<void>
}

/** A polled tag with no fresh reading for twice its period plus this margin is stale (DESIGN.md §4). */
const staleMarginMs = 1000
const staleCheckMs = 250

function endpointOf(source: Source): string {
  switch (source.protocol) {
    case 'modbus-tcp':
      return `${source.host}:${source.port}`
    case 'modbus-rtu':
      return source.path
    case 'opcua':
      return source.endpoint
    default:
      return assertNever(source, 'protocol')
  }
}

/** How often a tag of this source should be refreshed, for staleness; null where updates are by exception. */
function refreshPeriodMs(source: Source): number | null {
  switch (source.protocol) {
    case 'modbus-tcp':
    case 'modbus-rtu':
      return source.pollMs
    case 'opcua':
      // OPC UA reports by exception: an unchanged value sends nothing, so silence is not staleness.
      // The driver marks its tags bad when the session or subscription is lost instead.
      return null
    default:
      return assertNever(source, 'protocol')
  }
}

/**
 * Runs one driver per source of a site and keeps the latest value of every tag. Tags start as
 * "bad, not read yet" so nothing is ever shown without a quality.
 */
export function startAcquisition(
  site: Site,
  factories: DriverFactories,
  context: DriverContext,
): Acquisition {
  const { scheduler } = context
  const latest = new Map<string, TagValue>()
  const statuses = new Map<string, SourceStatus>()
  const valueListeners: Array<(values: TagValue[]) => void> = []
  const sourceListeners: Array<(sources: SourceStatus[]) => void> = []
  const drivers = new Map<string, SourceDriver>()
  const periodByTag = new Map<string, number>()
  const connectionListeners: Array<(event: ConnectionEvent) => void> = []
  /** When each source's current outage began; absent while it is connected or still connecting. */
  const outageSince = new Map<string, number>()

  const trackOutage = (
    sourceId: string,
    state: SourceStatus['state'],
    lastError: string | null,
  ): void => {
    const now = scheduler.now()
    const lostAt = outageSince.get(sourceId)
    let event: ConnectionEvent | null = null
    if (state === 'disconnected' && lostAt === undefined) {
      outageSince.set(sourceId, now)
      event = { type: 'source.lost', sourceId, ts: now, reason: lastError, outageMs: null }
    } else if (state === 'connected' && lostAt !== undefined) {
      outageSince.delete(sourceId)
      event = { type: 'source.restored', sourceId, ts: now, reason: null, outageMs: now - lostAt }
    }
    if (event) for (const listener of connectionListeners) listener(event)
  }

  const publishValues = (reported: TagValue[]): void => {
    if (reported.length === 0) return
    const values = reported.map(finiteOrBad)
    for (const value of values) latest.set(value.tagId, value)
    for (const listener of valueListeners) listener(values)
  }
  const publishSources = (): void => {
    const all = [...statuses.values()]
    for (const listener of sourceListeners) listener(all)
  }

  const startedAt = scheduler.now()
  for (const source of site.sources) {
    const tags = site.tags.filter((tag) => tag.source === source.id)
    const period = refreshPeriodMs(source)
    for (const tag of tags) {
      latest.set(tag.id, {
        tagId: tag.id,
        value: null,
        quality: 'bad',
        reason: 'not read yet',
        sourceTs: null,
        receivedTs: startedAt,
        sourceId: source.id,
      })
      if (period !== null) periodByTag.set(tag.id, period)
    }
    statuses.set(source.id, {
      id: source.id,
      protocol: source.protocol,
      endpoint: endpointOf(source),
      state: 'connecting',
      lastError: null,
      since: startedAt,
      simulated: source.simulated,
    })
    const sink = {
      values: (values: TagValue[]) => publishValues(values),
      status: (change: Pick<SourceStatus, 'state' | 'lastError' | 'since'>) => {
        const current = statuses.get(source.id)
        if (!current) return
        statuses.set(source.id, { ...current, ...change })
        trackOutage(source.id, change.state, change.lastError)
        publishSources()
      },
    }
    drivers.set(source.id, createDriver(source, tags, sink, factories, context))
  }

  const stopStaleCheck: Cancel = every(
    scheduler,
    staleCheckMs,
    () => {
      const now = scheduler.now()
      const stale: TagValue[] = []
      for (const [tagId, period] of periodByTag) {
        const value = latest.get(tagId)
        if (!value || value.quality === 'stale' || value.quality === 'bad') continue
        const age = now - value.receivedTs
        if (age > 2 * period + staleMarginMs) {
          stale.push({
            ...value,
            quality: 'stale',
            reason: `no update for ${Math.round(age / 1000)} s`,
          })
        }
      }
      publishValues(stale)
    },
    (error) => context.logger.error('staleness check failed', { error: String(error) }),
  )

  for (const driver of drivers.values()) driver.start()
  const tagById = new Map(site.tags.map((tag) => [tag.id, tag]))

  return {
    values: () => [...latest.values()],
    valueOf: (tagId) => latest.get(tagId),
    sources: () => [...statuses.values()],
    onValues: (listener) => void valueListeners.push(listener),
    onSources: (listener) => void sourceListeners.push(listener),
    onConnectionEvent: (listener) => void connectionListeners.push(listener),
    diagnostics: (sourceId) => {
      const driver = drivers.get(sourceId)
      if (!driver) return fail('unknown-source', `There is no source "${sourceId}"`)
      return ok({ sourceId, ...driver.diagnostics() })
    },
    readRegisters: async ({ sourceId, ...request }) => {
      const driver = drivers.get(sourceId)
      if (!driver) return fail('unknown-source', `There is no source "${sourceId}"`)
      if (!driver.readRegisters)
        return fail('not-modbus', `Source "${sourceId}" is not a Modbus source`)
      return driver.readRegisters(request)
    },
    write: async (tagId, value) => {
      const tag = tagById.get(tagId)
      const driver = tag && drivers.get(tag.source)
      if (!tag || !driver) return fail('unknown-tag', `There is no tag "${tagId}"`)
      return driver.write(tag, value)
    },
    dispose: async () => {
      stopStaleCheck()
      await Promise.all([...drivers.values()].map((driver) => driver.dispose()))
    },
  }
}

/**
 * A float register or an OPC UA Double can hold NaN or ±Infinity (a PLC dividing by zero). That is
 * not a reading: show it as bad, whatever quality the device gave it, for every protocol alike.
 */
function finiteOrBad(value: TagValue): TagValue {
  if (typeof value.value !== 'number' || Number.isFinite(value.value)) return value
  return { ...value, value: null, quality: 'bad', reason: `the source sent ${value.value}` }
}

function createDriver(
  source: Source,
  tags: Tag[],
  sink: Parameters<DriverFactory>[2],
  factories: DriverFactories,
  context: DriverContext,
): SourceDriver {
  switch (source.protocol) {
    case 'modbus-tcp':
      return factories['modbus-tcp'](source, tags, sink, context)
    case 'modbus-rtu':
      return factories['modbus-rtu'](source, tags, sink, context)
    case 'opcua':
      return factories.opcua(source, tags, sink, context)
    default:
      return assertNever(source, 'protocol')
  }
}
