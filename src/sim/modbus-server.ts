import type { Server, Socket } from 'node:net'
import { ServerTCP } from 'modbus-serial'
import {
  applyScale,
  decodeRegisters,
  encodeBits,
  encodeRegisters,
  registerCount,
  removeScale,
  type Scale,
} from '../shared/field/codec'
import { assertNever } from '../shared/result'
import type { ModbusAddress } from '../shared/site/schema'
import type { PlantReader } from './live-plant'
import { siteLayout, type EndpointCause } from './process'

// A Modbus TCP PLC for one plant (plant-001 on the demo site), serving the process model (DESIGN.md
// §1: PLCs are simulated on 127.0.0.1). Values are read when a request arrives, so a poll sees the
// plant as it is now; writes go to the plant, which refuses what a real controller would.

export type SimModbusEntry = {
  /** The tag id the demo site gives this address (the model's point id). */
  tagId: string
  address: ModbusAddress
  /** The model point served here, or null for a fixed state the model does not simulate. */
  pointId: string | null
  /** Served when pointId is null. */
  fixed?: boolean | number
  /** How the site turns the raw value into engineering units: raw * factor + offset. */
  scale: Scale
  unit: string
}

// ---- register map ---------------------------------------------------------------------------
//
// The PLC program gives every unit a base address and lays out units of one kind alike, as PLC
// programmers do for repeated equipment: boiler 2's firing rate setpoint is where boiler 1's is,
// 20 registers on. Addresses are 0-based protocol addresses (mbpoll -0, or add 1 for "40001"-style
// references). The same base holds in every table.
//
//   unit                             base             floats sent as
//   steam header, distribution       0                CDAB: the plant PLC sends the low word first
//   boiler n (1–5)                   100 + 20·(n−1)   ABCD: each boiler's combustion controller
//   consumer k (1–10, layout order)  200 + 10·(k−1)   CDAB: the plant PLC
//
// Offsets from the base. Holding registers are float32 (two registers each) in the unit's word
// order, read with FC3; RW ones are written with FC16. Input registers are int16 in tenths of a °C
// (FC4), as the PLC's temperature cards deliver them. Coils are read with FC1 and written with
// FC5/FC15; discrete inputs are read with FC2.
//
//   table     +   header                     boiler                        consumer
//   holding   0   pressure, bar              drum pressure, bar            valve position, % (RW)
//   holding   2   pressure setpoint, bar RW  firing rate, %                steam flow, t/h
//   holding   4   steam flow, t/h            firing rate setpoint, % (RW)  steam demand, t/h
//   holding   6   distribution deviation, %  steam flow, t/h
//   holding   8                              combustion stability, 0–1
//   input     0   temperature, 0.1 °C        flue gas temperature, 0.1 °C  supply temperature, 0.1 °C
//   coil      0                              1 auto / 0 manual (RW)
//   coil      1                              tripped; write 0 to reset
//   discrete  0                              flame on (running)
//   discrete  1                              fuel available
//
// site.distribution-deviation is not served: it is the worst of all three plants, which no PLC of
// one plant knows.

/** One point of a unit, at its offset from the unit's base. */
type UnitPoint = {
  /** The point id after the unit's prefix: `pressure` for `plant-001.boiler-1.pressure`. */
  point: string
  table: ModbusAddress['table']
  offset: number
  unit: string
}

type UnitKind = {
  /** Where the first unit of this kind starts, how far apart the units are, how many fit. */
  base: number
  stride: number
  capacity: number
  floatOrder: 'ABCD' | 'CDAB'
  points: readonly UnitPoint[]
}

const header: UnitKind = {
  base: 0,
  stride: 0,
  capacity: 1,
  floatOrder: 'CDAB',
  // The header's prefix is the plant itself: the distribution deviation is a plant-wide figure.
  points: [
    { point: 'header.pressure', table: 'holding', offset: 0, unit: 'bar' },
    { point: 'header.pressure-setpoint', table: 'holding', offset: 2, unit: 'bar' },
    { point: 'header.steam-flow', table: 'holding', offset: 4, unit: 't/h' },
    { point: 'distribution-deviation', table: 'holding', offset: 6, unit: '%' },
    { point: 'header.temperature', table: 'input', offset: 0, unit: '°C' },
  ],
}

