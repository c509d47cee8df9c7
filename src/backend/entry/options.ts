import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { defaultDataFolder } from '../app/data-folder'

export type EntryOptions = {
  siteFile: string
  /** True when no --site was given: the demo site, whose sources the simulator serves. */
  demo: boolean
  dataDir: string
  port: number
  simulate: boolean
  /** The folder of drill scenarios: the runbook's own by default, or a site's. */
  scenariosDir: string
  /** Simulated seconds per second for the built-in simulator (demonstrations and tests). */
  simSpeed: number
}

/** resources/ sits two folders above the bundle (out/main/*.js) and beside src/ in a checkout. */
export function resourcesFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    join(here, '..', '..', 'resources'),
    join(here, '..', '..', '..', 'resources'),
  ]
  return candidates.find((folder) => existsSync(join(folder, 'demo-site.yaml'))) ?? candidates[0]!
}

/** `[--site FILE] [--data DIR] [--port N] [--no-sim] [--sim-speed N] [--scenarios DIR]`, shared by `npm run serve` and the desktop backend. */
export function parseEntryOptions(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): EntryOptions {
  const { values } = parseArgs({
    args,
    options: {
      site: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      'no-sim': { type: 'boolean', default: false },
      'sim-speed': { type: 'string' },
      scenarios: { type: 'string' },
    },
    strict: true,
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, not "${values.port}"`)
  }
  const simSpeed = values['sim-speed'] === undefined ? 1 : Number(values['sim-speed'])
  if (!(Number.isFinite(simSpeed) && simSpeed > 0 && simSpeed <= 100)) {
    throw new Error(
      `--sim-speed must be a number above 0 and up to 100, not "${values['sim-speed']}"`,
    )
  }
  const site = values.site ?? env.PILOT_LIGHT_SITE
  return {
    siteFile: site ? resolve(site) : join(resourcesFolder(), 'demo-site.yaml'),
    demo: !site,
    dataDir: values.data ? resolve(values.data) : defaultDataFolder(env),
    port,
    simulate: !values['no-sim'],
    simSpeed,
    scenariosDir: values.scenarios
      ? resolve(values.scenarios)
      : join(resourcesFolder(), 'scenarios'),
  }
}
