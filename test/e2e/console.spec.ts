import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { findFreePort } from '../support/ports'
import {
  demoSiteOnFreePorts,
  startConsoleProcess,
  type ConsoleProcess,
} from './support/console-process'

let running: ConsoleProcess[] = []
test.afterEach(async () => {
  await Promise.all(running.map((process) => process.stop()))
  running = []
})

async function start(options: Parameters<typeof startConsoleProcess>[0]): Promise<ConsoleProcess> {
  const process = await startConsoleProcess(options)
  running.push(process)
  return process
}

/** Collects everything the page reports as an error, so a test can insist there is none. */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
  page.on('pageerror', (error) => errors.push(error.message))
  return errors
}

const row = (page: Page, tagId: string) =>
  page.locator(`[data-testid="tag-row"][data-tag-id="${tagId}"]`)

test('shows live values read over Modbus TCP and OPC UA, with quality, age and source', async ({
  page,
}) => {
  const console = await start({ site: await demoSiteOnFreePorts() })
  const errors = watchErrors(page)
  await page.goto(console.url)
  await expect(page.getByTestId('site-name')).toHaveText('Demo Works')
  await expect(page).toHaveTitle('Pilot Light — Demo Works — Reading plants directly')

  const modbus = row(page, 'plant-001.boiler-1.pressure')
  const opcua = row(page, 'plant-002.header.pressure')
  for (const tag of [modbus, opcua]) {
    await expect(tag).toHaveAttribute('data-quality', 'good')
    await expect(tag.getByTestId('tag-value')).toHaveText(/^\d+\.\d\d$/)
    await expect(tag.getByTestId('tag-age')).toHaveText(/^\d+ s$/)
  }
  await expect(modbus.locator('.tag-source')).toHaveText('sim-plc-1')
  await expect(opcua.locator('.tag-source')).toHaveText('sim-ua-2')

  // Live: within 3 s each row shows a newer reading than before (its receive time moves on), and
  // its displayed age stays small. The value itself may rest at two decimals for a few seconds.
  for (const tag of [modbus, opcua]) {
    const before = Number(await tag.getAttribute('data-received'))
    await expect
      .poll(async () => Number(await tag.getAttribute('data-received')), { timeout: 3000 })
      .toBeGreaterThan(before)
    await expect(tag.getByTestId('tag-age')).toHaveText(/^[0-2] s$/)
  }
  await page.screenshot({ path: 'test-results/screens/overview.png', fullPage: true })
  expect(errors).toEqual([])
})

test('shows that the backend is lost, and recovers by itself when it returns', async ({ page }) => {
  const site = await demoSiteOnFreePorts()
  const port = await findFreePort()
  const token = 'e2e-fixed-token-for-restart'
  const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-e2e-'))
  const first = await start({ site, port, token, dataDir })
  await page.goto(first.url)
  await expect(row(page, 'plant-001.boiler-1.pressure')).toHaveAttribute('data-quality', 'good')
  await expect(page.getByTestId('link-lost')).toHaveCount(0)

  await first.stop()
  await expect(page.getByTestId('link-lost')).toContainText('Lost contact with the console backend')
  await expect(page.getByTestId('link-status')).toContainText('Reconnecting')
  // Values left on screen are no longer live, and must not look it.
  await expect(row(page, 'plant-001.boiler-1.pressure')).toHaveAttribute('data-quality', 'stale')
  await expect(row(page, 'plant-001.boiler-1.pressure').locator('.tag-quality')).toHaveText(
    'STALE: console backend lost',
  )
  await page.screenshot({ path: 'test-results/screens/backend-lost.png', fullPage: true })

  await start({ site, port, token, dataDir })
  await expect(page.getByTestId('link-lost')).toHaveCount(0, { timeout: 15_000 })
  await expect(page.getByTestId('link-status')).toContainText('Backend connected')
  await expect(row(page, 'plant-002.header.pressure')).toHaveAttribute('data-quality', 'good')
})

test('opens with a broken site file and says which file, line and field are wrong', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-light-broken-'))
  const site = join(dir, 'north-works.yaml')
  writeFileSync(
    site,
    [
      'site: { id: north-works, name: North Works }',
      'sources:',
      '  - { id: plc-a, protocol: modbus-tcp, host: 127.0.0.1, port: 502 }',
      'tags:',
      '  - id: boiler-1.pressure',
      '    source: plc-a',
      '    address: { table: holding, offset: 100, type: float33 }',
      '',
    ].join('\n'),
  )
  const console = await start({ site })
  const errors = watchErrors(page)
  await page.goto(console.url)
  const problems = page.getByTestId('site-problems')
  await expect(problems).toContainText('The site file could not be loaded')
  await expect(problems).toContainText(`${site}:7:`)
  await expect(problems).toContainText('tags[0].address.type')
  await expect(page.getByTestId('site-name')).toHaveText('No site loaded')
  await page.screenshot({ path: 'test-results/screens/broken-site.png', fullPage: true })
  expect(errors).toEqual([])
  expect(console.stderr()).toContain('site file problem')
})

test('refuses a visitor without the session token', async ({ page }) => {
  const console = await start({ site: await demoSiteOnFreePorts(), args: ['--no-sim'] })
  const response = await page.goto(`http://127.0.0.1:${console.port}/`)
  expect(response?.status()).toBe(401)
  await expect(page.locator('body')).toContainText('open the address printed by `npm run serve`')
})
