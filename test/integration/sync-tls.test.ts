import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/backend/log/logger'
import { createSyncEngine, type SyncEngine } from '../../src/backend/sync/engine'
import { createReceiver, type Receiver } from '../../src/receiver/receiver'
import { systemScheduler } from '../../src/shared/scheduler'
import { makeTestPki, type TestPki } from '../support/sync-certificates'
import {
  expectReceiverHolds,
  heldSockets,
  openSyncJournal,
  quickTiming,
  socketsGivenBack,
  syncSiteId,
  waitForDrain,
  type SyncJournal,
} from '../support/sync-fixture'
import { waitFor } from '../support/wait-for'

// TLS to a central system signed by the plant PKI: central.caFile names the plant CA's PEM bundle,
// which replaces the public roots. A server the bundle does not vouch for is refused.

let pkiDir: string
let pki: TestPki
let journal: SyncJournal
let receiver: Receiver
let engine: SyncEngine
let sockets: string[]
let requests: number

beforeAll(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'sync-pki-'))
  pki = makeTestPki(pkiDir)
})

afterAll(() => rmSync(pkiDir, { recursive: true, force: true }))

afterEach(async () => {
  await engine.dispose()
  await receiver.dispose()
  journal.remove()
  await socketsGivenBack(sockets)
})

async function start(caFile: string | undefined): Promise<void> {
  sockets = heldSockets()
  journal = openSyncJournal()
  requests = 0
  receiver = await createReceiver({
    dbPath: join(journal.dir, 'central.sqlite'),
    tls: { key: pki.serverKey, cert: pki.serverCert },
    token: 'plant-secret',
    onExchange: () => (requests += 1),
  })
  engine = createSyncEngine({
    journal: journal.journal,
    db: journal.db,
    central: { url: receiver.url, siteId: syncSiteId, token: 'plant-secret', caFile },
    scheduler: systemScheduler,
    logger: silentLogger,
    timing: quickTiming,
  })
  engine.start()
}

async function expectRefused(pattern: RegExp): Promise<void> {
  await waitFor('the engine to give up on the server', () => engine.status().lastError !== null)
  expect(engine.status().state).toBe('offline')
  expect(engine.status().lastError?.message).toMatch(pattern)
  expect(requests).toBe(0)
}

describe('sync over TLS with the plant PKI', () => {
  it('syncs to a server the plant CA signed, with the bearer token', async () => {
    await start(pki.caFile)
    expect(receiver.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const events = journal.append(120)
    engine.kick()
    await waitForDrain(engine)
    expectReceiverHolds(receiver, events)
  })

  it('refuses the server when central.caFile names another CA', async () => {
    await start(pki.strangerCaFile)
    journal.append(5)
    await expectRefused(/certificate is not trusted .*check central\.caFile/)
  })

  it('refuses the server with the public roots alone (no caFile)', async () => {
    await start(undefined)
    journal.append(5)
    await expectRefused(/certificate is not trusted/)
  })

  it('says so when central.caFile cannot be read', async () => {
    await start(join(pkiDir, 'missing.pem'))
    await expectRefused(/Cannot use central\.caFile .*missing\.pem: ENOENT/)
  })
})
