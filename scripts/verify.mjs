// `npm run verify -- FILE [--json]`: checks a journal database (see src/backend/entry/verify.ts).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = new URL('..', import.meta.url).pathname
buildIfNeeded()
const verify = spawn(
  process.execPath,
  [join(root, 'out/main/verify.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
)
verify.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
