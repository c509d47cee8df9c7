import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { _electron as electron, expect, test } from '@playwright/test'

// Smoke test of the real desktop app: Electron main, sandboxed preload, MessagePort to the backend
// utilityProcess, renderer over app://. It needs the Electron runtime binary, which machines without
// internet cannot download (DESIGN.md §1): there it reports itself skipped with the reason, and the
// unit tests with a fake `electron` (test/unit/main-*.test.ts) cover the shell's logic instead.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const mainScript = join(root, 'out/main/index.js')

/** Where the runtime would be, the way node_modules/electron/index.js looks for it. */
function findRuntime(): { path: string } | { missing: string } {
  const electronDir = join(root, 'node_modules/electron')
  const pathFile = join(electronDir, 'path.txt')
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : ''
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  if (override) {
    const candidate = join(override, executable || 'electron')
    return existsSync(candidate)
      ? { path: candidate }
      : { missing: `ELECTRON_OVERRIDE_DIST_PATH is set but ${candidate} does not exist` }
  }
  const dist = join(electronDir, 'dist')
  if (!existsSync(dist)) {
    return {
      missing:
        'no ELECTRON_OVERRIDE_DIST_PATH and node_modules/electron/dist does not exist ' +
        '(the electron package downloads its binary on first use, and this machine cannot)',
    }
  }
  if (!executable || !existsSync(join(dist, executable))) {
    return { missing: 'node_modules/electron/dist is incomplete (no executable named by path.txt)' }
  }
  return { path: join(dist, executable) }
}

const runtime = findRuntime()

function definedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  )
}

test.describe('desktop app (Electron)', () => {
  test('opens the console window and shows live values without errors', async () => {
    test.skip(
      'missing' in runtime,
      `Electron runtime not installed here: ${'missing' in runtime ? runtime.missing : ''}`,
    )
    expect(existsSync(mainScript), `${mainScript} is missing: run \`npm run build\` first`).toBe(
      true,
    )

    const dataDir = await mkdtemp(join(tmpdir(), 'pilot-light-electron-'))
    // Playwright finds the binary itself through node_modules/electron (which honours
    // ELECTRON_OVERRIDE_DIST_PATH) and adds its own loader; passing executablePath would skip that.
    const app = await electron.launch({
      args: [mainScript, '--data', dataDir],
      cwd: root,
      // The demo site, whatever the developer's shell says.
      env: { ...definedEnv(), PILOT_LIGHT_SITE: '' },
      timeout: 60_000,
    })
    // Listen on the whole context right away, so errors during the first load count too (a CSP
    // violation, for one, shows up as a console error).
    const errors: string[] = []
    app.context().on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`)
    })
    app.context().on('weberror', (error) => errors.push(`page: ${error.error().message}`))
    try {
      const window = await app.firstWindow()

      expect(window.url()).toBe('app://pilot-light/index.html')
      await expect(window).toHaveTitle(/Pilot Light/)
      // The demo site's simulator feeds the backend; a number shows up once values flow.
      const value = window.getByTestId('tag-value').first()
      await expect(value).toHaveText(/^\s*[-−]?\d[\d,]*(?:\.\d+)?\s*$/, { timeout: 30_000 })

      // The page got nothing but the named client functions.
      const exposed = await window.evaluate(() => {
        const scope = globalThis as unknown as Record<string, unknown>
        const api = scope.pilotLight as Record<string, unknown> | undefined
        return {
          keys: api ? Object.keys(api) : [],
          hasRequire: typeof scope.require !== 'undefined',
          hasProcess: typeof scope.process !== 'undefined',
        }
      })
      expect(exposed.keys).toContain('getValues')
      expect(exposed.keys).not.toContain('invoke')
      expect(exposed.hasRequire).toBe(false)
      expect(exposed.hasProcess).toBe(false)

      expect(errors).toEqual([])
    } finally {
      await app.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
