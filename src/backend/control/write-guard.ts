import { isIP } from 'node:net'
import { assertNever, fail, ok, type Result } from '../../shared/result'
import type { Source } from '../../shared/site/schema'

// The last check before any value leaves the console for a device. DESIGN.md §4: a drill can never
// write to a real PLC. "Real" is anything the console's own simulator is not serving: a source must
// be marked simulated, be served by the running simulator, and sit on this machine's loopback, so a
// site file that marks a plant PLC `simulated: true` by mistake still cannot be written in a drill.

export type WriteContext = {
  /** True while a drill runs. */
  drill: boolean
  /** Ids of the sources the running simulator serves (empty when none runs). */
  simulatedSourceIds: ReadonlySet<string>
}

function hostOf(source: Source): string | null {
  switch (source.protocol) {
    case 'modbus-tcp':
      return source.host
    case 'opcua':
      try {
        return new URL(source.endpoint.replace(/^opc\.tcp:/, 'http:')).hostname.replace(
          /^\[|\]$/g,
          '',
        )
      } catch {
        return null
      }
    case 'modbus-rtu':
      // A serial line leads to a physical bus; the simulator never serves one.
      return null
    default:
      return assertNever(source, 'protocol')
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1')
}

/** Whether a write to this source may go out now; the refusal says why in the operator's words. */
export function checkWriteAllowed(source: Source, context: WriteContext): Result<void> {
  if (!context.drill) return ok(undefined)
  const host = hostOf(source)
  const served =
    source.simulated === true &&
    context.simulatedSourceIds.has(source.id) &&
    host !== null &&
    isLoopback(host)
  if (!served) {
    return fail(
      'drill-real-source',
      `A drill is running, so writes go only to the simulator, and source "${source.id}" is not one the console's own simulator serves on this machine. End the drill to write to it.`,
    )
  }
  return ok(undefined)
}
