import type { DriverFactories } from '../../src/backend/field/acquisition'
import type { SourceDriver } from '../../src/backend/field/driver'
import { fail } from '../../src/shared/result'

/** A driver that never connects: for tests about the API or the server, not the field. */
export function idleDriver(): SourceDriver {
  return {
    start: () => {},
    dispose: async () => {},
    diagnostics: () => ({
      stats: {
        roundTripMs: null,
        requestsPerSecond: 0,
        requests: 0,
        errors: 0,
        timeouts: 0,
        frameLossPercent: 0,
      },
      details: { kind: 'none' },
    }),
    write: async (tag) => fail('disconnected', `${tag.id}: the idle test driver never connects`),
  }
}

export const idleDrivers: DriverFactories = {
  'modbus-tcp': idleDriver,
  'modbus-rtu': idleDriver,
  opcua: idleDriver,
}
