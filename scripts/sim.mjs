// `npm run sim -- [--site FILE] [--scenario NAME] [--speed N] [--seed N]`: the plant simulator alone
// (see src/backend/entry/sim.ts).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = new URL('..', import.meta.url).pathname
buildIfNeeded()
const sim = spawn(process.execPath, [join(root, 'out/main/sim.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => sim.kill(signal))
sim.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
