import { SerialPort } from 'serialport'
import { encodeBits, encodeRegisters, removeScale } from '../shared/field/codec'
import { simAddressCount, simModbusMap, type SimModbusEntry } from './modbus-server'
import type { PlantReader } from './live-plant'

// Several Modbus RTU slaves on one serial line (an RS-485 bus), one per unit id, each serving the
// same map as the TCP simulator (simModbusMap) with its own values, so a test can tell the units
// apart. In tests the line is a pseudo-terminal pair made by socat.
//
// Hand-written rather than modbus-serial's ServerSerial because ServerSerial (8.0.25) overwrites
// the CRC of every request with its own (so it never rejects a corrupted frame), cuts frames by a
// 30 ms silence timer (so two requests sent back to back arrive as one buffer and the second is
// lost, which is exactly what our "one request on the wire" test must see), and console.logs.

/**
 * Unit n serves every numeric engineering value plus (n − 1) × this, so the units read differently
 * though they share one plant. Flags are the same on every unit.
 */
export const simRtuUnitStep = 100

/** The engineering value unit `unitId` serves for a map entry, given the plant's reading of it. */
export function simRtuValue(
  entry: SimModbusEntry,
  unitId: number,
  plant: PlantReader,
): number | boolean {
  if (entry.pointId === null) return entry.fixed ?? 0
  const value = plant.read(entry.pointId)
  return typeof value === 'boolean' ? value : value + (unitId - 1) * simRtuUnitStep
}

export type ModbusRtuSimOptions = {
  /** The serial device, e.g. one end of a socat pty pair. */
  path: string
  /** The slaves on this line; requests to other unit ids get no answer, as on a real bus. */
  unitIds: readonly number[]
  plant: PlantReader
  /** Meaningless on a pty, but a real port needs it. */
  baudRate?: number
  /** How long a slave takes to answer: long enough that a second request sent early would overlap. */
  answerDelayMs?: number
}

export type ModbusRtuSimStats = {
  /** Well-formed requests seen, for any unit id. */
  requests: number
  /** Requests per unit id. */
  byUnit: Record<number, number>
  /** Requests that arrived while an earlier one was still unanswered: must stay 0 on one bus. */
  overlaps: number
  /** Bytes dropped because they did not make a frame with a valid CRC. */
  droppedBytes: number
}

export type ModbusRtuSimServer = {
  path: string
  stats: () => ModbusRtuSimStats
  /** Fault injection: the next answer from `unitId` is sent `delayMs` late (a sluggish device). */
  delayNextAnswer: (unitId: number, delayMs: number) => void
  dispose: () => Promise<void>
}

/** Modbus Application Protocol v1.1b3 §7: exception codes this slave answers with. */
const illegalFunction = 0x01
const illegalDataAddress = 0x02
const illegalDataValue = 0x03
/** Requests for function codes 1–6 are 8 bytes: unit, function, address, quantity, CRC. */
const requestLength = 8
/**
 * Modbus over Serial Line v1.02 §2.5.1.1: a silence of 3.5 characters ends a frame. On a pty there
 * are no character times, so a partial frame older than this is dropped instead.
 */
const frameGapMs = 50

/** Modbus over Serial Line v1.02 §6.2.2: CRC-16 (polynomial 0xA001 reflected, start 0xFFFF). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1
  }
  return crc
}

/** Appends the CRC, low byte first (Modbus over Serial Line v1.02 §2.5.1.2). */
function withCrc(bytes: number[]): Buffer {
  const crc = crc16(Uint8Array.from(bytes))
  return Buffer.from([...bytes, crc & 0xff, crc >> 8])
}

