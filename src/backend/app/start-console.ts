import { dirname, join, resolve } from 'node:path'
import packageJson from '../../../package.json'
import type { SystemInfo } from '../../shared/api/contract'
import type { Scheduler } from '../../shared/scheduler'
import { startSimulatorFor, type RunningSimulator } from '../../sim'
import { loadScenarioDirectory, type ScenarioLoad } from '../../sim/process'
import { fieldDrivers } from '../field/drivers'
import { trustOwnServerCertificate } from '../field/opcua-pki'
import { describeError, type Logger } from '../log/logger'
import { loadSiteFile } from '../site/load'
import type { Recording } from '../../shared/api/contract'
import { journalFileName } from '../store/database'
import { openJournal, type OpenedJournal } from '../store/open-journal'
import { createSyncEngine, type SyncEngine } from '../sync/engine'
import { openHistory, type History } from '../store/history'
import { historyFileName } from '../store/history-database'
import { historyWarningFraction } from '../../shared/history/series'
import type { StorageStatus } from '../../shared/api/contract'
import { existsSync, statSync } from 'node:fs'
import { createBackend, type Backend } from './backend'
import { consoleIdentity, renewConsoleId } from './console-identity'
import type { Result } from '../../shared/result'

export type ConsoleOptions = {
  mode: SystemInfo['mode']
  siteFile: string
  dataDir: string
  /** Start the built-in simulator for the site's `simulated: true` sources. */
  simulate: boolean
  /**
   * Simulated seconds per second (1 unless asked): faster drills for demonstrations and tests, whose
   * debrief then compares wall-clock times with the runbook and flatters the operator.
   */
  simSpeed?: number
  /** The folder of drill scenarios (resources/scenarios unless the site brings its own). */
  scenariosDir: string
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
  let simulatorUnavailableReason =
    'Drills need the built-in simulator, and this site has no source marked "simulated: true"'
  const siteProblems = loaded.ok ? [] : loaded.problems
  if (loaded.ok && options.simulate && loaded.site.sources.some((source) => source.simulated)) {
    try {
      simulator = await startSimulatorFor(loaded.site, {
        pkiDir: join(options.dataDir, 'sim-pki'),
        log: logger.child('sim'),
        speed: options.simSpeed ?? 1,
      })
      logger.info('simulator started', {
        servers: simulator.servers.map(({ sourceId, endpoint, plants }) => ({
          sourceId,
          endpoint,
          plants,
        })),
      })
    } catch (error) {
      // The console still opens; the simulated sources will show as disconnected with the reason.
      logger.error('simulator failed to start', { error: describeError(error) })
      simulatorUnavailableReason = `The simulator did not start, so drills cannot run: ${describeError(error)}`
    }
    // The console started these servers itself, so their certificates need no engineer's check:
    // a demo over SignAndEncrypt connects at once, with automatic acceptance still off for every
    // other server.
    for (const { sourceId, certificate } of simulator?.servers ?? []) {
      if (!certificate) continue
      const trusted = await trustOwnServerCertificate(options.dataDir, certificate)
      if (trusted.ok) {
        logger.info('trusted the simulator certificate', {
          sourceId,
          thumbprint: trusted.value.thumbprint,
        })
      } else {
        logger.error('cannot trust the simulator certificate', { sourceId, error: trusted.error })
      }
    }
  }
  if (!options.simulate) {
    simulatorUnavailableReason = 'The console was started without its simulator (--no-sim)'
  }
  // A missing or unreadable folder shows where drills would start, as a problem with the folder.
  const scenarios = await loadScenarioDirectory(options.scenariosDir).catch(
    (error: unknown): ScenarioLoad[] => {
      const message = `the drill scenarios cannot be read: ${describeError(error)}`
      logger.error(message, { dir: options.scenariosDir })
      const problem = { file: options.scenariosDir, line: null, column: null, path: '', message }
      return [{ ok: false, file: options.scenariosDir, problems: [problem] }]
    },
  )
  const identity = consoleIdentity(options.dataDir)
  const journalFile = join(options.dataDir, journalFileName)
  const opened: Result<OpenedJournal> = identity.ok
    ? openJournal({
        path: journalFile,
        consoleId: identity.value,
        clock: options.scheduler.now,
        logger: logger.child('journal'),
        consoleIdAfterRecovery: (previous) => renewConsoleId(options.dataDir, previous),
      })
    : identity
  // A refused journal does not stop the console: it still reads the plants, and says in red that
  // nothing is being recorded and why (DESIGN.md §4: never silently).
  const journalled: OpenedJournal | null = opened.ok ? opened.value : null
  const consoleId = journalled?.consoleId ?? (identity.ok ? identity.value : 'unidentified')
  const recording: Recording = {
    state: journalled ? 'recording' : 'refused',
    file: journalFile,
    problem: opened.ok ? null : opened.error.message,
    recovery: journalled?.recovery
      ? {
          keptAs: journalled.recovery.keptAs,
          reason: journalled.recovery.reason,
          message: `${journalled.recovery.message} Events of the damaged journal that had not reached the central system are only in the kept file; this console now syncs as ${journalled.consoleId}.`,
        }
      : null,
  }
  // The budget covers journal and history; the journal never gives way, so history's share is what
  // the journal leaves (at least a tenth of the budget, so history is not starved to nothing).
  const budgetBytes = (loaded.ok ? loaded.site.storage.budgetMb : 4096) * 1024 * 1024
  const journalBytes = (): number =>
    [journalFile, `${journalFile}-wal`].reduce(
      (total, file) => total + (existsSync(file) ? statSync(file).size : 0),
      0,
    )
  let historyProblem: string | null = null
  let history: History | null = null
  if (loaded.ok) {
    const openedHistory = openHistory({
      path: join(options.dataDir, historyFileName),
      scheduler: options.scheduler,
      clock: options.scheduler.now,
      logger: logger.child('history'),
      budgetBytes: Math.max(budgetBytes - journalBytes(), budgetBytes / 10),
      onRecovery: (notice) => {
        historyProblem = notice.message
      },
    })
    if (openedHistory.ok) history = openedHistory.value
    else historyProblem = `Tag history is not being kept: ${openedHistory.error.message}`
  }
  const storage = (): StorageStatus => {
    const usage = history?.usage() ?? null
    const journalSize = journalBytes()
    const fraction = (journalSize + (usage?.bytes ?? 0)) / budgetBytes
    return {
      budgetBytes,
      journalBytes: journalSize,
      historyBytes: usage?.bytes ?? null,
      fraction,
      warning: fraction >= historyWarningFraction,
      droppedUnsynced: sync && history ? history.syncBacklog().droppedUnsynced : 0,
      historyProblem,
    }
  }

  // Sync needs something to send: a site naming a central system and a journal that records.
  let sync: SyncEngine | null = null
  const central = loaded.ok ? loaded.site.central : undefined
  if (loaded.ok && central && journalled) {
    const token = central.tokenEnv ? process.env[central.tokenEnv] : undefined
    if (central.tokenEnv && !token) {
      logger.warn('the central token variable is not set: syncing without a token', {
        tokenEnv: central.tokenEnv,
      })
    }
    sync = createSyncEngine({
      journal: journalled.journal,
      db: journalled.db,
      ...(history
        ? {
            history: {
              pendingForSync: (limit: number, after?: number) =>
                history.pendingForSync(limit, after),
              markSynced: (cursor: number) => history.markSynced(cursor),
              readsAhead: true,
              backlog: () => {
                const backlog = history.syncBacklog()
                return {
                  count: backlog.pendingSamples + backlog.unsealedSamples,
                  oldestTs: backlog.oldestPendingTs,
                }
              },
            },
          }
        : {}),
      central: {
        url: central.url,
        siteId: loaded.site.site.id,
        consoleId,
        ...(token ? { token } : {}),
        ...(central.caFile ? { caFile: resolve(dirname(loaded.file), central.caFile) } : {}),
      },
      scheduler: options.scheduler,
      logger,
    })
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
    consoleId,
    journal: journalled?.journal ?? null,
    recording,
    sync,
    history,
    storage,
    simulator: simulator && {
      plant: simulator.plant,
      sourceIds: new Set(simulator.servers.map((server) => server.sourceId)),
      plants: new Set(simulator.servers.flatMap((server) => server.plants)),
    },
    simulatorUnavailableReason,
    scenarios,
  })
  sync?.start()
  return {
    backend,
    // Each step runs even when an earlier one failed: a PLC or file left open would outlive us.
    dispose: async () => {
      const steps: Array<() => unknown> = [
        () => backend.dispose(),
        () => sync?.dispose(),
        () => history?.dispose(),
        () => simulator?.dispose(),
        () => journalled?.close(),
      ]
      const failures: unknown[] = []
      for (const step of steps) {
        try {
          await step()
        } catch (error) {
          failures.push(error)
          logger.error('shutdown step failed', { error: describeError(error) })
        }
      }
      if (failures.length > 0) throw failures[0]
    },
  }
}
