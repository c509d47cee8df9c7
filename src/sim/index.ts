import type { Site, Source } from '../shared/site/schema'
import { createLivePlant, type LivePlant } from './live-plant'
import { startModbusSimServer } from './modbus-server'
import { startOpcUaSimServer, type SimLog } from './opcua-server'

export type SimulatedServer = {
  sourceId: string
  endpoint: string
  /** The plants it serves. */
  plants: readonly string[]
  /** The OPC UA server's application instance certificate (DER); null for Modbus. */
  certificate: Buffer | null
}

export type RunningSimulator = {
  servers: SimulatedServer[]
  /** The plant behind every server, for drills and tests that apply faults and scenarios. */
  plant: LivePlant
  dispose: () => Promise<void>
}

/**
 * Starts the simulator's servers for the sources a site marks `simulated: true`, on the hosts and
 * ports the site file names, so the console reaches them over the same protocols as a real PLC.
 * Each OPC UA source gets a server of its own, standing for the plants its tags belong to (the
 * plant prefix of their ids), so a fault in one plant's PLC leaves the other plants' servers up.
 */
export async function startSimulatorFor(
  site: Pick<Site, 'sources' | 'tags'>,
  options: {
    seed?: number
    /** Simulated seconds per wall-clock second (see createLivePlant). */
    speed?: number
    /**
     * Where the OPC UA servers keep their certificate. By default a temporary folder of this
     * process's own (see startOpcUaSimServer), never a fixed path in the shared temp folder, where
     * another user could have planted a key or could read ours.
     */
    pkiDir?: string
    log?: SimLog
  } = {},
): Promise<RunningSimulator> {
  // One plant behind every server, as on a real site: a fault in it shows on every protocol at once.
  const plant = createLivePlant({ seed: options.seed ?? 1, speed: options.speed ?? 1 })
  const running: Array<SimulatedServer & { dispose: () => Promise<void> }> = []
  try {
    for (const source of site.sources) {
      if (!source.simulated) continue
      switch (source.protocol) {
        case 'modbus-tcp': {
          // A Modbus PLC's register map is one plant's (see simModbusMapFor).
          const plants = plantsOf(source, site.tags, plant)
          if (plants.length > 1) {
            throw new Error(
              `Simulated Modbus source "${source.id}" has tags of ${plants.join(' and ')}; a simulated PLC serves one plant`,
            )
          }
          const plantId = plants[0] ?? 'plant-001'
          const server = await startModbusSimServer({
            host: source.host,
            port: source.port,
            unitId: source.unitId,
            plant,
            plantId,
          })
          running.push({
            sourceId: source.id,
            endpoint: `modbus-tcp://${server.host}:${server.port}`,
            plants: [plantId],
            certificate: null,
            dispose: server.dispose,
          })
          break
        }
        case 'opcua': {
          const url = new URL(source.endpoint.replace(/^opc\.tcp:/, 'http:'))
          const server = await startOpcUaSimServer({
            host: url.hostname,
            port: Number(url.port || 4840),
            plant,
            plants: plantsOf(source, site.tags, plant),
            pkiDir: options.pkiDir,
            ...(options.log ? { log: options.log } : {}),
          })
          running.push({
            sourceId: source.id,
            endpoint: server.endpoint,
            plants: server.plants,
            certificate: server.certificate,
            dispose: server.dispose,
          })
          break
        }
        case 'modbus-rtu':
          throw new Error(`The simulator cannot serve Modbus RTU source "${source.id}" yet`)
      }
    }
  } catch (error) {
    await Promise.all(running.map((server) => server.dispose()))
    throw error
  }
  return {
    servers: running.map(({ dispose: _dispose, ...server }) => server),
    plant,
    dispose: async () => {
      await Promise.all(running.map((server) => server.dispose()))
    },
  }
}

/**
 * The plants a simulated source stands for: those its tags belong to, by the plant prefix of the
 * tag ids (`plant-002.header.pressure` → plant-002), as the site file already groups them. Prefixes
 * the plant model does not have (a site's own naming) are left out; a source with no tag of a
 * simulated plant serves an empty address space, as a PLC with nothing configured would.
 */
function plantsOf(source: Source, tags: Site['tags'], plant: LivePlant): string[] {
  const simulated = new Set(plant.points().map((point) => point.id.split('.')[0]))
  const plants = new Set<string>()
  for (const tag of tags) {
    const prefix = tag.id.split('.')[0]
    if (tag.source === source.id && prefix !== undefined && simulated.has(prefix))
      plants.add(prefix)
  }
  return [...plants].sort()
}
