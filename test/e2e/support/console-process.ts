import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findFreePort } from '../../support/ports'

export type ConsoleProcess = {
  url: string
  port: number
  dataDir: string
  /** Everything the process wrote to stderr so far (warnings, errors). */
  stderr: () => string
  stop: () => Promise<void>
}

const readyLine = /^Pilot Light: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+)$/m

/**
 * Starts `out/main/serve.js` (what `npm run serve` runs) and resolves once it prints its ready line.
 * The process is killed on stop(); a test never leaves one behind.
 */
export async function startConsoleProcess(options: {
  site?: string
  port?: number
  token?: string
  dataDir?: string
  args?: string[]
}): Promise<ConsoleProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pilot-light-e2e-'))
  const args = ['out/main/serve.js', '--data', dataDir, '--port', String(options.port ?? 0)]
  if (options.site) args.push('--site', options.site)
  args.push(...(options.args ?? []))
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...(options.token ? { PILOT_LIGHT_TOKEN: options.token } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line within 30 s; stderr: ${stderr}`)),
      30_000,
    )
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const found = stdout.match(readyLine)
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}; stderr: ${stderr}`))
    })
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  return { url: match[1]!, port: Number(match[2]), dataDir, stderr: () => stderr, stop }
}

/** A copy of the demo site on free ports, so tests never collide with a console someone is running. */
export async function demoSiteOnFreePorts(): Promise<string> {
  let text = readFileSync('resources/demo-site.yaml', 'utf8').replace(
    'port: 15020',
    `port: ${await findFreePort()}`,
  )
  for (const port of ['14840', '14841']) {
    text = text.replace(
      `opc.tcp://127.0.0.1:${port}`,
      `opc.tcp://127.0.0.1:${await findFreePort()}`,
    )
  }
  const file = join(mkdtempSync(join(tmpdir(), 'pilot-light-site-')), 'demo-site.yaml')
  writeFileSync(file, text)
  return file
}

export type SimProcess = {
  /** What the simulator printed: its endpoints, then scenario steps. */
  stdout: () => string
  stop: () => Promise<void>
}

/**
 * Starts `out/main/sim.js` (what `npm run sim` runs) and resolves once it has printed its endpoints,
 * for tests that need a simulator the console did not start itself.
 */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, ['out/main/sim.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the simulator was not ready within 30 s; stderr: ${stderr}`)),
      30_000,
    )
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the simulator exited with ${code}; stderr: ${stderr}`))
    })
  })
  return {
    stdout: () => stdout,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
