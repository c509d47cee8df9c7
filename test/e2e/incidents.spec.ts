import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Locator, type Page } from '@playwright/test'
import {
  demoSiteOnFreePorts,
  startConsoleProcess,
  type ConsoleProcess,
} from './support/console-process'

// Issue 7 end to end: an operator takes a P0 multi-plant heat-loss drill from the console's own
// simulator through declaration, a checklist, a recorded call, two status updates, resolution and
// the post-incident review, and the timeline shows each step. The simulator runs ten times faster
// than real time, so the three headers fall below their lost thresholds about 12 s in.

let running: ConsoleProcess | null = null
test.afterEach(async () => {
  await running?.stop()
  running = null
})

/** All three plants lose fuel a second apart, 2 s into the drill. */
function cascadeScenarioFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'pilot-light-scenarios-'))
  writeFileSync(
    join(folder, 'quick-cascade.yaml'),
    `id: quick-cascade
title: Quick multi-plant cascade
description: Plants 001, 002 and 003 lose fuel 2, 3 and 4 s in.
runbook: GL-001 › P0 Critical (Multi-Plant Cascade)
severity: P0
durationSeconds: 36000
steps:
  - atSeconds: 2
    fault: { id: plant-001-fuel, kind: fuel-loss, plantId: plant-001 }
  - atSeconds: 3
    fault: { id: plant-002-fuel, kind: fuel-loss, plantId: plant-002 }
  - atSeconds: 4
    fault: { id: plant-003-fuel, kind: fuel-loss, plantId: plant-003 }
`,
  )
  return folder
}

const screens = 'test-results/screens'

async function recordCall(step: Locator, contact: string, outcome: string, note: string) {
  const form = step.getByRole('form')
  await form.getByLabel('Called').selectOption(contact)
  await form.getByLabel('Outcome').selectOption({ label: outcome })
  await form.getByLabel('What was said (optional)').fill(note)
  await form.getByRole('button', { name: 'Record call' }).click()
}

async function sendUpdate(page: Page, workspace: Locator, kind: 'initial' | 'update') {
  await workspace.getByRole('button', { name: `Draft ${kind}` }).click()
  const text = workspace.getByLabel('Status update')
  await expect(text).toHaveValue(/INC-\d{8}-001-[0-9A-F]{6}/)
  await expect(text).toHaveValue(/^DRILL/)
  await text.press('End')
  await text.pressSequentially(`\nSent by the communications lead (${kind}).`)
  await workspace.getByRole('button', { name: 'Copy and mark sent' }).click()
  await expect(
    workspace.getByTestId('incident-action-notice').filter({ hasText: 'Copied to the clipboard' }),
  ).toHaveAttribute('data-kind', 'done')
  // What went out is what the operator edited, on the clipboard and in the record.
  const copied = await page.evaluate<string>('navigator.clipboard.readText()')
  expect(copied).toContain(`Sent by the communications lead (${kind}).`)
}

