import type { RawReadRequest, SourceDiagnostics } from '../../shared/field/diagnostics'
import type { SourceStatus, TagValue } from '../../shared/field/values'
import type { Result } from '../../shared/result'
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
  /** Figures and details for the Connections view, as of now. */
  diagnostics: () => Omit<SourceDiagnostics, 'sourceId'>
  /**
   * Modbus only: reads raw registers once, for the byte-order helper. It queues behind the poll
   * (one request on the wire at a time) and fails at once when disconnected: nothing waits for a
   * connection. Absent on OPC UA drivers.
   */
  readRegisters?: (request: Omit<RawReadRequest, 'sourceId'>) => Promise<Result<number[]>>
  /**
   * Writes one value, in engineering units (the driver removes the tag's scale and encodes it), and
   * resolves when the device has confirmed or refused it. DESIGN.md §4: a write is never queued
   * while the source is disconnected (it fails at once) and never retried; reading back is the
   * caller's job. Refusals name the tag and the reason.
   */
  write: (tag: Tag, value: number | boolean) => Promise<Result<void>>
}

export type DriverFactory<S extends Source = Source> = (
  source: S,
  tags: Tag[],
  sink: FieldSink,
  context: DriverContext,
) => SourceDriver
