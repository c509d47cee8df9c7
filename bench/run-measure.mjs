// Runs one TypeScript measurement (bench/*.measure.ts) under vitest, which can load the product's
// TypeScript, and returns the figures it wrote to the file named by MEASURE_OUTPUT.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const limitMs = 300_000

export async function runMeasure(file) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-measure-'))
  const output = join(dir, 'figures.json')
  try {
    const child = spawn(
      join(root, 'node_modules', '.bin', 'vitest'),
      ['run', '--config', 'bench/vitest.bench.config.ts', file],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, MEASURE_OUTPUT: output },
      },
    )
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
      child.once('exit', (exitCode, signal) => {
        clearTimeout(timer)
        resolve(exitCode ?? signal)
      })
    })
    if (code !== 0) throw new Error(`${file} failed (${code})`)
    return JSON.parse(readFileSync(output, 'utf8'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
