import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { createReceiver, type Receiver } from '../../src/receiver/receiver'
import { createLivePlant } from '../../src/sim/live-plant'
import { startModbusSimServer, type ModbusSimServer } from '../../src/sim/modbus-server'
import { findFreePort } from '../support/ports'
import { startConsoleProcess, type ConsoleProcess } from './support/console-process'

// Sync as an operator sees it: the banner says where sync stands, a central system that goes away
// leaves a visible backlog that drains when it returns, and what it refuses waits in quarantine
// until the operator sends it again. The central system is the reference receiver on loopback.

let console: ConsoleProcess | null = null
let receiver: Receiver | null = null
let plc: ModbusSimServer | null = null
test.afterEach(async () => {
  await console?.stop()
  await receiver?.dispose()
  await plc?.dispose()
  console = null
  receiver = null
  plc = null
})

async function siteSyncingTo(port: number, plcPort: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-light-sync-site-'))
  const file = join(dir, 'site.yaml')
  // One PLC that does not answer at first: its loss, and later its return, are journal events.
  writeFileSync(
    file,
    `site: { id: sync-works, name: Sync Works }
central: { url: "http://127.0.0.1:${port}" }
sources: [{ id: plc-a, protocol: modbus-tcp, host: 127.0.0.1, port: ${plcPort}, pollMs: 500, timeoutMs: 300 }]
tags: [{ id: p1.pressure, source: plc-a, unit: bar, address: { table: holding, offset: 0, type: float32 } }]
`,
  )
  return file
}

test('shows sync online, a backlog while the central system is away, and a quarantine the operator empties', async ({
  page,
}) => {
  const port = await findFreePort()
  const plcPort = await findFreePort()
  const dbPath = join(mkdtempSync(join(tmpdir(), 'pilot-light-central-')), 'central.sqlite')
  receiver = await createReceiver({ dbPath, port })
  console = await startConsoleProcess({ site: await siteSyncingTo(port, plcPort) })
  const { consoleId } = JSON.parse(readFileSync(join(console.dataDir, 'console.json'), 'utf8')) as {
    consoleId: string
  }
  await page.goto(console.url)
  const banner = page.getByTestId('sync-status')
  await expect(banner).toHaveText('Sync: online · nothing waiting', { timeout: 15_000 })
  // The PLC is not there yet: its outage, the communication-loss alarm it raises, and (the site's
  // only source being silent) the incident workspace's suggestion of a P0 SCADA outage.
  await expect
    .poll(() => receiver?.store.events(consoleId).map((event) => event.type), { timeout: 10_000 })
    .toEqual(['source.lost', 'alarm.raised', 'incident.suggestion-raised'])

  // The central system goes away; what the console records meanwhile waits, visibly.
  await receiver.dispose()
  receiver = null
  // The PLC answers at last: its restoration, the alarm's return and the suggestion's clearing are
  // journal events the central system does not have.
  plc = await startModbusSimServer({ port: plcPort, plant: createLivePlant() })
  await expect(banner).toHaveText(/^Sync: (offline|retrying) · 3 waiting, oldest \d+ s$/, {
    timeout: 15_000,
  })
  await page.getByRole('button', { name: 'Sync' }).click()
  await expect(page.getByTestId('sync-state')).toHaveText(/^(offline|retrying)$/)
  await expect(page.getByTestId('sync-error')).not.toHaveText('none')
  await page.screenshot({ path: 'test-results/screens/sync-offline.png', fullPage: true })

  // It comes back on the same address and store, and refuses the next batch outright (HTTP 400).
  receiver = await createReceiver({ dbPath, port })
  receiver.injectFault({
    stream: 'journal',
    kind: 'status',
    status: 400,
    message: 'schema check failed',
  })
  await page.getByRole('button', { name: 'Try now' }).click()
  const quarantine = page.getByTestId('quarantine')
  await expect(quarantine.getByTestId('quarantine-item').first()).toContainText(
    '400: schema check failed',
    { timeout: 15_000 },
  )
  // The refused batch is the one first tried while the receiver was away (a retry resends the same
  // batch): the restoration and the alarm's return, and the suggestion's clearing if it had been
  // recorded by then; an event recorded later went in a batch of its own.
  await expect(banner).toContainText(/[23] in quarantine/)
  await page.screenshot({ path: 'test-results/screens/sync-quarantine.png', fullPage: true })

  // The operator sends it again; the central system takes it and holds every event exactly once.
  await quarantine.getByRole('button', { name: 'Send all again' }).click()
  await expect(banner).toHaveText('Sync: online · nothing waiting', { timeout: 15_000 })
  await expect(quarantine.getByTestId('quarantine-item')).toHaveCount(0)
  const held = receiver.store.events(consoleId)
  expect(held.map((event) => `${event.seq} ${event.type}`)).toEqual([
    '1 source.lost',
    '2 alarm.raised',
    '3 incident.suggestion-raised',
    '4 source.restored',
    '5 alarm.returned',
    '6 incident.suggestion-cleared',
  ])
})
