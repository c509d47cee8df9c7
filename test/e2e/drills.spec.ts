import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import {
  demoSiteOnFreePorts,
  startConsoleProcess,
  type ConsoleProcess,
} from './support/console-process'

let running: ConsoleProcess | null = null
test.afterEach(async () => {
  await running?.stop()
  running = null
})

/** A short drill, so the test need not wait for the 30 s lead-in of the runbook scenarios. */
function quickScenarioFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'pilot-light-scenarios-'))
  writeFileSync(
    join(folder, 'quick-gas-loss.yaml'),
    `id: quick-gas-loss
title: Quick gas loss
description: Plant 001 loses fuel 2 s in.
runbook: GL-001 › P1 Single Plant Heat Loss
severity: P1
durationSeconds: 600
steps:
  - atSeconds: 2
    fault: { id: gas-lost, kind: fuel-loss, plantId: plant-001 }
`,
  )
  return folder
}

test('an operator starts a drill, sees DRILL everywhere and the fault on the overview, then reads the debrief', async ({
  page,
}) => {
  running = await startConsoleProcess({
    site: await demoSiteOnFreePorts(),
    args: ['--scenarios', quickScenarioFolder()],
  })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
  await page.goto(running.url)
  const boiler = page.locator('[data-testid="tag-row"][data-tag-id="plant-001.boiler-1.running"]')
  await expect(boiler.getByTestId('tag-value')).toHaveText('ON')
  await expect(page.getByTestId('drill-banner')).toHaveCount(0)

  await page.getByRole('button', { name: 'Drills' }).click()
  const scenario = page.locator('[data-testid="drill-scenario"][data-scenario-id="quick-gas-loss"]')
  await scenario.getByRole('button', { name: 'Start drill…' }).click()
  await scenario.getByRole('button', { name: 'Start the drill' }).click()
  await expect(page.getByTestId('drill-banner')).toContainText(
    'DRILL Quick gas loss (P1 rehearsal)',
  )
  await expect(page).toHaveTitle(/^DRILL — Pilot Light — Demo Works — In a drill/)
  await expect(page.getByTestId('drill-log')).toContainText('t+2 s: fault gas-lost', {
    timeout: 10_000,
  })
  await page.screenshot({ path: 'test-results/screens/drill-running.png', fullPage: true })

  await page.getByRole('button', { name: 'Overview' }).click()
  await expect(page.getByTestId('drill-banner')).toBeVisible()
  await expect(boiler.getByTestId('tag-value')).toHaveText('OFF', { timeout: 10_000 })
  await page.screenshot({ path: 'test-results/screens/drill-overview.png', fullPage: true })

  await page.getByRole('button', { name: 'Drills' }).click()
  await page.getByRole('button', { name: 'End the drill' }).click()
  await expect(page.getByTestId('drill-banner')).toHaveCount(0)
  const debrief = page.getByTestId('drill-debrief')
  await expect(debrief).toContainText('ended early')
  await expect(debrief.getByTestId('debrief-row').first()).toContainText(
    'Acknowledge within 15 minutes (P1)',
  )
  // Ended a few seconds in: the 15 minutes to acknowledge had not run out, so the target is open.
  await expect(debrief.getByTestId('debrief-row').first()).toContainText('Open')
  await page.screenshot({ path: 'test-results/screens/drill-debrief.png', fullPage: true })
  // The journal holds the drill, every event of it marked DRILL.
  await page.getByRole('button', { name: 'Journal' }).click()
  const drillRows = page.locator('[data-testid="journal-row"][data-drill="true"]')
  await expect(drillRows.first()).toHaveAttribute('data-type', 'drill.ended')
  await expect(drillRows.last()).toHaveAttribute('data-type', 'drill.started')
  await expect(drillRows.first()).toContainText('DRILL')
  await page.screenshot({ path: 'test-results/screens/journal.png', fullPage: true })
  // The plant gets its fuel back when the drill ends.
  await page.getByRole('button', { name: 'Overview' }).click()
  await expect(boiler.getByTestId('tag-value')).toHaveText('ON', { timeout: 10_000 })
  expect(errors).toEqual([])
})
