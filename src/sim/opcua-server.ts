import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  standardUnits,
  type EUInformation,
  type StatusCode,
  type UAObject,
} from 'node-opcua'
import { every, systemScheduler, type Scheduler } from '../shared/scheduler'
import type { PlantPoint, PlantReader } from './live-plant'
import type { EndpointStatus } from './process'

// A simulated OPC UA server: what a real boiler-house PLC or gateway would expose for its plants,
// served on loopback for the demo site, drills and integration tests. Setpoints and mode flags are
// writable, as on a PLC an operator may take to manual; the protocol faults of the plant model
// (a PLC restart, a control network that is down) take the server down and bring it back.

export type OpcUaSimServerOptions = {
  /** A concrete TCP port (node-opcua does not handle port 0 well; see test/support/ports.ts). */
  port: number
  plant: PlantReader
  /**
   * The plants this server stands for, as one PLC or gateway: it serves their points, and a
   * protocol fault on any of them takes the whole server down. Defaults to plant-002 and
   * plant-003, the plants the demo site reads over OPC UA.
   */
  plants?: readonly string[]
  /** The address to listen on and to name in the endpoint URL. Loopback unless told otherwise. */
  host?: string
  /** Where the server keeps its certificate; by default one temporary folder per process. */
  pkiDir?: string
  /**
   * Accounts that may sign in with a user name and password (OPC UA Part 4 §7.36.4). When given,
   * anonymous sessions are refused, as on a plant server with user management on.
   */
  users?: Array<{ userName: string; password: string }>
  /**
   * The MaxMonitoredItemsPerSubscription the server publishes and enforces (Part 5 §6.3.2, 1.05),
   * to exercise clients that must spread their items over several subscriptions.
   */
  maxMonitoredItemsPerSubscription?: number
  /**
   * The most monitored items the whole server takes (Part 5 §6.3.2 MaxMonitoredItems); beyond it
   * every CreateMonitoredItems result is BadTooManyMonitoredItems.
   */
  maxMonitoredItems?: number
  /**
   * Serves this many extra variables `ns=1;s=bench.<n>` (n from 0) for load tests. Each holds a
   * sequence number that advances every time it is read or sampled, so every sample the server takes
   * is a change, and a client that sees a gap in a tag's sequence has lost an update on the way.
   */
  extraPoints?: number
  /** Where the server says when it goes down and comes back (the console's logger fits). */
  log?: SimLog
  /** The clock of its supervisor (see superviseMs); the system's unless a test brings its own. */
  scheduler?: Scheduler
}

export type SimLog = {
  info: (message: string, fields?: Record<string, unknown>) => void
  warn: (message: string, fields?: Record<string, unknown>) => void
}

/**
 * `serving`: listening, sessions welcome. `stopping` / `down` / `starting`: a protocol fault holds
 * it down, or it is coming back. `disposed`: gone for good.
 */
export type OpcUaSimServerState = 'serving' | 'stopping' | 'down' | 'starting' | 'disposed'

export type OpcUaSimServer = {
  /** The endpoint URL clients connect to, e.g. opc.tcp://127.0.0.1:4840 */
  endpoint: string
  /** The server's application instance certificate (DER), for clients to trust ahead of time. */
  certificate: Buffer
  plants: readonly string[]
  state: () => OpcUaSimServerState
  dispose: () => Promise<void>
}

/** The plants the demo site reads over OPC UA; plant-001 lives on the Modbus simulator. */
const defaultPlants = ['plant-002', 'plant-003'] as const

/**
 * How often a server asks the plant whether its endpoint should answer. A PLC restart shows within
 * this; the question also steps the lazily computed plant, so time passes while nobody reads.
 */
export const superviseMs = 250
/**
 * After a failed restart (the port taken meanwhile, say) or a failed shutdown, the next attempt
 * waits this long.
 */
const retryMs = 2_000

/** Node ids are `ns=1;s=<point id>`: namespace 1 is the server's own namespace in node-opcua. */
export function simNodeId(pointId: string): string {
  return `ns=1;s=${pointId}`
}

const simOperationLimits = {
  maxNodesPerRead: 1000,
  maxNodesPerBrowse: 1000,
  maxNodesPerWrite: 1000,
  maxNodesPerMethodCall: 100,
  maxNodesPerRegisterNodes: 1000,
  maxNodesPerNodeManagement: 100,
  maxMonitoredItemsPerCall: 1000,
  maxNodesPerHistoryReadData: 100,
  maxNodesPerHistoryReadEvents: 100,
  maxNodesPerHistoryUpdateData: 100,
  maxNodesPerHistoryUpdateEvents: 100,
  maxNodesPerTranslateBrowsePathsToNodeIds: 100,
}

