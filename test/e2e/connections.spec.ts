import { readFileSync, writeFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import {
  demoSiteOnFreePorts,
  startConsoleProcess,
  startSimProcess,
  type ConsoleProcess,
  type SimProcess,
} from './support/console-process'

let console: ConsoleProcess | null = null
let simulator: SimProcess | null = null
test.afterEach(async () => {
  await console?.stop()
  await simulator?.stop()
  console = null
  simulator = null
})

test('shows each source with its block plan, traffic, figures and the byte-order helper', async ({
  page,
}) => {
  console = await startConsoleProcess({ site: await demoSiteOnFreePorts() })
  await page.goto(console.url)
  const temperature = page.locator('[data-tag-id="plant-001.header.temperature"]')
  await expect(temperature).toHaveAttribute('data-quality', 'good')
  const shown = Number(await temperature.getByTestId('tag-value').textContent())

  await page.getByRole('button', { name: 'Connections' }).click()
  await expect(
    page.locator('[data-testid="source-row"][data-source-id="sim-ua-2"] .source-state'),
  ).toHaveText('connected')
  await expect(
    page.locator('[data-testid="source-row"][data-source-id="sim-plc-1"] .source-state'),
  ).toHaveText('connected')

  // Modbus: the plan merges both boilers' holding registers (100–129) into one read, and the wire
  // shows read-holding frames.
  const details = page.getByTestId('source-details')
  await expect(details).toHaveAttribute('data-source-id', 'sim-plc-1')
  await expect(page.getByTestId('block-plan')).toContainText('100–129')
  await expect(page.getByTestId('traffic')).toContainText(/^.*03 00 64 00 1e/m)
  await expect(page.getByTestId('stat-rtt')).toHaveText(/^\d+(\.\d)? ms$/)
  expect(Number(await page.getByTestId('stat-requests').textContent())).toBeGreaterThan(0)

  // The byte-order helper recognises the header temperature's tenths-of-a-degree integer.
  const helper = page.getByTestId('byte-order-helper')
  await helper.getByLabel('Table').selectOption('input')
  await helper.getByLabel('Offset').fill('0')
  await helper.getByLabel('Instrument shows').fill(String(shown))
  await helper.getByRole('button', { name: 'Propose' }).click()
  await expect(page.getByTestId('byte-order-proposal').first()).toContainText(/int16\s*AB\s*0\.1/)
  await page.screenshot({ path: 'test-results/screens/connections-modbus.png', fullPage: true })

  // Bad input is refused in words, not sent.
  await helper.getByLabel('Offset').fill('70000')
  await helper.getByRole('button', { name: 'Propose' }).click()
  await expect(helper.getByRole('alert')).toContainText('Offset must be a whole number')

  // OPC UA: session and subscription state.
  await page
    .locator('[data-source-id="sim-ua-2"]')
    .getByRole('button', { name: 'sim-ua-2' })
    .click()
  await expect(details).toHaveAttribute('data-source-id', 'sim-ua-2')
  await expect(page.getByTestId('opcua-session')).toContainText(/active|connected|open/i)
  // One subscription at the source's 500 ms, monitoring every OPC UA tag of the demo site.
  const opcuaTags = readFileSync('resources/demo-site.yaml', 'utf8').match(
    /source: sim-ua-2/g,
  )?.length
  await expect(page.getByTestId('opcua-subscriptions').locator('tbody tr')).toHaveCount(1)
  await expect(page.getByTestId('opcua-subscriptions').locator('tbody td').nth(1)).toHaveText(
    '500 ms',
  )
  await expect(page.getByTestId('opcua-subscriptions').locator('tbody td').nth(2)).toHaveText(
    String(opcuaTags),
  )
  await page.screenshot({ path: 'test-results/screens/connections-opcua.png', fullPage: true })
})

test('an operator trusts a refused OPC UA server certificate and the source connects', async ({
  page,
}) => {
  const demo = await demoSiteOnFreePorts()
  const site = demo.replace('demo-site.yaml', 'secure-site.yaml')
  writeFileSync(
    site,
    readFileSync(demo, 'utf8')
      .replace('securityMode: None', 'securityMode: SignAndEncrypt')
      .replace('securityPolicy: None', 'securityPolicy: Basic256Sha256'),
  )
  // The console trusts the certificate of a simulator it starts itself; a server it did not start
  // (here the simulator run alone, as `npm run sim` does) has to be trusted by a person.
  simulator = await startSimProcess(['--site', site])
  expect(simulator.stdout()).toMatch(/sim-ua-2 {2}opc\.tcp:\/\/127\.0\.0\.1:\d+ {2}plant-002/)
  console = await startConsoleProcess({ site, args: ['--no-sim'] })
  await page.goto(console.url)
  await page.getByRole('button', { name: 'Connections' }).click()
  await page
    .locator('[data-source-id="sim-ua-2"]')
    .getByRole('button', { name: 'sim-ua-2' })
    .click()

  // Automatic acceptance is off: the simulator's certificate is refused until someone trusts it.
  const row = page.locator('[data-testid="source-row"][data-source-id="sim-ua-2"]')
  await expect(row.locator('.source-state')).toHaveText('disconnected')
  await expect(page.getByTestId('certificate-status')).toHaveText('rejected')
  await page.screenshot({ path: 'test-results/screens/certificate-rejected.png', fullPage: true })

  await page.getByRole('button', { name: 'Trust this certificate…' }).click()
  await page.getByRole('button', { name: /^Trust [0-9a-f]{8}…$/ }).click()
  await expect(row.locator('.source-state')).toHaveText('connected', { timeout: 20_000 })
  await expect(page.getByTestId('certificate-status')).toHaveText('trusted')
  await page.getByRole('button', { name: 'Overview' }).click()
  await expect(
    page.locator('[data-testid="tag-row"][data-tag-id="plant-002.header.pressure"]'),
  ).toHaveAttribute('data-quality', 'good')
})
