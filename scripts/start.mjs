#!/usr/bin/env node
// `npm start [-- --site FILE --data DIR ...]`: builds the app, then runs it as the desktop app when
// the Electron runtime is present, or in browser mode when it is not (DESIGN.md §1: the runtime is
// downloaded on first use, which machines without internet cannot do).
//
// Our own messages go to stderr: in browser mode, stdout carries exactly the one line
// `Pilot Light: http://127.0.0.1:PORT/?token=TOKEN` that scripts wait for.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = join(root, 'node_modules', 'electron')
const args = process.argv.slice(2)
const installTimeoutMs = 60_000

const say = (message) => process.stderr.write(`${message}\n`)

/** Runs a command with inherited stdio; SIGINT/SIGTERM/SIGHUP sent to us go to it too. */
function run(command, commandArgs, options = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', ...options })
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP']
    for (const signal of signals) process.on(signal, forward)
    const done = (result) => {
      for (const signal of signals) process.off(signal, forward)
      resolvePromise(result)
    }
    child.on('error', (error) => done({ code: 1, signal: null, error }))
    child.on('exit', (code, signal) => done({ code, signal, error: null }))
  })
}

/** Exit code for a child's result: its own code, or 128 + signal number as shells do. */
function exitCodeOf({ code, signal }) {
  if (code !== null) return code
  return 128 + (constants.signals[signal] ?? 1)
}

/** The executable's path inside the dist folder, as electron's own installer writes it. */
function executableName() {
  const pathFile = join(electronDir, 'path.txt')
  if (existsSync(pathFile)) return readFileSync(pathFile, 'utf8').trim()
  if (process.platform === 'win32') return 'electron.exe'
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron'
  return 'electron'
}

/** Where the runtime is, or why it is not there: the same lookup as node_modules/electron/index.js. */
function findRuntime() {
  const executable = executableName()
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) {
    const candidate = join(override, executable)
    return existsSync(candidate)
      ? { path: candidate }
      : { missing: `ELECTRON_OVERRIDE_DIST_PATH is set, but ${candidate} does not exist` }
  }
  const candidate = join(electronDir, 'dist', executable)
  if (existsSync(join(electronDir, 'path.txt')) && existsSync(candidate)) return { path: candidate }
  return { missing: 'node_modules/electron/dist does not hold the Electron binary' }
}

/** One attempt with electron's own installer; returns a one-line reason when it fails. */
function tryInstallRuntime() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return 'ELECTRON_SKIP_BINARY_DOWNLOAD is set'
  // The installer fills node_modules/electron/dist, which an override would ignore anyway.
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return 'ELECTRON_OVERRIDE_DIST_PATH is set'
  say('Pilot Light: the Electron runtime is not installed; trying to download it once…')
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: installTimeoutMs,
    killSignal: 'SIGKILL',
  })
  if (result.error?.code === 'ETIMEDOUT')
    return `the download did not finish within ${installTimeoutMs / 1000} s`
  if (result.error) return result.error.message
  if (result.status !== 0) {
    // The installer prints a stack trace; its first line says what went wrong.
    const firstLine = `${result.stderr}\n${result.stdout}`
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '' && !line.startsWith('at '))
    return firstLine ?? `the installer exited with code ${result.status}`
  }
  return null
}

/**
 * The journal's SQLite binding is built for Node's ABI by `npm install` (so `npm test` works); the
 * desktop backend needs it built for Electron's. We do not rebuild it here, because that would
 * break `npm test` on this checkout (docs/desktop.md, "Native modules and the two ABIs"): we say so.
 */
function warnAboutNativeModules() {
  if (!existsSync(join(root, 'node_modules', 'better-sqlite3'))) return
  const probe = spawnSync(
    process.execPath,
    ['-e', "require('better-sqlite3')(':memory:').close()"],
    {
      cwd: root,
      stdio: 'ignore',
    },
  )
  if (probe.status !== 0) return // not loadable by Node: presumably built for Electron already
  say(
    [
      'Pilot Light: better-sqlite3 is built for Node, not for Electron; the desktop backend will not',
      '  be able to open its journal. Run `npx electron-builder install-app-deps` first, and',
      '  `npm rebuild better-sqlite3` before going back to `npm test` (see docs/desktop.md).',
    ].join('\n'),
  )
}

async function main() {
  const bin = join(
    root,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite',
  )
  // Build output goes to stderr too, for the same reason as our messages.
  const build = await run(bin, ['build'], {
    shell: process.platform === 'win32',
    stdio: ['ignore', 2, 2],
  })
  if (build.error) say(`Pilot Light: could not run electron-vite: ${build.error.message}`)
  if (build.code !== 0) return exitCodeOf(build)

  let runtime = findRuntime()
  if (!runtime.path) {
    const failure = tryInstallRuntime()
    runtime = findRuntime()
    if (!runtime.path) {
      say(
        [
          '',
          'Pilot Light: the Electron runtime is not available on this machine.',
          `  There is no Electron binary (${runtime.missing}),`,
          `  and none could be fetched (${failure ?? 'the installer left no binary'}).`,
          '  Starting the console in browser mode instead: open the address printed below in a browser.',
          '  (To use the desktop app, install the runtime on a machine with internet access, or set',
          '  ELECTRON_OVERRIDE_DIST_PATH to a folder holding the Electron binary.)',
          '',
        ].join('\n'),
      )
      return exitCodeOf(await run(process.execPath, [join(root, 'scripts', 'serve.mjs'), ...args]))
    }
  }

  warnAboutNativeModules()
  // ELECTRON_RUN_AS_NODE would make the binary a plain Node and run nothing of the app.
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  const result = await run(runtime.path, [root, ...args], { env })
  if (result.error)
    say(`Pilot Light: could not start Electron (${runtime.path}): ${result.error.message}`)
  return exitCodeOf(result)
}

process.exitCode = await main()
