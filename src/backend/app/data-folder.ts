import { mkdirSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Where the console keeps its journal, logs and certificates when no folder is given. Electron passes
 * app.getPath('userData'); browser mode uses --data, then PILOT_LIGHT_DATA, then this per-user default
 * (the same place Electron would choose, so both modes share one journal on a machine).
 */
export function defaultDataFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PILOT_LIGHT_DATA) return resolve(env.PILOT_LIGHT_DATA)
  switch (platform()) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Pilot Light')
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Pilot Light')
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Pilot Light')
  }
}

export function prepareDataFolder(dir: string): { dir: string; logs: string } {
  const root = resolve(dir)
  const logs = join(root, 'logs')
  mkdirSync(logs, { recursive: true })
  return { dir: root, logs }
}
