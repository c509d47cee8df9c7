import { createConnection } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { ModbusTcpSource } from '../../src/shared/site/schema'
import { startSimulatorFor } from '../../src/sim'
import { createLivePlant } from '../../src/sim/live-plant'
import { startModbusSimServer } from '../../src/sim/modbus-server'
import { findFreePort } from '../support/ports'
import { waitFor } from '../support/wait-for'

// The simulator PLC met with raw Modbus TCP frames, byte for byte, as a master we did not write
// could send them: malformed writes are answered as the Modbus Application Protocol v1.1b3 says
// (§6.5, §6.11, §6.12: exception 3, once), and a simulated source answers on its own unit id.

const host = '127.0.0.1'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const hex = (bytes: Buffer): string => bytes.toString('hex').replace(/(..)(?!$)/g, '$1 ')

/** An MBAP header (transaction id, protocol 0, length) before the unit id and the PDU. */
function frame(transaction: number, unit: number, pdu: number[]): Buffer {
  const bytes = Buffer.alloc(7 + pdu.length)
  bytes.writeUInt16BE(transaction, 0)
  bytes.writeUInt16BE(1 + pdu.length, 4)
  bytes[6] = unit
  Buffer.from(pdu).copy(bytes, 7)
  return bytes
}

/** FC3, holding registers 0–1 (plant-001's header pressure). */
const readHeader = (transaction: number, unit = 1): Buffer =>
  frame(transaction, unit, [0x03, 0x00, 0x00, 0x00, 0x02])

/** A client that sends raw bytes and takes whole response frames, in order. */
async function connect(port: number) {
  const socket = createConnection({ host, port })
  cleanups.push(() => void socket.destroy())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let received = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
  })
  const whole = (): boolean =>
    received.length >= 6 && received.length >= 6 + received.readUInt16BE(4)
  return {
    send: (...frames: Buffer[]): void => void socket.write(Buffer.concat(frames)),
    /** The next response frame, as spaced hex. */
    next: async (): Promise<string> => {
      await waitFor('a response frame', whole, 2_000)
      const end = 6 + received.readUInt16BE(4)
      const response = received.subarray(0, end)
      received = received.subarray(end)
      return hex(response)
    },
  }
}

async function startSim() {
  const plant = createLivePlant({ seed: 5, clock: () => 0 })
  const sim = await startModbusSimServer({ host, port: 0, plant })
  cleanups.push(() => sim.dispose())
  return { plant, client: await connect(sim.port) }
}

const auto = 'plant-001.boiler-1.auto'
const headerSetpoint = 'plant-001.header.pressure-setpoint'

