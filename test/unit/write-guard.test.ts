import { describe, expect, it } from 'vitest'
import { checkWriteAllowed, isLoopback } from '../../src/backend/control/write-guard'
import { sourceSchema, type Source } from '../../src/shared/site/schema'

const source = (input: Record<string, unknown>): Source => sourceSchema.parse(input)

const simulatedPlc = source({
  id: 'sim-plc',
  protocol: 'modbus-tcp',
  host: '127.0.0.1',
  port: 15020,
  simulated: true,
})
const simulatedUa = source({
  id: 'sim-ua',
  protocol: 'opcua',
  endpoint: 'opc.tcp://127.0.0.1:14840',
  simulated: true,
})
const realPlc = source({ id: 'plc-a', protocol: 'modbus-tcp', host: '10.20.1.15', port: 502 })
const served = new Set(['sim-plc', 'sim-ua'])

describe('write guard', () => {
  it('lets any write through outside a drill (roles and confirmation are checked before it)', () => {
    expect(checkWriteAllowed(realPlc, { drill: false, simulatedSourceIds: served }).ok).toBe(true)
  })

  it('in a drill, lets writes reach only sources the running simulator serves on loopback', () => {
    const drill = { drill: true, simulatedSourceIds: served }
    expect(checkWriteAllowed(simulatedPlc, drill).ok).toBe(true)
    expect(checkWriteAllowed(simulatedUa, drill).ok).toBe(true)
    expect(checkWriteAllowed(realPlc, drill)).toEqual({
      ok: false,
      error: {
        code: 'drill-real-source',
        message:
          'A drill is running, so writes go only to the simulator, and source "plc-a" is not one the console\'s own simulator serves on this machine. End the drill to write to it.',
      },
    })
  })

  it('in a drill, refuses a source marked simulated that the simulator is not serving or is not local', () => {
    const notServed = { drill: true, simulatedSourceIds: new Set<string>() }
    expect(checkWriteAllowed(simulatedPlc, notServed).ok).toBe(false)
    const mislabelled = source({
      id: 'sim-plc',
      protocol: 'modbus-tcp',
      host: '10.20.1.15',
      port: 502,
      simulated: true,
    })
    expect(checkWriteAllowed(mislabelled, { drill: true, simulatedSourceIds: served }).ok).toBe(
      false,
    )
    const bus = source({
      id: 'sim-plc',
      protocol: 'modbus-rtu',
      path: '/dev/ttyUSB0',
      simulated: true,
    })
    expect(checkWriteAllowed(bus, { drill: true, simulatedSourceIds: served }).ok).toBe(false)
  })

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.8.9.1', '::1', 'localhost'].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect(['10.0.0.1', '128.0.0.1', 'plc.local', '::2', '0.0.0.0'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
