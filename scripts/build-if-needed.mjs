// Builds the app with electron-vite when the bundles in out/ are missing or older than the sources.
// Build output goes to stderr: `npm run serve` keeps stdout for its one ready line.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const outputs = [
  'out/main/serve.js',
  'out/main/index.js',
  'out/main/backend.js',
  'out/main/probe.js',
  'out/main/sim.js',
  'out/main/verify.js',
  'out/main/receiver.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
]
const inputs = ['src', 'resources', 'electron.vite.config.ts', 'package.json']

function newest(path) {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  return readdirSync(path).reduce(
    (latest, name) => Math.max(latest, newest(join(path, name))),
    info.mtimeMs,
  )
}

export function buildIfNeeded() {
  const built = outputs.map((file) => join(root, file))
  if (built.every(existsSync)) {
    const oldestOutput = Math.min(...built.map((file) => statSync(file).mtimeMs))
    const newestInput = Math.max(...inputs.map((input) => newest(join(root, input))))
    if (oldestOutput >= newestInput) return
  }
  const result = spawnSync(join(root, 'node_modules/.bin/electron-vite'), ['build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  })
  if (result.status !== 0) {
    process.stderr.write('Pilot Light: the build failed (see above).\n')
    process.exit(result.status ?? 1)
  }
}
