import { expect, test } from '@playwright/test'
import {
  demoSiteOnFreePorts,
  startConsoleProcess,
  startSimProcess,
  type ConsoleProcess,
  type SimProcess,
} from './support/console-process'

// Issue 6 end to end: a simulator fault raises an alarm that appears, sounds, is acknowledged and
// shelved, and whose excursion shows on the trend. The simulator runs on its own (`npm run sim`)
// at 10 times real time with the runbook's single-plant heat loss, so the gas goes 3 s in and the
// header falls through its low limit (9 bar) about 8 s in; the console reads it over Modbus TCP.

let console: ConsoleProcess | null = null
let simulator: SimProcess | null = null
test.afterEach(async () => {
  await console?.stop()
  await simulator?.stop()
  console = null
  simulator = null
})

const headerLow = 'plant-001.header.pressure:l'

test('a simulator fault raises an alarm that sounds, is acknowledged, shelved and seen on the trend', async ({
  page,
}) => {
  test.setTimeout(120_000)
  const site = await demoSiteOnFreePorts()
  console = await startConsoleProcess({ site, args: ['--no-sim'] })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
  await page.setViewportSize({ width: 1366, height: 768 })
  await page.goto(console.url)
  const summary = page.getByTestId('alarm-summary')
  // Before the simulator runs every source is lost: one communication-loss alarm each.
  await expect(summary).toHaveAttribute('data-unacknowledged', '3', { timeout: 20_000 })

  simulator = await startSimProcess([
    '--site',
    site,
    '--scenario',
    'single-plant-heat-loss',
    '--speed',
    '10',
  ])
  // The browser lets the horn sound after a gesture, as an operator's first click would.
  await page.mouse.click(5, 400)

  await page.getByRole('button', { name: 'Alarms', exact: true }).first().click()
  const flame = page.locator(
    '[data-testid="alarm-row"][data-alarm-id="plant-001.boiler-1.running:digital"]',
  )
  await expect(flame).toHaveAttribute('data-state', 'unacknowledged', { timeout: 20_000 })
  await expect(flame).toHaveAttribute('data-first-out', 'true')
  await expect(flame).toContainText('Boiler 1 flame failure')
  await expect(summary).toHaveAttribute('data-sounding', /critical|high/)
  await expect(summary).toHaveAttribute('data-audio', 'running')

  const header = page.locator(`[data-testid="alarm-row"][data-alarm-id="${headerLow}"]`)
  await expect(header).toHaveAttribute('data-state', 'unacknowledged', { timeout: 20_000 })
  await expect(header).toHaveAttribute('data-priority', 'medium')
  await page.screenshot({ path: 'test-results/screens/alarms-raised.png' })

  // The heat strip says plant 001 has lost heat, on every page.
  await expect(
    page.locator('[data-testid="heat-chip"][data-plant-id="plant-001"]'),
  ).toHaveAttribute('data-heat-state', 'lost', { timeout: 20_000 })

  await header.getByRole('button', { name: 'Acknowledge', exact: true }).click()
  await expect(header).toHaveAttribute('data-state', /^(acknowledged|normal)$/)

  // Silence: the horn stops, though alarms still wait for acknowledgement.
  await summary.getByRole('button', { name: 'Silence' }).click()
  await expect(summary).toHaveAttribute('data-sounding', '')
  expect(Number(await summary.getAttribute('data-unacknowledged'))).toBeGreaterThan(0)

  // Its trend shows the fall through the 9 bar limit, with the limit drawn.
  await header.getByRole('button', { name: 'Trend' }).click()
  await expect(page.getByTestId('trends')).toBeVisible()
  const series = page.locator(
    '[data-testid="trend-series"][data-tag-id="plant-001.header.pressure"]',
  )
  await expect(series).toBeVisible()
  await expect(
    page.locator(
      '[data-testid="trend-limit"][data-tag-id="plant-001.header.pressure"][data-level="l"]',
    ),
  ).toHaveAttribute('data-value', '9')
  // An absent figure reads as NaN, which is neither below nor above anything.
  const figure = async (name: string): Promise<number> => {
    const text = await series.getAttribute(name)
    return text === null || text === '' ? NaN : Number(text)
  }
  await expect.poll(() => figure('data-min'), { timeout: 20_000 }).toBeLessThan(9)
  expect(await figure('data-max'), errors.join('; ')).toBeGreaterThan(9)
  await page.screenshot({ path: 'test-results/screens/alarm-trend.png' })

  // Shelve it: it leaves the list for the shelved tab, with who, why and until when.
  await page.getByRole('button', { name: 'Alarms', exact: true }).first().click()
  await header.getByRole('button', { name: 'Shelve' }).click()
  const form = page.getByRole('form', { name: /^Shelve / })
  await form.getByLabel(/Reason/).fill('Header known low while gas is restored')
  await form.getByRole('button', { name: 'Shelve alarm' }).click()
  await expect(header).toHaveCount(0)
  await page.getByRole('tab', { name: /Shelved and out of service/ }).click()
  const shelved = page.locator(`[data-testid="hidden-alarm-row"][data-alarm-id="${headerLow}"]`)
  await expect(shelved).toHaveAttribute('data-state', 'shelved')
  await expect(shelved).toContainText('Header known low while gas is restored')
  await page.screenshot({ path: 'test-results/screens/alarm-shelved.png' })

  // Every step is in the journal.
  await page.getByRole('button', { name: 'Journal', exact: true }).click()
  for (const type of ['alarm.raised', 'alarm.acknowledged', 'alarm.shelved', 'heat.status-changed'])
    await expect(page.getByText(type).first()).toBeVisible()
  expect(errors).toEqual([])
})
