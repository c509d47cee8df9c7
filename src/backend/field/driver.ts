import type { SourceStatus, TagValue } from '../../shared/field/values'
import type { Scheduler } from '../../shared/scheduler'
import type { Source, Tag } from '../../shared/site/schema'
import type { Logger } from '../log/logger'

/** Where a driver reports what it reads and how its connection is doing. */
export type FieldSink = {
  /** Fresh readings (or bad-quality results) for some of the driver's tags. */
  values: (values: TagValue[]) => void
  /** The connection changed state or error. */
  status: (status: Omit<SourceStatus, 'id' | 'protocol' | 'endpoint' | 'simulated'>) => void
}

export type DriverContext = {
  logger: Logger
  scheduler: Scheduler
  /** The console's data folder (OPC UA keeps its PKI there). */
  dataDir: string
}

/**
 * One connection to one source (a PLC, a gateway, an OPC UA server). A driver connects by itself,
 * reconnects with backoff after any failure, never leaves a request pending, and releases every
 * socket, timer and subscription in dispose().
 */
export type SourceDriver = {
  start: () => void
  dispose: () => Promise<void>
}

export type DriverFactory<S extends Source = Source> = (
  source: S,
  tags: Tag[],
  sink: FieldSink,
  context: DriverContext,
) => SourceDriver
