// Finds a Chromium for the browser tests: CHROMIUM_PATH, then Debian's /usr/bin/chromium, then a
// browser Playwright downloaded earlier on a machine that could. Returns null when there is none.
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate
  }
  const cache = env.PLAYWRIGHT_BROWSERS_PATH ?? join(homedir(), '.cache', 'ms-playwright')
  if (!existsSync(cache)) return null
  for (const folder of readdirSync(cache)
    .filter((name) => name.startsWith('chromium-'))
    .sort()
    .reverse()) {
    for (const binary of ['chrome-linux/chrome', 'chrome-linux64/chrome']) {
      if (existsSync(join(cache, folder, binary))) return join(cache, folder, binary)
    }
  }
  return null
}

export const chromiumInstructions =
  "No Chromium found for the browser tests. Install Debian's: `sudo apt-get install chromium` " +
  '(or set CHROMIUM_PATH to a Chromium or Chrome binary).'

// The flags a locked-down machine needs: no sandbox as root, no GPU, and no background calls home
// (there is no network for them here, and a control-room console should not make them anyway).
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]
