// `npm run receiver -- --db FILE [--port N] [--host ADDRESS] [--tls-key FILE --tls-cert FILE]`: the
// reference receiver of the sync protocol (see src/receiver/main.ts and docs/sync-protocol.md).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = new URL('..', import.meta.url).pathname
buildIfNeeded()
const receiver = spawn(
  process.execPath,
  [join(root, 'out/main/receiver.js'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => receiver.kill(signal))
receiver.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
