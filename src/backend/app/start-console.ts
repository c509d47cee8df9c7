import { join } from 'node:path'
import packageJson from '../../../package.json'
import type { SystemInfo } from '../../shared/api/contract'
import type { Scheduler } from '../../shared/scheduler'
import { startSimulatorFor, type RunningSimulator } from '../../sim'
import { fieldDrivers } from '../field/drivers'
import { describeError, type Logger } from '../log/logger'
import { loadSiteFile } from '../site/load'
import { createBackend, type Backend } from './backend'

export type ConsoleOptions = {
  mode: SystemInfo['mode']
  siteFile: string
  dataDir: string
  /** Start the built-in simulator for the site's `simulated: true` sources. */
  simulate: boolean
  logger: Logger
  scheduler: Scheduler
}

export type RunningConsole = { backend: Backend; dispose: () => Promise<void> }

/** Loads the site, starts the simulator where asked, and builds the backend. Shared by both entries. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { logger } = options
  const loaded = await loadSiteFile(options.siteFile)
  if (!loaded.ok) {
    for (const problem of loaded.problems) logger.error('site file problem', problem)
  }
  let simulator: RunningSimulator | null = null
  const siteProblems = loaded.ok ? [] : loaded.problems
  if (loaded.ok && options.simulate && loaded.site.sources.some((source) => source.simulated)) {
    try {
      simulator = await startSimulatorFor(loaded.site.sources, {
        pkiDir: join(options.dataDir, 'sim-pki'),
      })
      logger.info('simulator started', { endpoints: simulator.endpoints })
    } catch (error) {
      // The console still opens; the simulated sources will show as disconnected with the reason.
      logger.error('simulator failed to start', { error: describeError(error) })
    }
  }
  const backend = createBackend({
    mode: options.mode,
    version: packageJson.version,
    dataDir: options.dataDir,
    siteFile: loaded.file,
    site: loaded.ok ? loaded.site : null,
    siteProblems,
    drivers: fieldDrivers,
    logger,
    scheduler: options.scheduler,
  })
  return {
    backend,
    dispose: async () => {
      await backend.dispose()
      await simulator?.dispose()
    },
  }
}
