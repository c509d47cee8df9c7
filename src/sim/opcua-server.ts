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
  type UAObject,
} from 'node-opcua'
import type { PlantReader } from './live-plant'

// The simulated OPC UA server of plants 002 and 003: what a real boiler-house PLC or gateway would
// expose, served on loopback for the demo site, drills and integration tests.

export type OpcUaSimServerOptions = {
  /** A concrete TCP port (node-opcua does not handle port 0 well; see test/support/ports.ts). */
  port: number
  plant: PlantReader
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
}

export type OpcUaSimServer = {
  /** The endpoint URL clients connect to, e.g. opc.tcp://127.0.0.1:4840 */
  endpoint: string
  /** The server's application instance certificate (DER), for clients to trust ahead of time. */
  certificate: Buffer
  dispose: () => Promise<void>
}

/** The plants served here; plant-001 lives on the Modbus simulator. */
const servedPlants = ['plant-002', 'plant-003'] as const

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

export async function startOpcUaSimServer(options: OpcUaSimServerOptions): Promise<OpcUaSimServer> {
  const { port, plant, host = '127.0.0.1', users = [], extraPoints = 0 } = options
  const pkiDir = options.pkiDir ?? defaultPkiDir()
  const serverPki = join(pkiDir, 'server')
  const userPki = join(pkiDir, 'user')
  mkdirSync(serverPki, { recursive: true })
  mkdirSync(userPki, { recursive: true })

  // A simulator trusts any client: it stands in for a plant, and tests must not need a trust step.
  // File watchers are off because nobody edits this store by hand.
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: serverPki,
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  })
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: userPki,
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
      // Fixed, so one certificate in the shared PKI folder serves every port.
      applicationUri: 'urn:pilot-light:sim:opcua',
      productUri: 'urn:pilot-light:sim',
      applicationName: { text: 'Pilot Light simulator (plant-002, plant-003)' },
    },
  })

  try {
    await server.initialize()
    populate(server, plant)
    if (extraPoints > 0) addBenchPoints(server, extraPoints)
    await server.start()
  } catch (error) {
    await server.shutdown(0).catch(() => {})
    throw error
  }

  let disposed: Promise<void> | null = null
  return {
    endpoint: `opc.tcp://${host}:${port}`,
    certificate: server.getCertificate(),
    dispose: () => {
      // Shutting down immediately closes every client socket, which is what a tripped PLC does.
      disposed ??= server.shutdown(0)
      return disposed
    },
  }
}

function populate(server: OPCUAServer, plant: PlantReader): void {
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

  for (const point of plant.points()) {
    const plantId = servedPlants.find((id) => point.id.startsWith(`${id}.`))
    if (plantId === undefined) continue
    const { unit, name } = unitAndName(point.id)
    // The model's points have a fixed type, so one read tells flags from numbers.
    const dataType = typeof plant.read(point.id) === 'boolean' ? DataType.Boolean : DataType.Double
    // Values are read from the plant on every read or sample, so subscriptions see the process
    // move. The source timestamp is the time of the read, as a PLC stamps its scan.
    const timestampedGet = (): DataValue =>
      new DataValue({
        value: new Variant({ dataType, value: plant.read(point.id) }),
        statusCode: StatusCodes.Good,
        sourceTimestamp: new Date(),
      })
    const common = {
      organizedBy: folderFor(plantId, unit),
      browseName: name,
      nodeId: `s=${point.id}`,
      dataType: dataType === DataType.Boolean ? 'Boolean' : 'Double',
      minimumSamplingInterval: 50,
      value: { timestamped_get: timestampedGet },
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
