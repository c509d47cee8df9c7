import { join } from 'node:path'
import { tmpdir } from 'node:os'
import type { Source } from '../shared/site/schema'
import { createLivePlant } from './live-plant'
import { startModbusSimServer } from './modbus-server'
import { startOpcUaSimServer } from './opcua-server'

export type RunningSimulator = {
  endpoints: string[]
  dispose: () => Promise<void>
}

/**
 * Starts the simulator's servers for the sources a site marks `simulated: true`, on the hosts and
 * ports the site file names, so the console reaches them over the same protocols as a real PLC.
 */
export async function startSimulatorFor(
  sources: Source[],
  options: { seed?: number; pkiDir?: string } = {},
): Promise<RunningSimulator> {
  // One plant behind every server, as on a real site: a fault in it shows on every protocol at once.
  const plant = createLivePlant({ seed: options.seed ?? 1 })
  const running: Array<{ endpoint: string; dispose: () => Promise<void> }> = []
  try {
    for (const source of sources) {
      if (!source.simulated) continue
      switch (source.protocol) {
        case 'modbus-tcp': {
          const server = await startModbusSimServer({ host: source.host, port: source.port, plant })
          running.push({
            endpoint: `modbus-tcp://${server.host}:${server.port}`,
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
            pkiDir: options.pkiDir ?? join(tmpdir(), 'pilot-light-sim-pki'),
          })
          running.push({ endpoint: server.endpoint, dispose: server.dispose })
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
    endpoints: running.map((server) => server.endpoint),
    dispose: async () => {
      await Promise.all(running.map((server) => server.dispose()))
    },
  }
}
