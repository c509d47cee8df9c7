// `npm test`: unit and integration tests (vitest), then end-to-end tests (Playwright in Chromium
// against browser mode, and the Electron smoke test where a runtime exists). Ends with one summary line.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { chromiumInstructions, findChromium } from './find-chromium.mjs'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const vitestReport = join(root, '.vitest-results.json')
const playwrightReport = join(root, '.playwright-results.json')

const chromium = findChromium()
if (!chromium) {
  console.error(chromiumInstructions)
  process.exit(2)
}

for (const report of [vitestReport, playwrightReport]) rmSync(report, { force: true })

const vitest = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`],
  { cwd: root, stdio: 'inherit' },
)
const playwright = spawnSync(bin('playwright'), ['test'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport },
})

/** Walks Playwright's JSON report for skipped tests and the reasons they gave. */
function skippedTests(suites, path = []) {
  return suites.flatMap((suite) => [
    ...skippedTests(suite.suites ?? [], [...path, suite.title]),
    ...(suite.specs ?? []).flatMap((spec) =>
      spec.tests
        .filter((test) => test.status === 'skipped')
        .map((test) => ({
          title: [...path, suite.title, spec.title].filter(Boolean).join(' › '),
          reason:
            test.annotations.find((note) => note.type === 'skip')?.description ?? 'no reason given',
        })),
    ),
  ])
}

const totals = { passed: 0, failed: 0, skipped: 0 }
if (existsSync(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, 'utf8'))
  totals.passed += report.numPassedTests
  totals.failed += report.numFailedTests
  totals.skipped += report.numPendingTests + report.numTodoTests
}
if (existsSync(playwrightReport)) {
  const report = JSON.parse(readFileSync(playwrightReport, 'utf8'))
  totals.passed += report.stats.expected + report.stats.flaky
  totals.failed += report.stats.unexpected
  totals.skipped += report.stats.skipped
  // The list reporter shows a skipped test as a dash; say why it was skipped.
  for (const { title, reason } of skippedTests(report.suites ?? []))
    console.log(`skipped: ${title}: ${reason}`)
}
// A runner that crashed before writing its report still fails the run.
const runnersFailed = vitest.status !== 0 || playwright.status !== 0
if (runnersFailed && totals.failed === 0) totals.failed = 1
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(runnersFailed ? 1 : 0)
