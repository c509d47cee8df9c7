// `npm run probe -- --site FILE [--json]`: the commissioning probe (see src/backend/entry/probe.ts).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = new URL('..', import.meta.url).pathname
buildIfNeeded()
const probe = spawn(process.execPath, [join(root, 'out/main/probe.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
})
probe.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
