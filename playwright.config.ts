import { defineConfig } from '@playwright/test'
import { chromiumArgs, findChromium } from './scripts/find-chromium.mjs'

export default defineConfig({
  globalSetup: './test/e2e/support/global-setup.ts',
  outputDir: 'test-results',
  // Each test starts its own console (server, simulator, PLC endpoints); two cores run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  projects: [
    {
      name: 'browser-mode',
      testDir: 'test/e2e',
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: findChromium() ?? undefined, args: chromiumArgs },
        screenshot: 'only-on-failure',
        viewport: { width: 1366, height: 768 },
      },
    },
    { name: 'electron', testDir: 'test/electron' },
  ],
})
