import { parseArgs } from 'node:util'
import { formatFileProblem } from '../../shared/file-problem'
import { defaultDataFolder, prepareDataFolder } from '../app/data-folder'
import { formatProbeTable, probeSite } from '../field/probe'
import { captureLibraryConsole, createFileLogger, describeError } from '../log/logger'
import { loadSiteFile } from '../site/load'

// `npm run probe -- --site FILE [--json] [--wait-ms N] [--data DIR]` (DESIGN.md §3.3): the
// commissioning tool. Connects to every source of a site file, reads every tag once, prints a table
// (or JSON on stdout), and exits 0 only when every tag is good. Exit codes: 0 all good, 1 some tag
// not good, 2 the site file or the command line is wrong.

const usage = 'usage: npm run probe -- --site FILE [--json] [--wait-ms N] [--data DIR]'

async function main(): Promise<number> {
  let values
  try {
    values = parseArgs({
      options: {
        site: { type: 'string' },
        json: { type: 'boolean', default: false },
        'wait-ms': { type: 'string' },
        data: { type: 'string' },
      },
      strict: true,
    }).values
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n${usage}\n`)
    return 2
  }
  if (!values.site) {
    process.stderr.write(`--site is required\n${usage}\n`)
    return 2
  }
  const loaded = await loadSiteFile(values.site)
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatFileProblem(problem)}\n`)
    return 2
  }
  const site = loaded.site
  // Long enough for every source to answer once, its own timeout included.
  const slowest = Math.max(
    ...site.sources.map((source) =>
      source.protocol === 'opcua' ? 5000 : source.timeoutMs + source.pollMs,
    ),
  )
  const waitMs = values['wait-ms'] === undefined ? slowest + 5000 : Number(values['wait-ms'])
  if (!Number.isFinite(waitMs) || waitMs <= 0) {
    process.stderr.write(`--wait-ms must be a positive number of milliseconds\n${usage}\n`)
    return 2
  }

  // OPC UA trust decisions live in the console's own PKI, so probing trusts what the console trusts.
  const folder = prepareDataFolder(values.data ?? defaultDataFolder())
  const logger = createFileLogger({ dir: folder.logs })
  captureLibraryConsole(logger)
  const rows = await probeSite(site, { dataDir: folder.dir, waitMs, logger: logger.child('probe') })
  logger.close()
  process.stdout.write(values.json ? `${JSON.stringify({ tags: rows })}\n` : formatProbeTable(rows))
  return rows.every((row) => row.quality === 'good') ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`probe failed: ${describeError(error)}\n`)
    process.exit(2)
  },
)