describe('simulator PLC: malformed writes', () => {
  it('refuses an FC5 value other than FF00 or 0000 with exception 3, and takes the two that are', async () => {
    const { plant, client } = await startSim()
    // Coil 100: boiler 1 in auto. modbus-serial alone would take 12 34 as "off".
    client.send(frame(1, 1, [0x05, 0x00, 0x64, 0x12, 0x34]))
    expect(await client.next()).toBe('00 01 00 00 00 03 01 85 03')
    client.send(frame(2, 1, [0x05, 0x00, 0x64, 0x00, 0x01]))
    expect(await client.next()).toBe('00 02 00 00 00 03 01 85 03')
    expect(plant.read(auto)).toBe(true)

    client.send(frame(3, 1, [0x05, 0x00, 0x64, 0x00, 0x00]))
    expect(await client.next()).toBe('00 03 00 00 00 06 01 05 00 64 00 00')
    expect(plant.read(auto)).toBe(false)
    client.send(frame(4, 1, [0x05, 0x00, 0x64, 0xff, 0x00]))
    expect(await client.next()).toBe('00 04 00 00 00 06 01 05 00 64 ff 00')
    expect(plant.read(auto)).toBe(true)
  })

  it('refuses FC15 and FC16 quantities of 0 or beyond the limit, and byte counts that disagree, with one exception 3', async () => {
    const { plant, client } = await startSim()
    const setpointBefore = plant.read(headerSetpoint)
    const zeros = (count: number): number[] => Array.from({ length: count }, () => 0)
    const malformed: Array<[string, number[]]> = [
      ['FC15 of no coil', [0x0f, 0x00, 0x64, 0x00, 0x00, 0x00]],
      ['FC15 of 1969 coils', [0x0f, 0x00, 0x00, 0x07, 0xb1, 247, ...zeros(247)]],
      ['FC15 of one coil in two bytes', [0x0f, 0x00, 0x64, 0x00, 0x01, 0x02, 0x00, 0x00]],
      ['FC16 of no register', [0x10, 0x00, 0x02, 0x00, 0x00, 0x00]],
      ['FC16 of 124 registers', [0x10, 0x00, 0x00, 0x00, 0x7c, 248, ...zeros(248)]],
      ['FC16 of two registers in two bytes', [0x10, 0x00, 0x02, 0x00, 0x02, 0x02, 0x41, 0x20]],
      ['FC16 of two registers in five bytes', [0x10, 0x00, 0x02, 0x00, 0x02, 0x04, 0, 0, 0, 0, 0]],
    ]
    let transaction = 0x10
    for (const [what, pdu] of malformed) {
      const function_ = (pdu[0] ?? 0) | 0x80
      // A read right behind it: its answer must be the next frame, so a second answer to the
      // malformed write would show.
      client.send(frame(transaction, 1, pdu), readHeader(transaction + 1))
      expect(await client.next(), what).toBe(hex(frame(transaction, 1, [function_, 0x03])))
      expect(await client.next(), what).toMatch(
        new RegExp(`^${hex(Buffer.from([0, transaction + 1]))} 00 00 00 07 01 03 04`),
      )
      transaction += 2
    }
    expect(plant.read(headerSetpoint)).toBe(setpointBefore)
    expect(plant.read(auto)).toBe(true)
  })

  it('answers other unit ids as a gateway with nothing behind them, malformed or not', async () => {
    const { client } = await startSim()
    client.send(frame(1, 7, [0x05, 0x00, 0x64, 0x12, 0x34]))
    expect(await client.next()).toBe('00 01 00 00 00 03 07 85 0b')
    client.send(readHeader(2, 7))
    expect(await client.next()).toBe('00 02 00 00 00 03 07 83 0b')
  })

  it('frames requests split over several segments and several in one', async () => {
    const { client } = await startSim()
    const request = readHeader(1)
    client.send(request.subarray(0, 4))
    await new Promise((resolve) => setTimeout(resolve, 50))
    client.send(request.subarray(4), readHeader(2), readHeader(3).subarray(0, 9))
    expect(await client.next()).toMatch(/^00 01 00 00 00 07 01 03 04/)
    expect(await client.next()).toMatch(/^00 02 00 00 00 07 01 03 04/)
    client.send(readHeader(3).subarray(9))
    expect(await client.next()).toMatch(/^00 03 00 00 00 07 01 03 04/)
  })
})

describe('simulated Modbus source', () => {
  it('answers on the unit id the site gives it', async () => {
    const source: ModbusTcpSource = {
      id: 'sim-plc-2',
      protocol: 'modbus-tcp',
      host,
      port: await findFreePort(),
      unitId: 2,
      pollMs: 1_000,
      timeoutMs: 1_000,
      simulated: true,
    }
    const simulator = await startSimulatorFor({ sources: [source], tags: [] })
    cleanups.push(() => simulator.dispose())
    const client = await connect(source.port)
    client.send(readHeader(1, 2))
    expect(await client.next()).toMatch(/^00 01 00 00 00 07 02 03 04/)
    client.send(readHeader(2, 1))
    expect(await client.next()).toBe('00 02 00 00 00 03 01 83 0b')
  })
})