let processPkiDir: string | null = null

/**
 * One PKI folder for every simulator server of this process: creating a server certificate costs
 * an RSA key generation (seconds on a small machine), so it is done once and reused. The folder is
 * temporary and removed when the process exits, so nothing lands in the repository or home folder.
 */
function defaultPkiDir(): string {
  if (processPkiDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-light-sim-pki-'))
    processPkiDir = dir
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return processPkiDir
}

const engineeringUnitsBySymbol: Record<string, EUInformation> = {
  bar: standardUnits.bar,
  '°C': standardUnits.degree_celsius,
  '%': standardUnits.percent,
}

/**
 * How a PLC says no to a write the plant refuses (Part 4 §7.34.2). A setpoint written while its
 * boiler is under the pressure controller is refused as the PLC's mode forbids it, not as bad data.
 */
const refusalStatus: Record<string, StatusCode> = {
  'out-of-range': StatusCodes.BadOutOfRange,
  'wrong-type': StatusCodes.BadTypeMismatch,
  'read-only': StatusCodes.BadNotWritable,
  'in-auto': StatusCodes.BadInvalidState,
  'unknown-point': StatusCodes.BadNodeIdUnknown,
}

/**
 * Splits `plant-002.boiler-1.flue-temperature` into its unit (`boiler-1`) and name; a plant-wide
 * point such as `plant-003.distribution-deviation` has no unit and sits in the plant's folder.
 */
function unitAndName(pointId: string): { unit: string | null; name: string } {
  const [, first = pointId, ...rest] = pointId.split('.')
  return rest.length === 0 ? { unit: null, name: first } : { unit: first, name: rest.join('.') }
}

/** `plant-002` → `Plant002`, the browse name of the plant's folder. */
function plantBrowseName(plantId: string): string {
  return plantId.replace(/^plant-/, 'Plant')
}

/** A point this server serves, with the plant it belongs to and its OPC UA data type. */
type ServedPoint = PlantPoint & { plantId: string; dataType: DataType.Boolean | DataType.Double }

export async function startOpcUaSimServer(options: OpcUaSimServerOptions): Promise<OpcUaSimServer> {
  const {
    port,
    plant,
    host = '127.0.0.1',
    plants = defaultPlants,
    log,
    scheduler = systemScheduler,
  } = options
  const pkiDir = options.pkiDir ?? defaultPkiDir()
  mkdirSync(join(pkiDir, 'server'), { recursive: true })
  mkdirSync(join(pkiDir, 'user'), { recursive: true })
  const points = servedPoints(plant, plants)
  const endpoint = `opc.tcp://${host}:${port}`

  // The first start fails loudly: the caller asked for a server it cannot have. `server` is the
  // one started last, until its shutdown succeeds: while it is set, it may be listening.
  let server: OPCUAServer | null = await serve(options, pkiDir, points)
  // Every start uses the certificate in pkiDir, so a restarted server presents this one again.
  const certificate = server.getCertificate()
  let state: Exclude<OpcUaSimServerState, 'disposed'> = 'serving'
  let disposed = false
  let transition: Promise<void> | null = null
  let retryAt = 0

  const stop = async (running: OPCUAServer, outage: EndpointStatus | undefined): Promise<void> => {
    state = 'stopping'
    log?.info('OPC UA simulator down', { endpoint, cause: outage?.cause, fault: outage?.faultId })
    try {
      // Shutting down at once closes every client socket and forgets every session: what a PLC
      // that reboots, or loses its network, looks like to a client.
      await running.shutdown(0)
    } catch (error) {
      // It may still be listening: it stays `server`, in state `stopping`, and is shut down
      // again (by the supervisor, and by dispose) rather than forgotten with its port taken.
      retryAt = scheduler.now() + retryMs
      log?.warn('OPC UA simulator did not shut down cleanly', { endpoint, error: String(error) })
      return
    }
    server = null
    state = 'down'
  }

  const start = async (): Promise<void> => {
    state = 'starting'
    try {
      server = await serve(options, pkiDir, points)
      state = 'serving'
      log?.info('OPC UA simulator back', { endpoint })
    } catch (error) {
      state = 'down'
      retryAt = scheduler.now() + retryMs
      log?.warn('OPC UA simulator could not start again', { endpoint, error: String(error) })
    }
  }

  const supervise = (): void => {
    if (transition || disposed) return
    const outage = plants
      .map((plantId) => plant.endpointStatus(plantId))
      .find((status) => !status.answering)
    const due = scheduler.now() >= retryAt
    let work: Promise<void> | null = null
    // A server whose shutdown failed is shut down again even once the outage is over: a new one
    // could not listen beside it.
    if (server && (outage || state === 'stopping')) {
      if (state !== 'stopping' || due) work = stop(server, outage)
    } else if (!outage && !server && due) work = start()
    if (work) {
      transition = work.finally(() => {
        transition = null
      })
    }
  }

  const stopSupervising = every(scheduler, superviseMs, supervise, (error) =>
    log?.warn('OPC UA simulator supervisor failed', { endpoint, error: String(error) }),
  )
  // A fault already active takes the server down now, not a tick later.
  supervise()

  let disposal: Promise<void> | null = null
  return {
    endpoint,
    certificate,
    plants,
    state: () => (disposed ? 'disposed' : state),
    dispose: () => {
      disposal ??= (async () => {
        disposed = true
        stopSupervising()
        // A start in flight ends with a server; a stop in flight may end with or without one.
        // Either way the one left, if any, goes now, so no server outlives its dispose.
        await transition
        const running = server
        server = null
        await running?.shutdown(0)
      })()
      return disposal
    },
  }
}

/** The points of the given plants; throws for a plant the model does not have. */
function servedPoints(plant: PlantReader, plants: readonly string[]): ServedPoint[] {
  const all = plant.points()
  const plantOf = (pointId: string): string => pointId.split('.')[0] ?? pointId
  const known = new Set(all.map((point) => plantOf(point.id)))
  const unknown = plants.filter((plantId) => !known.has(plantId))
  if (unknown.length > 0) {
    throw new Error(
      `The simulator has no plant ${unknown.map((id) => `"${id}"`).join(', ')} (it has ${[...known].join(', ')})`,
    )
  }
  return all
    .filter((point) => plants.includes(plantOf(point.id)))
    .map((point) => ({
      ...point,
      plantId: plantOf(point.id),
      // The model's points have a fixed type, so one read tells flags from numbers.
      dataType: typeof plant.read(point.id) === 'boolean' ? DataType.Boolean : DataType.Double,
    }))
}

/** Builds, fills and starts one server; each (re)start needs a new one, node-opcua's go with shutdown. */
async function serve(
  options: OpcUaSimServerOptions,
  pkiDir: string,
  points: ServedPoint[],
): Promise<OPCUAServer> {
  const { port, plant, host = '127.0.0.1', users = [], extraPoints = 0 } = options
  // A simulator trusts any client: it stands in for a plant, and tests must not need a trust step.
  // File watchers are off because nobody edits this store by hand.
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: join(pkiDir, 'server'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  })
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: join(pkiDir, 'user'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  })

  const server = new OPCUAServer({
    port,
    host,
    // The endpoint URL and the certificate name this address, not the machine name, so clients
    // on loopback connect to exactly what they were given.
    hostname: host,
    alternateHostname: [host],
    serverCertificateManager,
    userCertificateManager,
    // What current PLC servers offer (Part 7 security profiles); Basic128Rsa15 and Basic256 are
    // deprecated and left out.
    securityModes: [
      MessageSecurityMode.None,
      MessageSecurityMode.Sign,
      MessageSecurityMode.SignAndEncrypt,
    ],
    securityPolicies: [
      SecurityPolicy.None,
      SecurityPolicy.Basic256Sha256,
      SecurityPolicy.Aes128_Sha256_RsaOaep,
      SecurityPolicy.Aes256_Sha256_RsaPss,
    ],
    allowAnonymous: users.length === 0,
    userManager: {
      isValidUser: (userName: string, password: string) =>
        users.some((user) => user.userName === userName && user.password === password),
    },
    // Limits a real server publishes (Part 5 §6.3.2, §6.3.11); clients read them before large
    // requests.
    serverCapabilities: {
      operationLimits: simOperationLimits,
      ...(options.maxMonitoredItemsPerSubscription === undefined
        ? {}
        : { maxMonitoredItemsPerSubscription: options.maxMonitoredItemsPerSubscription }),
      ...(options.maxMonitoredItems === undefined
        ? {}
        : { maxMonitoredItems: options.maxMonitoredItems }),
    },
    buildInfo: { productName: 'Pilot Light plant simulator', manufacturerName: 'Pilot Light' },
    serverInfo: {
      // Fixed, so one certificate in the shared PKI folder serves every port. The name is not
      // per plant either: the first server to start creates the certificate, and its subject
      // would otherwise name that server's plants on every other one.
      applicationUri: 'urn:pilot-light:sim:opcua',
      productUri: 'urn:pilot-light:sim',
      applicationName: { text: 'Pilot Light simulator' },
    },
  })

  try {
    await server.initialize()
    populate(server, plant, points)
    if (extraPoints > 0) addBenchPoints(server, extraPoints)
    await server.start()
  } catch (error) {
    await server.shutdown(0).catch(() => {})
    throw error
  }
  return server
}

