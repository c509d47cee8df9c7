import { join } from 'node:path'
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
} from 'node-opcua'
import { afterEach, describe, expect, it } from 'vitest'
import type { Tag } from '../../src/shared/site/schema'
import {
  createRecorder,
  opcUaSource,
  sleep,
  startRelay,
  useOpcUaHarness,
  waitFor,
} from '../support/opcua'
import { findFreePort } from '../support/ports'

// DESIGN.md §4: a write is sent once, now, or not at all. node-opcua holds some requests and sends
// them again after it has repaired a session; these tests play a PLC that makes it do so, and check
// that a write the operator has been told about is never applied afterwards.

/** A PLC with one writable Double that records every value written to it. */
type SetpointPlc = {
  port: number
  written: number[]
  /** Forgets every session while the channels stay up, and refuses new sessions. */
  forgetSessions: () => void
  /** Takes new sessions again. */
  acceptSessions: () => void
  dispose: () => Promise<void>
}

async function startSetpointPlc(port: number, pkiDir: string): Promise<SetpointPlc> {
  const written: number[] = []
  let setpoint = 0
  const manager = (folder: string): OPCUACertificateManager =>
    new OPCUACertificateManager({
      rootFolder: join(pkiDir, folder),
      automaticallyAcceptUnknownCertificate: true,
      disableFileWatchers: true,
    })
  const server = new OPCUAServer({
    port,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    alternateHostname: ['127.0.0.1'],
    serverCertificateManager: manager('server'),
    userCertificateManager: manager('user'),
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
  })
  await server.initialize()
  const addressSpace = server.engine.addressSpace
  if (!addressSpace) throw new Error('no address space')
  addressSpace.getOwnNamespace().addVariable({
    organizedBy: addressSpace.rootFolder.objects,
    browseName: 'Setpoint',
    nodeId: 's=setpoint',
    dataType: 'Double',
    minimumSamplingInterval: 50,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: {
      get: () => new Variant({ dataType: DataType.Double, value: setpoint }),
      set: (variant: Variant) => {
        setpoint = variant.value as number
        written.push(setpoint)
        return StatusCodes.Good
      },
    },
  })
  await server.start()
  const capabilities = server.engine.serverCapabilities
  const maxSessions = capabilities.maxSessions
  return {
    port,
    written,
    forgetSessions: () => {
      // CreateSession answers BadTooManySessions while the limit is 0 (Part 4 §5.6.2).
      capabilities.maxSessions = 0
      for (const session of server.engine.getSessions())
        server.engine.closeSession(session.authenticationToken, true, 'Terminated')
    },
    acceptSessions: () => {
      capabilities.maxSessions = maxSessions
    },
    dispose: () => server.shutdown(0),
  }
}

const setpoint: Tag = { id: 'plc.setpoint', source: 'ua-2', nodeId: 'ns=1;s=setpoint', unit: '' }

describe('OPC UA writes that get no answer', () => {
  const plcs: SetpointPlc[] = []
  // Registered before the harness's hooks, so it runs after them: drivers go before their server.
  afterEach(async () => {
    await Promise.all(plcs.splice(0).map((plc) => plc.dispose()))
  })
  const harness = useOpcUaHarness('opcua-write')
  const startPlc = async (): Promise<SetpointPlc> => {
    const plc = await startSetpointPlc(await findFreePort(), join(harness.folder(), 'plc-pki'))
    plcs.push(plc)
    return plc
  }

  it('never applies a write that timed out, though node-opcua would send it again once it has a session', async () => {
    const plc = await startPlc()
    const recorder = createRecorder()
    const driver = harness.startDriver(opcUaSource(plc.port), [setpoint], recorder)
    await waitFor('the setpoint', () => recorder.latest(setpoint.id)?.quality === 'good')
    expect(await driver.write(setpoint, 1)).toEqual({ ok: true, value: undefined })

    // The PLC forgets the console's session; the channel stays up. The write is answered
    // BadSessionIdInvalid, and node-opcua sets about making a new session to send it again in,
    // which the PLC refuses for now.
    plc.forgetSessions()
    const startedAt = Date.now()
    const unanswered = await driver.write(setpoint, 2)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4_900)
    expect(unanswered).toEqual({
      ok: false,
      error: {
        code: 'no-answer',
        message: `${setpoint.id}: no answer within 5 s; the server may or may not have applied it: read the value back before writing again`,
      },
    })
    // The connection that holds the write goes with it.
    await waitFor('the connection dropped', () => recorder.status()?.state === 'disconnected')
    expect(recorder.status()?.lastError).toBe('a write to ns=1;s=setpoint got no answer within 5 s')
    expect(recorder.latest(setpoint.id)?.quality).toBe('bad')

    // Sessions are welcome again: node-opcua's repair, retried every 2 s, would now succeed and
    // send the held write. The operator reads back, and writes again on the new connection.
    plc.acceptSessions()
    await waitFor(
      'connected again',
      () => recorder.status()?.state === 'connected' && recorder.latest(setpoint.id)?.value === 1,
      15_000,
    )
    expect(await driver.write(setpoint, 3)).toEqual({ ok: true, value: undefined })
    await sleep(3_000)
    expect(plc.written).toEqual([1, 3])
  }, 40_000)

  it('does not send a write whose data type arrives after the connection was closed', async () => {
    const plc = await startPlc()
    const relay = await startRelay(plc.port)
    try {
      const recorder = createRecorder()
      const driver = harness.startDriver(opcUaSource(relay.port), [setpoint], recorder)
      await waitFor('the setpoint', () => recorder.latest(setpoint.id)?.quality === 'good')

      // The first write to the node reads its DataType; the PLC's answer is held on the way.
      relay.stall()
      const pending = driver.write(setpoint, 4)
      await waitFor('the answer held', () => relay.held() > 0)
      // The console closes the source meanwhile, and the answer arrives.
      const disposal = driver.dispose()
      relay.resume()
      const result = await pending
      await disposal
      expect(result).toMatchObject({ ok: false, error: { code: 'not-connected' } })
      expect(result.ok ? '' : result.error.message).toMatch(/^plc\.setpoint: not written: /)
      expect(plc.written).toEqual([])
    } finally {
      await relay.close()
    }
  })
})