export async function startModbusRtuSimServer(
  options: ModbusRtuSimOptions,
): Promise<ModbusRtuSimServer> {
  const { path, plant, baudRate = 19200, answerDelayMs = 3 } = options
  const units = new Set(options.unitIds)
  const stats: ModbusRtuSimStats = { requests: 0, byUnit: {}, overlaps: 0, droppedBytes: 0 }
  const lateAnswers = new Map<number, number>()
  const timers = new Set<NodeJS.Timeout>()
  let unanswered = 0
  let received = Buffer.alloc(0)
  let lastByteAt = 0
  let closed = false

  const port = new SerialPort({ path, baudRate, autoOpen: false })
  // A vanished line (the pty's other end gone) must not take the simulator down.
  port.on('error', () => {})
  port.on('close', () => {
    closed = true
  })

  const registersOf = (
    unitId: number,
    table: 'holding' | 'input',
    start: number,
    count: number,
  ): number[] => {
    const image = new Map<number, number>()
    for (const entry of simModbusMap) {
      if (entry.address.table !== table) continue
      const value = simRtuValue(entry, unitId, plant)
      const raw = typeof value === 'boolean' ? value : removeScale(value, entry.scale)
      encodeRegisters(entry.address, raw).forEach((word, index) =>
        image.set(entry.address.offset + index, word),
      )
    }
    return Array.from({ length: count }, (_, index) => image.get(start + index) ?? 0)
  }

  const bitsOf = (unitId: number, table: 'coil' | 'discrete', start: number, count: number) =>
    Array.from({ length: count }, (_, index) => {
      const entry = simModbusMap.find(
        (candidate) =>
          candidate.address.table === table && candidate.address.offset === start + index,
      )
      if (!entry) return false
      const value = simRtuValue(entry, unitId, plant)
      return encodeBits(entry.address, typeof value === 'boolean' ? value : value !== 0)[0] ?? false
    })

  /** The response PDU (function code onwards) to one request (§6.1–§6.4, §7). */
  const answer = (unitId: number, code: number, start: number, count: number): number[] => {
    const refuse = (exception: number): number[] => [code | 0x80, exception]
    if (code < 1 || code > 4) return refuse(illegalFunction)
    const bitRead = code <= 2
    if (count < 1 || count > (bitRead ? 2000 : 125)) return refuse(illegalDataValue)
    if (start + count > simAddressCount) return refuse(illegalDataAddress)
    if (bitRead) {
      const bits = bitsOf(unitId, code === 1 ? 'coil' : 'discrete', start, count)
      const bytes = Array.from({ length: Math.ceil(count / 8) }, (_, byte) =>
        bits
          .slice(byte * 8, byte * 8 + 8)
          .reduce((value, bit, index) => (bit ? value | (1 << index) : value), 0),
      )
      return [code, bytes.length, ...bytes]
    }
    const words = registersOf(unitId, code === 3 ? 'holding' : 'input', start, count)
    return [code, words.length * 2, ...words.flatMap((word) => [word >> 8, word & 0xff])]
  }

  const handle = (frame: Buffer): void => {
    const unitId = frame[0] as number
    const code = frame[1] as number
    stats.requests++
    stats.byUnit[unitId] = (stats.byUnit[unitId] ?? 0) + 1
    if (unanswered > 0) stats.overlaps++
    // Modbus over Serial Line v1.02 §2.2: only the addressed slave answers; broadcast (0) gets none.
    if (!units.has(unitId)) return
    unanswered++
    const pdu = answer(unitId, code, frame.readUInt16BE(2), frame.readUInt16BE(4))
    const late = lateAnswers.get(unitId) ?? 0
    lateAnswers.delete(unitId)
    const timer = setTimeout(() => {
      timers.delete(timer)
      unanswered--
      if (!closed) port.write(withCrc([unitId, ...pdu]))
    }, answerDelayMs + late)
    timers.add(timer)
  }

  port.on('data', (data: Buffer) => {
    const now = Date.now()
    if (received.length > 0 && now - lastByteAt > frameGapMs) {
      stats.droppedBytes += received.length
      received = Buffer.alloc(0)
    }
    lastByteAt = now
    received = Buffer.concat([received, data])
    while (received.length >= requestLength) {
      const frame = received.subarray(0, requestLength)
      if (frame.readUInt16LE(requestLength - 2) !== crc16(frame.subarray(0, requestLength - 2))) {
        // Not a frame start: slide by one byte until a valid frame lines up.
        stats.droppedBytes++
        received = received.subarray(1)
        continue
      }
      received = received.subarray(requestLength)
      handle(Buffer.from(frame))
    }
  })

  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  )

  let disposal: Promise<void> | null = null
  return {
    path,
    stats: () => ({ ...stats, byUnit: { ...stats.byUnit } }),
    delayNextAnswer: (unitId, delayMs) => void lateAnswers.set(unitId, delayMs),
    dispose: () => {
      disposal ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        if (closed || !port.isOpen) resolve()
        else port.close(() => resolve())
      })
      return disposal
    },
  }
}