function populate(server: OPCUAServer, plant: PlantReader, points: ServedPoint[]): void {
  const addressSpace = server.engine.addressSpace
  if (!addressSpace) throw new Error('The OPC UA simulator has no address space after initialize()')
  const namespace = addressSpace.getOwnNamespace()
  const folders = new Map<string, UAObject>()
  const folderFor = (plantId: string, unit: string | null): UAObject => {
    let plantFolder = folders.get(plantId)
    if (!plantFolder) {
      plantFolder = namespace.addFolder(addressSpace.rootFolder.objects, {
        browseName: plantBrowseName(plantId),
        nodeId: `s=${plantId}`,
      })
      folders.set(plantId, plantFolder)
    }
    if (unit === null) return plantFolder
    const key = `${plantId}.${unit}`
    let unitFolder = folders.get(key)
    if (!unitFolder) {
      unitFolder = namespace.addFolder(plantFolder, { browseName: unit, nodeId: `s=${key}` })
      folders.set(key, unitFolder)
    }
    return unitFolder
  }

  for (const point of points) {
    const { unit, name } = unitAndName(point.id)
    const { dataType } = point
    // Values are read from the plant on every read or sample, so subscriptions see the process
    // move. The source timestamp is the time of the read, as a PLC stamps its scan.
    const timestampedGet = (): DataValue =>
      new DataValue({
        value: new Variant({ dataType, value: plant.read(point.id) }),
        statusCode: StatusCodes.Good,
        sourceTimestamp: new Date(),
      })
    // The stack has already refused what this variable's access level or data type rules out
    // (BadNotWritable, BadTypeMismatch); the plant judges the rest, as a PLC program would.
    const timestampedSet = async (dataValue: DataValue): Promise<StatusCode> => {
      const value: unknown = dataValue.value.value
      if (typeof value !== 'number' && typeof value !== 'boolean')
        return StatusCodes.BadTypeMismatch
      const outcome = plant.write(point.id, value)
      if (outcome.ok) return StatusCodes.Good
      return refusalStatus[outcome.error.code] ?? StatusCodes.BadInternalError
    }
    // Part 3 §5.6.2 AccessLevel and §5.6.3 UserAccessLevel: every user may write what the plant
    // lets an operator write; measurements and states are read-only for everyone.
    const access = point.writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead'
    const common = {
      organizedBy: folderFor(point.plantId, unit),
      browseName: name,
      nodeId: `s=${point.id}`,
      dataType: dataType === DataType.Boolean ? 'Boolean' : 'Double',
      minimumSamplingInterval: 50,
      accessLevel: access,
      userAccessLevel: access,
      value: point.writable
        ? { timestamped_get: timestampedGet, timestamped_set: timestampedSet }
        : { timestamped_get: timestampedGet },
    }
    const engineeringUnits = engineeringUnitsBySymbol[point.unit]
    if (engineeringUnits && point.min !== undefined && point.max !== undefined) {
      namespace.addAnalogDataItem({
        ...common,
        engineeringUnits,
        engineeringUnitsRange: { low: point.min, high: point.max },
      })
    } else {
      namespace.addVariable(common)
    }
  }
}

/** `ns=1;s=bench.<n>`: sequence numbers that advance on every read (see `extraPoints`). */
function addBenchPoints(server: OPCUAServer, count: number): void {
  const addressSpace = server.engine.addressSpace
  if (!addressSpace) throw new Error('The OPC UA simulator has no address space after initialize()')
  const namespace = addressSpace.getOwnNamespace()
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, {
    browseName: 'Bench',
    nodeId: 's=bench',
  })
  for (let index = 0; index < count; index++) {
    let sequence = 0
    namespace.addVariable({
      organizedBy: folder,
      browseName: `bench.${index}`,
      nodeId: `s=bench.${index}`,
      dataType: 'UInt32',
      minimumSamplingInterval: 50,
      value: {
        timestamped_get: () => {
          sequence += 1
          return new DataValue({
            value: new Variant({ dataType: DataType.UInt32, value: sequence }),
            statusCode: StatusCodes.Good,
            sourceTimestamp: new Date(),
          })
        },
      },
    })
  }
}