const boiler: UnitKind = {
  base: 100,
  stride: 20,
  capacity: 5,
  floatOrder: 'ABCD',
  points: [
    { point: 'pressure', table: 'holding', offset: 0, unit: 'bar' },
    { point: 'firing-rate', table: 'holding', offset: 2, unit: '%' },
    { point: 'firing-rate-setpoint', table: 'holding', offset: 4, unit: '%' },
    { point: 'steam-flow', table: 'holding', offset: 6, unit: 't/h' },
    { point: 'combustion-stability', table: 'holding', offset: 8, unit: '' },
    { point: 'flue-temperature', table: 'input', offset: 0, unit: '°C' },
    { point: 'auto', table: 'coil', offset: 0, unit: '' },
    { point: 'tripped', table: 'coil', offset: 1, unit: '' },
    { point: 'running', table: 'discrete', offset: 0, unit: '' },
    { point: 'fuel-available', table: 'discrete', offset: 1, unit: '' },
  ],
}

const consumer: UnitKind = {
  base: 200,
  stride: 10,
  capacity: 10,
  floatOrder: 'CDAB',
  points: [
    { point: 'valve', table: 'holding', offset: 0, unit: '%' },
    { point: 'steam-flow', table: 'holding', offset: 2, unit: 't/h' },
    { point: 'demand', table: 'holding', offset: 4, unit: 't/h' },
    { point: 'supply-temperature', table: 'input', offset: 0, unit: '°C' },
  ],
}

/** Every table answers addresses 0–299; anything else is exception 2, as a real PLC would. */
export const simAddressCount = 300

const unscaled: Scale = { factor: 1, offset: 0 }
const tenths: Scale = { factor: 0.1, offset: 0 }

function entriesOf(kind: UnitKind, index: number, prefix: string): SimModbusEntry[] {
  const base = kind.base + kind.stride * index
  return kind.points.map(({ point, table, offset, unit }) => {
    const pointId = `${prefix}${point}`
    const at = base + offset
    switch (table) {
      case 'holding':
        return {
          tagId: pointId,
          pointId,
          address: { table, offset: at, type: 'float32', order: kind.floatOrder },
          scale: unscaled,
          unit,
        }
      case 'input':
        return {
          tagId: pointId,
          pointId,
          address: { table, offset: at, type: 'int16', order: 'ABCD' },
          scale: tenths,
          unit,
        }
      case 'coil':
      case 'discrete':
        return {
          tagId: pointId,
          pointId,
          address: { table, offset: at, type: 'bool', order: 'ABCD' },
          scale: unscaled,
          unit,
        }
      default:
        return assertNever(table, 'table')
    }
  })
}

/** The register map of one plant's PLC (see the tables above). */
export function simModbusMapFor(plantId: string): SimModbusEntry[] {
  const plant = siteLayout.plants.find((candidate) => candidate.id === plantId)
  if (!plant) throw new Error(`The simulator has no plant "${plantId}"`)
  const room = (kind: UnitKind, count: number, what: string): void => {
    if (count > kind.capacity) {
      throw new Error(
        `${plantId} has ${count} ${what}; the register map has room for ${kind.capacity}`,
      )
    }
  }
  room(boiler, plant.boilers.length, 'boilers')
  room(consumer, plant.consumers.length, 'consumers')
  return [
    ...entriesOf(header, 0, `${plantId}.`),
    ...plant.boilers.flatMap((unit, index) => entriesOf(boiler, index, `${plantId}.${unit.id}.`)),
    ...plant.consumers.flatMap((unit, index) =>
      entriesOf(consumer, index, `${plantId}.${unit.id}.`),
    ),
  ]
}

/** Plant 001's map: the demo site reads plant 001 over Modbus TCP. */
export const simModbusMap: readonly SimModbusEntry[] = simModbusMapFor('plant-001')

// ---- server ---------------------------------------------------------------------------------

/** Modbus Application Protocol v1.1b3 §7: exception codes this PLC answers with. */
const illegalDataAddress = 0x02
const illegalDataValue = 0x03
/** 11: gateway target device failed to respond. */
const gatewayTargetFailed = 0x0b

/** §6.11 and §6.12: the most coils (FC15) and registers (FC16) one request may write. */
const maxCoilsPerWrite = 0x07b0
const maxRegistersPerWrite = 0x007b
/** Modbus TCP's MBAP header before the unit id: transaction id, protocol id, length. */
const mbapLength = 6

