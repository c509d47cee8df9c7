import type { UtilityCommand, UtilityReport } from '../../shared/api/desktop'
import { systemScheduler } from '../../shared/scheduler'
import { prepareDataFolder } from '../app/data-folder'
import { startConsole } from '../app/start-console'
import { captureLibraryConsole, createFileLogger, describeError } from '../log/logger'
import { parseEntryOptions } from './options'

// The backend as an Electron utilityProcess (DESIGN.md §2). Main forks this file and hands over one
// MessagePort per window; the backend answers on it exactly as it answers a WebSocket in browser mode.
// The backend never imports Electron: these types describe the little of process.parentPort it uses.

type RendererPort = {
  on: (event: 'message' | 'close', listener: (event: { data: unknown }) => void) => void
  postMessage: (message: unknown) => void
  start: () => void
}

type ParentPort = {
  on: (
    event: 'message',
    listener: (event: { data: UtilityCommand; ports: RendererPort[] }) => void,
  ) => void
  postMessage: (message: UtilityReport) => void
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
if (!parentPort) {
  process.stderr.write(
    'The backend entry must be started by the desktop app as a utilityProcess.\n',
  )
  process.exit(1)
}

async function main(port: ParentPort): Promise<void> {
  const options = parseEntryOptions(process.argv.slice(2))
  const folder = prepareDataFolder(options.dataDir)
  const logger = createFileLogger({ dir: folder.logs })
  captureLibraryConsole(logger)
  const running = await startConsole({
    mode: 'desktop',
    siteFile: options.siteFile,
    dataDir: folder.dir,
    simulate: options.simulate,
    simSpeed: options.simSpeed,
    scenariosDir: options.scenariosDir,
    logger,
    scheduler: systemScheduler,
  })
  port.on('message', ({ data, ports }) => {
    const rendererPort = ports[0]
    if (data.type !== 'connect' || !rendererPort) return
    const connection = running.backend.connect({
      send: (message) => rendererPort.postMessage(message),
    })
    rendererPort.on('message', (event) => void connection.receive(event.data))
    rendererPort.on('close', () => connection.close())
    rendererPort.start()
  })
  port.postMessage({ type: 'ready' })
}

main(parentPort).catch((error: unknown) => {
  parentPort.postMessage({ type: 'fatal', message: describeError(error) })
  process.exit(1)
})