test('an operator runs a P0 multi-plant heat-loss drill from declaration to review', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000)
  running = await startConsoleProcess({
    site: await demoSiteOnFreePorts(),
    args: ['--scenarios', cascadeScenarioFolder(), '--sim-speed', '10'],
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: running.url })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
  await page.setViewportSize({ width: 1366, height: 768 })
  await page.goto(running.url)
  const heat = page.locator('[data-testid="heat-chip"][data-plant-id="plant-003"]')
  await expect(heat).toHaveAttribute('data-heat-state', 'normal', { timeout: 30_000 })

  await page.getByRole('button', { name: 'Drills' }).click()
  const scenario = page.locator('[data-testid="drill-scenario"][data-scenario-id="quick-cascade"]')
  await scenario.getByRole('button', { name: 'Start drill…' }).click()
  await scenario.getByRole('button', { name: 'Start the drill' }).click()

  // The console suggests P0 once three plants have lost heat, and says so on every page.
  const suggestion = page.locator(
    '[data-testid="incident-suggestion"][data-rule="multi-plant-heat-loss"]',
  )
  await expect(page.getByTestId('incident-notice')).toContainText('P0', { timeout: 60_000 })
  await page.getByRole('button', { name: 'Incidents', exact: true }).click()
  await expect(suggestion).toHaveAttribute('data-severity', 'P0')
  await expect(suggestion).toContainText('Plant 001')
  await expect(suggestion).toContainText('Plant 003')
  await page.screenshot({ path: `${screens}/incidents-suggestion.png` })

  await suggestion.getByRole('button', { name: 'Declare…' }).click()
  const declare = page.getByTestId('incident-declare')
  await expect(declare.getByLabel('Severity')).toHaveValue('P0')
  for (const plant of ['Plant 001', 'Plant 002', 'Plant 003'])
    await expect(declare.getByLabel(plant)).toBeChecked()
  await declare.getByLabel('Incident commander').fill('Ana Ruiz')
  await declare.getByLabel('Communications lead').fill('Sam Osei')
  await declare.getByRole('button', { name: 'Declare incident' }).click()

  const workspace = page.getByTestId('incident-workspace')
  await expect(workspace).toHaveAttribute('data-severity', 'P0')
  await expect(workspace).toHaveAttribute('data-incident-id', /^INC-\d{8}-001-[0-9A-F]{6}$/)
  const incidentId = (await workspace.getAttribute('data-incident-id')) ?? ''
  await expect(workspace).toContainText('DRILL')
  // Declaring from the suggestion acknowledged it: the acknowledge clock is met.
  await expect(
    workspace.locator('[data-testid="incident-clock"][data-clock-id="acknowledge"]'),
  ).toHaveAttribute('data-state', 'met')
  await expect(
    workspace.locator('[data-testid="incident-clock"][data-clock-id="action"]'),
  ).toHaveAttribute('data-state', 'running')
  // Life-safety consumers are short of heat: each has a restoration clock.
  await expect(
    workspace.locator('[data-testid="consumer-clock"][data-unit-id="consumer-hospital-hvac"]'),
  ).toHaveCount(2, { timeout: 60_000 })
  await page.screenshot({ path: `${screens}/incidents-workspace.png` })

  // P0: the safety officer must be called at once.
  const safety = workspace.locator(
    '[data-testid="escalation-step"][data-level-id="safety-officer"]',
  )
  await expect(safety).toHaveAttribute('data-state', 'due')
  await expect(safety).toContainText('+1 555 0104')
  await recordCall(safety, 'Jonas Lindqvist', 'reached', 'on his way to plant 001')
  await expect(safety).toHaveAttribute('data-state', 'reached')

  // A checklist item the operator answers, and one the console judged from live data.
  const backup = workspace.locator(
    '[data-testid="checklist"][data-checklist-id="emergency-assessment"] [data-testid="checklist-item"][data-item-id="backup-heat"]',
  )
  await backup.getByRole('checkbox').check()
  await expect(backup).toHaveAttribute('data-done', 'true')
  const informed = workspace.locator(
    '[data-testid="checklist-item"][data-item-id="safety-officer-informed"]',
  )
  await expect(informed).toHaveAttribute('data-state', 'met')
  const plantsNormal = workspace.locator(
    '[data-testid="checklist"][data-checklist-id="heat-restoration"] [data-testid="checklist-item"][data-item-id="plants-heat-normal"]',
  )
  await expect(plantsNormal).toHaveAttribute('data-state', 'not-met')
  await expect(plantsNormal).toContainText('0 of 3 plants normal')

  await workspace.getByLabel('What was done').fill('Backup boilers started on local control')
  await workspace.getByRole('button', { name: 'Record mitigation' }).click()
  await expect(
    workspace.locator('[data-testid="incident-clock"][data-clock-id="action"]'),
  ).toHaveAttribute('data-state', 'met')

  await sendUpdate(page, workspace, 'initial')
  await expect(workspace.getByTestId('update-clock')).toHaveAttribute('data-kind', 'update')
  await sendUpdate(page, workspace, 'update')

  // The note box is one keystroke away.
  await workspace.getByRole('heading', { name: 'Timeline' }).click()
  await page.keyboard.press('n')
  await expect(workspace.getByLabel('Note', { exact: true })).toBeFocused()
  await page.keyboard.type('Fuel supplier says the main valve tripped')
  await page.keyboard.press('Control+Enter')
  await expect(workspace.getByLabel('Note', { exact: true })).toHaveValue('')

  // Heat is not back: resolving needs the reason the criteria are open.
  await workspace.getByLabel('Resolution summary').fill('Drill ended by the commander')
  await workspace.getByLabel(/Why resolve with criteria open/).fill('drill stopped here')
  await workspace.getByRole('button', { name: 'Resolve incident' }).click()
  await expect(workspace).toHaveAttribute('data-state', 'resolved')

  const review = workspace.getByTestId('incident-review')
  await expect(review.getByLabel('Summary')).toHaveValue(/P0/)
  await review.getByLabel('Root cause').fill('Fuel supply main valve tripped on low pressure')
  await review.getByRole('button', { name: 'Add action item' }).click()
  await review.getByLabel('Action item 1').fill('Add fuel pressure to the site file')
  await review.getByLabel('Owner of item 1').fill('Priya Natarajan')
  await review.getByRole('button', { name: 'Save review' }).click()
  await expect(review.getByTestId('incident-review-saved')).toContainText('Saved (version 1)')
  await page.screenshot({ path: `${screens}/incidents-review.png`, fullPage: true })

  // The timeline tells the whole story, in order.
  const timeline = workspace.getByTestId('timeline')
  const entry = (category: string, text: string | RegExp) =>
    timeline
      .locator(`[data-testid="timeline-entry"][data-category="${category}"]`)
      .filter({ hasText: text })
  await expect(entry('incident', 'P0 drill declared')).toHaveCount(1)
  await expect(entry('call', 'Jonas Lindqvist')).toHaveCount(1)
  await expect(entry('checklist', 'Backup heat available (yes or no noted) done')).toHaveCount(1)
  await expect(entry('update', 'Status update sent (initial)')).toHaveCount(1)
  await expect(entry('update', 'Status update sent (update)')).toHaveCount(1)
  await expect(entry('note', 'main valve tripped')).toHaveCount(1)
  await expect(entry('incident', /resolved/i)).toHaveCount(1)
  await expect(entry('incident', /review/i)).toHaveCount(1)
  await expect(entry('heat', 'Heat at plant-001: ')).not.toHaveCount(0)
  await expect(entry('alarm', /flame failure/i)).not.toHaveCount(0)
  await page.screenshot({ path: `${screens}/incidents-timeline.png` })

  // The journal holds the same record.
  await page.getByRole('button', { name: 'Journal' }).click()
  await expect(page.getByText(incidentId).first()).toBeVisible()
  expect(errors).toEqual([])
})