export type ModbusSimServerOptions = {
  host?: string
  /** 0 picks a free port; the handle reports the real one. */
  port: number
  plant: PlantReader
  /** The plant this PLC serves, for its register map and its protocol faults. */
  plantId?: string
  unitId?: number
}

export type ModbusSimServer = {
  host: string
  port: number
  /** Open client connections, so tests can see a client let go. */
  connectionCount: () => number
  dispose: () => Promise<void>
}

/** modbus-serial turns a thrown object with modbusErrorCode into an exception response. */
function refuse(code: number): never {
  throw { modbusErrorCode: code }
}

/**
 * What the network in front of the PLC does with traffic while a protocol fault is active:
 * - answer: the plant is healthy.
 * - ignore (source-down): the PLC is off or its network is gone. Requests get no reply, so clients
 *   time out. Connections stay open, as they would with nothing left to close them, and new ones
 *   are accepted but never answered: user space cannot drop a SYN, and for a client a connect that
 *   times out and a first request that times out mean the same.
 * - drop (link-flap, plc-restart): open connections are reset and new ones reset at once, as by a
 *   PLC whose TCP stack restarted and knows none of them, until the link is back.
 */
type Gate = 'answer' | 'ignore' | 'drop'

function gateFor(cause: EndpointCause): Gate {
  switch (cause) {
    case 'source-down':
      return 'ignore'
    case 'link-flap':
    case 'plc-restart':
      return 'drop'
    default:
      return assertNever(cause, 'endpoint cause')
  }
}

/**
 * Whether a write request's data field is one the spec answers with exception 3 before any address
 * is looked at (Modbus Application Protocol v1.1b3 §6.5, §6.11, §6.12): an FC5 value other than
 * FF00 (on) or 0000 (off), an FC15 or FC16 quantity outside 1–1968 or 1–123, or a byte count that
 * does not match the quantity. modbus-serial 8.0.25 takes any FC5 value but FF00 as off, answers a
 * quantity of 0 with exception 2 and then runs the write anyway (a second answer), and never looks
 * at the byte count (a frame too short for its quantity goes unanswered). `pdu` starts at the
 * function code.
 */
function illegalWriteValue(pdu: Buffer): boolean {
  const functionCode = pdu[0]
  if (functionCode === 0x05) {
    if (pdu.length !== 5) return true
    const value = pdu.readUInt16BE(3)
    return value !== 0xff00 && value !== 0x0000
  }
  if (functionCode !== 0x0f && functionCode !== 0x10) return false
  if (pdu.length < 6) return true
  const quantity = pdu.readUInt16BE(3)
  const byteCount = pdu[5]
  const [max, bytes] =
    functionCode === 0x0f
      ? [maxCoilsPerWrite, Math.ceil(quantity / 8)]
      : [maxRegistersPerWrite, quantity * 2]
  return quantity < 1 || quantity > max || byteCount !== bytes || pdu.length !== 6 + bytes
}

