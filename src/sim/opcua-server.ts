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
import type { PlantModel, SimPoint } from './model'

// The simulated OPC UA server of plant-002: what a real boiler-house PLC or gateway would expose,
// served on loopback for the demo site, drills and integration tests.

export type OpcUaSimServerOptions = {
  /** A concrete TCP port (node-opcua does not handle port 0 well; see test/support/ports.ts). */
  port: number
  model: PlantModel
  /** The address to listen on and to name in the endpoint URL. Loopback unless told otherwise. */
  host?: string
  /** Where the server keeps its certificate; by default one temporary folder per process. */
  pkiDir?: string
}

export type OpcUaSimServer = {
  /** The endpoint URL clients connect to, e.g. opc.tcp://127.0.0.1:4840 */
  endpoint: string
  dispose: () => Promise<void>
}

/** Only points whose ids start with this are served here; plant-001 lives on the Modbus simulator. */
const plantPrefix = 'plant-002.'

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

/** Splits `plant-002.boiler-1.flue-temperature` into its unit (`boiler-1`) and name. */
function unitAndName(point: SimPoint): { unit: string; name: string } {
  const [, unit = 'plant', ...rest] = point.id.split('.')
  return { unit, name: rest.join('.') || point.id }
}

export async function startOpcUaSimServer(options: OpcUaSimServerOptions): Promise<OpcUaSimServer> {
  const { port, model, host = '127.0.0.1' } = options
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
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    // Limits a real server publishes (Part 5 §6.3.11); clients read them before large requests.
    serverCapabilities: { operationLimits: simOperationLimits },
    buildInfo: { productName: 'Pilot Light plant simulator', manufacturerName: 'Pilot Light' },
    serverInfo: {
      // Fixed, so one certificate in the shared PKI folder serves every port.
      applicationUri: 'urn:pilot-light:sim:opcua',
      productUri: 'urn:pilot-light:sim',
      applicationName: { text: 'Pilot Light simulator (plant-002)' },
    },
  })

  try {
    await server.initialize()
    populate(server, model)
    await server.start()
  } catch (error) {
    await server.shutdown(0).catch(() => {})
    throw error
  }

  let disposed: Promise<void> | null = null
  return {
    endpoint: `opc.tcp://${host}:${port}`,
    dispose: () => {
      // Shutting down immediately closes every client socket, which is what a tripped PLC does.
      disposed ??= server.shutdown(0)
      return disposed
    },
  }
}

function populate(server: OPCUAServer, model: PlantModel): void {
  const addressSpace = server.engine.addressSpace
  if (!addressSpace) throw new Error('The OPC UA simulator has no address space after initialize()')
  const namespace = addressSpace.getOwnNamespace()
  const plant = namespace.addFolder(addressSpace.rootFolder.objects, {
    browseName: 'Plant002',
    nodeId: 's=plant-002',
  })
  const units = new Map<string, UAObject>()

  for (const point of model.points.filter((candidate) => candidate.id.startsWith(plantPrefix))) {
    const { unit, name } = unitAndName(point)
    let folder = units.get(unit)
    if (!folder) {
      folder = namespace.addFolder(plant, { browseName: unit, nodeId: `s=plant-002.${unit}` })
      units.set(unit, folder)
    }
    const engineeringUnits = engineeringUnitsBySymbol[point.unit]
    // Values are computed on every read from the model and the wall clock, so subscriptions see the
    // process move. The source timestamp is the time of computation, as a PLC stamps its scan.
    const timestampedGet = (): DataValue => {
      const now = Date.now()
      return new DataValue({
        value: new Variant({ dataType: DataType.Double, value: model.value(point.id, now) }),
        statusCode: StatusCodes.Good,
        sourceTimestamp: new Date(now),
      })
    }
    const common = {
      organizedBy: folder,
      browseName: name,
      nodeId: `s=${point.id}`,
      dataType: 'Double',
      minimumSamplingInterval: 50,
      value: { timestamped_get: timestampedGet },
    }
    if (engineeringUnits) {
      const span = Math.max(point.swing * 10, 1)
      namespace.addAnalogDataItem({
        ...common,
        engineeringUnits,
        engineeringUnitsRange: { low: point.base - span, high: point.base + span },
      })
    } else {
      namespace.addVariable(common)
    }
  }
}
