import type { Server } from 'node:net'
import { ServerTCP } from 'modbus-serial'
import { encodeBits, encodeRegisters, removeScale, type Scale } from '../shared/field/codec'
import type { ModbusAddress } from '../shared/site/schema'
import type { PlantReader } from './live-plant'

// A Modbus TCP PLC for plant-001, serving the process model (DESIGN.md §1: PLCs are simulated on
// 127.0.0.1). Values are read when a request arrives, so a poll sees the plant as it is now.

export type SimModbusEntry = {
  /** The tag id the demo site gives this address. */
  tagId: string
  address: ModbusAddress
  /** The model point served here, or null for a fixed state the model does not simulate yet. */
  pointId: string | null
  /** Served when pointId is null. */
  fixed?: boolean | number
  /** How the site turns the raw value into engineering units: raw * factor + offset. */
  scale: Scale
  unit: string
}

const register = (
  table: 'holding' | 'input',
  offset: number,
  type: ModbusAddress['type'],
  order = 'ABCD',
): ModbusAddress => ({ table, offset, type, order })

const unscaled: Scale = { factor: 1, offset: 0 }

export const simModbusMap: readonly SimModbusEntry[] = [
  {
    tagId: 'plant-001.boiler-1.pressure',
    address: register('holding', 100, 'float32'),
    pointId: 'plant-001.boiler-1.pressure',
    scale: unscaled,
    unit: 'bar',
  },
  {
    tagId: 'plant-001.boiler-1.firing-rate',
    address: register('holding', 102, 'float32', 'CDAB'),
    pointId: 'plant-001.boiler-1.firing-rate',
    scale: unscaled,
    unit: '%',
  },
  {
    tagId: 'plant-001.boiler-2.pressure',
    address: register('holding', 104, 'float32'),
    pointId: 'plant-001.boiler-2.pressure',
    scale: unscaled,
    unit: 'bar',
  },
  {
    tagId: 'plant-001.header.pressure',
    address: register('holding', 110, 'float32'),
    pointId: 'plant-001.header.pressure',
    scale: unscaled,
    unit: 'bar',
  },
  {
    // Many PLCs publish temperatures as tenths in an int16.
    tagId: 'plant-001.header.temperature',
    address: register('input', 0, 'int16'),
    pointId: 'plant-001.header.temperature',
    scale: { factor: 0.1, offset: 0 },
    unit: '°C',
  },
  {
    tagId: 'plant-001.boiler-1.running',
    address: { table: 'coil', offset: 0, type: 'bool', order: 'ABCD' },
    pointId: 'plant-001.boiler-1.running',
    scale: unscaled,
    unit: '',
  },
]

/** Every table answers addresses 0–199; anything else is exception 2, as a real PLC would. */
export const simAddressCount = 200

/** Modbus Application Protocol v1.1b3 §7: illegal data address; 11: gateway target did not respond. */
const illegalDataAddress = 0x02
const gatewayTargetFailed = 0x0b

export type ModbusSimServerOptions = {
  host?: string
  /** 0 picks a free port; the handle reports the real one. */
  port: number
  plant: PlantReader
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

export async function startModbusSimServer(
  options: ModbusSimServerOptions,
): Promise<ModbusSimServer> {
  const { host = '127.0.0.1', port, plant, unitId = 1 } = options

  const check = (start: number, length: number, requestUnit: number): void => {
    // Behave like a gateway with one device behind it: other unit ids get a clear exception.
    if (requestUnit !== unitId) refuse(gatewayTargetFailed)
    if (start < 0 || length < 1 || start + length > simAddressCount) refuse(illegalDataAddress)
  }

  const wordsAt = (
    table: 'holding' | 'input',
    start: number,
    length: number,
    requestUnit: number,
  ): number[] => {
    check(start, length, requestUnit)
    const image = new Map<number, number>()
    for (const entry of simModbusMap) {
      if (entry.address.table !== table) continue
      const value = entry.pointId === null ? (entry.fixed ?? 0) : plant.read(entry.pointId)
      const raw = typeof value === 'boolean' ? value : removeScale(value, entry.scale)
      encodeRegisters(entry.address, raw).forEach((word, index) =>
        image.set(entry.address.offset + index, word),
      )
    }
    return Array.from({ length }, (_, index) => image.get(start + index) ?? 0)
  }

  const bitAt = (table: 'coil' | 'discrete', offset: number, requestUnit: number): boolean => {
    check(offset, 1, requestUnit)
    const entry = simModbusMap.find(
      (candidate) => candidate.address.table === table && candidate.address.offset === offset,
    )
    if (!entry) return false
    const state = entry.pointId === null ? (entry.fixed ?? false) : plant.read(entry.pointId)
    return encodeBits(entry.address, typeof state === 'boolean' ? state : state !== 0)[0] ?? false
  }

  // ServerTCP treats port 0 as "unset" and listens on 502; Node takes the string '0' as "any free
  // port", which is what we mean.
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
    },
    // 255 answers every unit id, so the check above decides.
    { host, port: (port === 0 ? '0' : port) as number, unitID: 255 },
  )
  const netServer = (server as unknown as { _server: Server })._server

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