export async function startModbusSimServer(
  options: ModbusSimServerOptions,
): Promise<ModbusSimServer> {
  const { host = '127.0.0.1', port, plant, plantId = 'plant-001', unitId = 1 } = options
  const map = simModbusMapFor(plantId)
  const writable = new Set(
    plant
      .points()
      .filter((point) => point.writable)
      .map((point) => point.id),
  )
  const inTable = (table: ModbusAddress['table']) =>
    map.filter((entry) => entry.address.table === table)
  const registerEntries = { holding: inTable('holding'), input: inTable('input') }
  const bitEntries = {
    coil: new Map(inTable('coil').map((entry) => [entry.address.offset, entry])),
    discrete: new Map(inTable('discrete').map((entry) => [entry.address.offset, entry])),
  }

  const check = (start: number, length: number, requestUnit: number): void => {
    // Behave like a gateway with one device behind it: other unit ids get a clear exception.
    if (requestUnit !== unitId) refuse(gatewayTargetFailed)
    if (start < 0 || length < 1 || start + length > simAddressCount) refuse(illegalDataAddress)
  }

  const valueOf = (entry: SimModbusEntry) =>
    entry.pointId === null ? (entry.fixed ?? 0) : plant.read(entry.pointId)

  // Registers that hold no value read as 0, as PLC memory does, so block reads across gaps work.
  const wordsAt = (
    table: 'holding' | 'input',
    start: number,
    length: number,
    requestUnit: number,
  ): number[] => {
    check(start, length, requestUnit)
    const image = new Map<number, number>()
    for (const entry of registerEntries[table]) {
      const { offset } = entry.address
      if (offset + registerCount(entry.address) <= start || offset >= start + length) continue
      const value = valueOf(entry)
      const raw = typeof value === 'boolean' ? value : removeScale(value, entry.scale)
      encodeRegisters(entry.address, raw).forEach((word, index) => image.set(offset + index, word))
    }
    return Array.from({ length }, (_, index) => image.get(start + index) ?? 0)
  }

  const bitAt = (table: 'coil' | 'discrete', offset: number, requestUnit: number): boolean => {
    check(offset, 1, requestUnit)
    const entry = bitEntries[table].get(offset)
    if (!entry) return false
    const state = valueOf(entry)
    return encodeBits(entry.address, typeof state === 'boolean' ? state : state !== 0)[0] ?? false
  }

  const isWritable = (entry: SimModbusEntry): entry is SimModbusEntry & { pointId: string } =>
    entry.pointId !== null && writable.has(entry.pointId)

  /** The plant has the last word on a value (range, type, auto/manual): a refusal is exception 3. */
  const writePoint = (pointId: string, value: number | boolean): void => {
    if (!plant.write(pointId, value).ok) refuse(illegalDataValue)
  }

  /**
   * FC6 and FC16. Every register written must belong to a whole writable value: a gap, a
   * measurement or one half of a float32 is not an address that can be written on its own
   * (exception 2, before any value is looked at). Half a float is refused rather than latched
   * because a setpoint made of one new and one old word is a wrong setpoint, for a moment or for
   * good if the other half never comes: a client writes a float32 with one FC16 of both registers.
   * An FC16 that spans several values writes them in address order and stops at the first the
   * plant refuses (exception 3); the ones before it stay written, as on a PLC that copies the
   * request into memory register by register.
   */
  const writeRegisters = (start: number, words: number[], requestUnit: number): void => {
    check(start, words.length, requestUnit)
    const end = start + words.length
    const targets = registerEntries.holding.filter(
      (entry) =>
        entry.address.offset < end && entry.address.offset + registerCount(entry.address) > start,
    )
    const writes = targets.map((entry) => {
      const count = registerCount(entry.address)
      const whole = entry.address.offset >= start && entry.address.offset + count <= end
      if (!whole || !isWritable(entry)) refuse(illegalDataAddress)
      const raw = decodeRegisters(entry.address, words.slice(entry.address.offset - start))
      return { pointId: entry.pointId, value: applyScale(raw, entry.scale), count }
    })
    if (writes.reduce((sum, write) => sum + write.count, 0) !== words.length) {
      refuse(illegalDataAddress)
    }
    for (const { pointId, value } of writes) {
      if (typeof value === 'string') refuse(illegalDataValue)
      writePoint(pointId, value)
    }
  }

  /**
   * FC5, and FC15 one coil at a time: modbus-serial 8.0.25 calls setCoil per coil for FC15 (its
   * setCoilArray path answers before the write is known), so a refused coil answers an exception
   * while the other coils of that request still take effect.
   */
  const writeCoil = (offset: number, state: boolean, requestUnit: number): void => {
    check(offset, 1, requestUnit)
    const entry = bitEntries.coil.get(offset)
    if (!entry || !isWritable(entry)) refuse(illegalDataAddress)
    writePoint(entry.pointId, state)
  }

  // ServerTCP treats port 0 as "unset" and listens on 502; Node takes the string '0' as "any free
  // port", which is what we mean. Every handler takes no callback, so a throw is an exception reply.
  const server = new ServerTCP(
    {
      getHoldingRegister: (address: number, unit: number) =>
        wordsAt('holding', address, 1, unit)[0] ?? 0,
      getMultipleHoldingRegisters: (address: number, length: number, unit: number) =>
        wordsAt('holding', address, length, unit),
      getInputRegister: (address: number, unit: number) =>
        wordsAt('input', address, 1, unit)[0] ?? 0,
      getMultipleInputRegisters: (address: number, length: number, unit: number) =>
        wordsAt('input', address, length, unit),
      getCoil: (address: number, unit: number) => bitAt('coil', address, unit),
      getDiscreteInput: (address: number, unit: number) => bitAt('discrete', address, unit),
      setRegister: (address: number, value: number, unit: number) =>
        writeRegisters(address, [value], unit),
      setRegisterArray: (address: number, values: number[], unit: number) =>
        writeRegisters(address, values, unit),
      setCoil: (address: number, state: boolean, unit: number) => writeCoil(address, state, unit),
    },
    // 255 answers every unit id, so the check above decides.
    { host, port: (port === 0 ? '0' : port) as number, unitID: 255 },
  )
  const netServer = (server as unknown as { _server: Server })._server

  // The plant's protocol faults act on the wire in front of ServerTCP's frame parser. Like the
  // plant, the server keeps no timer: it looks at the fault when a client connects or speaks, which
  // for a polling client is within one poll.
  const gate = (): Gate => {
    const status = plant.endpointStatus(plantId)
    return status.answering ? 'answer' : gateFor(status.cause)
  }
  const dropAll = (): void => {
    for (const socket of server.socks.keys()) socket.resetAndDestroy()
  }
  /**
   * Hands ServerTCP the whole frames in `received` (framed as it frames them: MBAP length, then
   * that many bytes), answering a write with an illegal data value itself; keeps the rest.
   */
  const passFrames = (
    socket: Socket,
    received: Buffer,
    parsers: ((data: Buffer) => void)[],
  ): Buffer => {
    let rest = received
    while (rest.length > mbapLength) {
      const end = mbapLength + rest.readUInt16BE(4)
      if (rest.length < end) break
      const frame = rest.subarray(0, end)
      rest = rest.subarray(end)
      const requestUnit = frame[mbapLength] ?? 0
      const pdu = frame.subarray(mbapLength + 1)
      if (pdu.length > 0 && illegalWriteValue(pdu)) {
        // Other unit ids meet the gateway's answer, as every request to them does (see check).
        const code = requestUnit === unitId ? illegalDataValue : gatewayTargetFailed
        // The request's transaction id, protocol 0, 3 bytes: unit id, function code | 80h, code.
        const exception = Buffer.from([0, 0, 0, 0, 0, 3, requestUnit, 0x80 | (pdu[0] ?? 0), code])
        frame.copy(exception, 0, 0, 2)
        // ServerTCP answers a tick after a frame arrives; so does this, keeping answers in the
        // order of their requests.
        setTimeout(() => {
          if (!socket.destroyed) socket.write(exception)
        }, 0)
        continue
      }
      for (const parse of parsers) parse.call(socket, frame)
    }
    return rest
  }
  netServer.on('connection', (socket: Socket) => {
    // ServerTCP's own 'connection' listener ran first and attached its parser; put the gate before it.
    const parsers = socket.listeners('data') as ((data: Buffer) => void)[]
    socket.removeAllListeners('data')
    // Only whole frames reach the parser, so each can be judged first.
    let received: Buffer = Buffer.alloc(0)
    socket.on('data', (data: Buffer) => {
      const verdict = gate()
      switch (verdict) {
        case 'answer':
          received = passFrames(socket, Buffer.concat([received, data]), parsers)
          return
        case 'ignore':
          return
        case 'drop':
          dropAll()
          return
        default:
          assertNever(verdict, 'gate')
      }
    })
    if (gate() === 'drop') socket.resetAndDestroy()
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (error: unknown): void => {
      server.removeListener('initialized', onReady)
      reject(error instanceof Error ? error : new Error(String(error)))
    }
    const onReady = (): void => {
      server.removeListener('serverError', onError)
      resolve()
    }
    server.once('initialized', onReady)
    server.once('serverError', onError)
  })
  // A socket error on one client (a reset, say) must not take the simulator down.
  server.on('socketError', () => {})
  server.on('serverError', () => {})

  const bound = netServer.address()
  const boundPort = typeof bound === 'object' && bound ? bound.port : port

  let disposal: Promise<void> | null = null
  return {
    host,
    port: boundPort,
    connectionCount: () => server.socks.size,
    dispose: () => {
      disposal ??= new Promise<void>((resolve) => server.close(() => resolve()))
      return disposal
    },
  }
}
