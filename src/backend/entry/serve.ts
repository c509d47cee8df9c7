import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { systemScheduler } from '../../shared/scheduler'
import { prepareDataFolder } from '../app/data-folder'
import { startConsole } from '../app/start-console'
import { captureLibraryConsole, createFileLogger, describeError } from '../log/logger'
import { startBrowserServer } from '../server/browser-server'
import { parseEntryOptions, resourcesFolder } from './options'

// Browser mode: one Node process serves the built renderer and runs the backend (DESIGN.md §2).
// stdout carries exactly one line, the ready line, because scripts and tests wait for it; everything
// else goes to the log file and, for warnings and errors, to stderr.

/** How long a clean shutdown may take before the process ends anyway. */
const stopDeadlineMs = 10_000

async function main(): Promise<void> {
  const options = parseEntryOptions(process.argv.slice(2))
  const folder = prepareDataFolder(options.dataDir)
  const logger = createFileLogger({ dir: folder.logs, echoLevel: 'warn' })
  captureLibraryConsole(logger)
  const token = process.env.PILOT_LIGHT_TOKEN || randomBytes(24).toString('base64url')
  logger.info('starting browser mode', {
    site: options.siteFile,
    data: folder.dir,
    port: options.port,
  })

  const running = await startConsole({
    mode: 'browser',
    siteFile: options.siteFile,
    dataDir: folder.dir,
    simulate: options.simulate,
    simSpeed: options.simSpeed,
    scenariosDir: options.scenariosDir,
    logger,
    scheduler: systemScheduler,
  })
  const server = await startBrowserServer({
    backend: running.backend,
    staticDir: join(resourcesFolder(), '..', 'out', 'renderer'),
    token,
    port: options.port,
    logger: logger.child('http'),
  })
  process.stdout.write(`Pilot Light: ${server.url}\n`)

  let stopping = false
  const stop = (signal: string): void => {
    // A second Ctrl+C, or a shutdown that hangs (a PLC that never lets go), still ends the process.
    if (stopping) process.exit(1)
    stopping = true
    setTimeout(() => process.exit(1), stopDeadlineMs).unref()
    logger.info('stopping', { signal })
    void Promise.all([server.close(), running.dispose()]).finally(() => {
      logger.close()
      process.exit(0)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

main().catch((error: unknown) => {
  process.stderr.write(`Pilot Light could not start: ${describeError(error)}\n`)
  process.exit(1)
})
