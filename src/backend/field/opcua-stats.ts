import type { SourceStats } from '../../shared/field/diagnostics'
import type { Scheduler } from '../../shared/scheduler'
import { median } from '../../shared/statistics'

// Figures about the service requests one OPC UA driver sends (OPC UA Part 4 §7.28 RequestHeader,
// §7.29 ResponseHeader), for the Connections view. They count every request of every client the
// driver makes, from start to dispose, matched request to response by requestHandle.
//
// Round-trip time leaves Publish out: the server holds a PublishRequest until it has notifications
// or a keep-alive to send (Part 4 §5.13.5), so its "round trip" is mostly waiting and says nothing
// about the network or the server's load. Every other service call (CreateSession,
// CreateMonitoredItems, Read…) is timed from the moment its message is sent to the moment its
// response is decoded; the driver reads the server's clock every few seconds so the figure stays
// current while only Publish requests flow. Requests per second and frame loss do count Publish:
// they are most of the traffic.

/** How many recent round trips the median is taken over. */
const roundTripSamples = 50
/** The window of the requests-per-second figure. */
const rateWindowMs = 10_000

export type ServiceStats = {
  /** A request went on the wire. */
  sent: (requestHandle: number, service: string) => void
  /** Its response arrived; `good` is whether its ServiceResult was good. */
  answered: (requestHandle: number, good: boolean) => void
  /** node-opcua gave up waiting for it (the request's timeoutHint passed). */
  timedOut: (requestHandle: number) => void
  /** The connection broke: what was in flight will never be answered. */
  dropInFlight: () => void
  /** The client is being closed on purpose: what is in flight does not count against anyone. */
  forgetInFlight: () => void
  snapshot: () => SourceStats
}

/**
 * `clock` times round trips: a monotonic clock with sub-millisecond resolution, since a round trip on
 * a plant LAN is often under a millisecond; `scheduler` keeps the 10 s window.
 */
export function createServiceStats(
  scheduler: Scheduler,
  clock: () => number = () => performance.now(),
): ServiceStats {
  const inFlight = new Map<number, { sentAt: number; timed: boolean }>()
  const sentAt: number[] = []
  const roundTrips: number[] = []
  let requests = 0
  let errors = 0
  let timeouts = 0

  const prune = (now: number): void => {
    let stale = 0
    while (stale < sentAt.length && (sentAt[stale] ?? now) <= now - rateWindowMs) stale++
    if (stale > 0) sentAt.splice(0, stale)
  }

  return {
    sent: (requestHandle, service) => {
      const now = scheduler.now()
      requests += 1
      sentAt.push(now)
      prune(now)
      inFlight.set(requestHandle, { sentAt: clock(), timed: service !== 'PublishRequest' })
    },
    answered: (requestHandle, good) => {
      const request = inFlight.get(requestHandle)
      if (!request) return
      inFlight.delete(requestHandle)
      if (!good) errors += 1
      if (request.timed) {
        roundTrips.push(clock() - request.sentAt)
        if (roundTrips.length > roundTripSamples) roundTrips.shift()
      }
    },
    timedOut: (requestHandle) => {
      if (!inFlight.delete(requestHandle)) return
      timeouts += 1
    },
    dropInFlight: () => {
      errors += inFlight.size
      inFlight.clear()
    },
    forgetInFlight: () => {
      inFlight.clear()
    },
    snapshot: () => {
      const now = scheduler.now()
      prune(now)
      return {
        roundTripMs: roundOrNull(median(roundTrips)),
        requestsPerSecond: round(sentAt.length / (rateWindowMs / 1000), 1),
        requests,
        errors,
        timeouts,
        frameLossPercent: requests === 0 ? 0 : round((100 * (errors + timeouts)) / requests, 2),
      }
    },
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value, 2)
}
