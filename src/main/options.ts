import { resolve } from 'node:path'

// What the desktop app takes from its command line and environment. Same flags as browser mode
// (`npm run serve -- --site FILE --data DIR`), so a site engineer learns one set.

export type LaunchOptions = {
  /** Absolute path of the site file, or null for the built-in demo site. */
  sitePath: string | null
  /** Absolute path of the data folder to use instead of Electron's userData folder, or null. */
  dataDir: string | null
}

/** The value of `--name VALUE` or `--name=VALUE`, the last one winning; null when absent. */
export function flagValue(argv: readonly string[], name: string): string | null {
  let value: string | null = null
  argv.forEach((argument, index) => {
    if (argument === `--${name}`) {
      const next = argv[index + 1]
      if (next !== undefined && !next.startsWith('--')) value = next
    } else if (argument.startsWith(`--${name}=`)) {
      value = argument.slice(name.length + 3)
    }
  })
  return value === '' ? null : value
}

/**
 * `--site FILE` wins over `PILOT_LIGHT_SITE`; `--data DIR` over `PILOT_LIGHT_DATA`. Relative paths
 * are taken from `cwd`, because the backend process may run elsewhere.
 */
export function readLaunchOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): LaunchOptions {
  const site = flagValue(argv, 'site') ?? (env.PILOT_LIGHT_SITE || null)
  const data = flagValue(argv, 'data') ?? (env.PILOT_LIGHT_DATA || null)
  return {
    sitePath: site === null ? null : resolve(cwd, site),
    dataDir: data === null ? null : resolve(cwd, data),
  }
}
