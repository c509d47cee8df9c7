import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startConsole, type RunningConsole } from '../../src/backend/app/start-console'
import { silentLogger } from '../../src/backend/log/logger'
import { journalFileName } from '../../src/backend/store/database'
import { createApiClient, type PilotLightApi } from '../../src/shared/api/client'
import { systemScheduler } from '../../src/shared/scheduler'
import { directTransport } from '../support/direct-transport'
import { findFreePort } from '../support/ports'
import { waitFor } from '../support/wait-for'

// The console as both entries start it: site file, console id, journal, and what it records. Real
// files in temp folders; a Modbus source on a free loopback port that nothing answers.

const running: RunningConsole[] = []
afterEach(async () => {
  for (const item of running.splice(0)) await item.dispose()
})

async function siteWithSilentPlc(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-light-site-'))
  const file = join(dir, 'site.yaml')
  writeFileSync(
    file,
    `site: { id: s, name: S }
sources: [{ id: plc-a, protocol: modbus-tcp, host: 127.0.0.1, port: ${await findFreePort()}, pollMs: 200, timeoutMs: 200 }]
tags: [{ id: p1.pressure, source: plc-a, unit: bar, address: { table: holding, offset: 0, type: float32 } }]
`,
  )
  return file
}

async function start(dataDir: string, siteFile: string): Promise<PilotLightApi> {
  const console = await startConsole({
    mode: 'browser',
    siteFile,
    dataDir,
    simulate: true,
    scenariosDir: resolve('resources/scenarios'),
    logger: silentLogger,
    scheduler: systemScheduler,
  })
  running.push(console)
  const transport = directTransport(console.backend)
  const api = createApiClient(transport)
  transport.open()
  return api
}

describe('starting the console', () => {
  it('keeps one console id across starts and journals a lost source, chained after what was there', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-data-'))
    const site = await siteWithSilentPlc()
    const api = await start(dataDir, site)
    const info = await api.getSystemInfo({})
    if (!info.ok) throw new Error(info.error.message)
    expect(info.value.recording).toMatchObject({
      state: 'recording',
      problem: null,
      recovery: null,
    })
    expect(info.value.consoleId).toMatch(/^[a-z0-9-]+-[0-9a-f]{8}$/)
    let types: string[] = []
    await waitFor('the lost source in the journal', () => {
      void api.getJournal({ limit: 10 }).then((result) => {
        if (result.ok) types = result.value.events.map((event) => event.type)
      })
      return types.includes('source.lost')
    })
    await running.pop()?.dispose()

    const again = await start(dataDir, site)
    const second = await again.getSystemInfo({})
    expect(second.ok && second.value.consoleId).toBe(info.value.consoleId)
    expect(JSON.parse(readFileSync(join(dataDir, 'console.json'), 'utf8'))).toEqual({
      consoleId: info.value.consoleId,
      previousIds: [],
    })
    const journal = await again.getJournal({ limit: 10 })
    expect(journal.ok && journal.value.events.at(-1)).toMatchObject({
      seq: 1,
      type: 'source.lost',
      actor: 'system',
      data: { sourceId: 'plc-a' },
    })
  })

  it('keeps every reading in the tag history, within the disk budget it reports', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-data-'))
    const api = await start(dataDir, await siteWithSilentPlc())
    const from = Date.now()
    let points = 0
    await waitFor('readings in the history', () => {
      void api
        .queryHistory({ tagIds: ['p1.pressure'], from, to: Date.now() + 1000, maxPoints: 500 })
        .then((result) => {
          if (result.ok) points = result.value.series[0]?.points.length ?? 0
        })
      return points >= 2
    })
    const history = await api.queryHistory({
      tagIds: ['p1.pressure'],
      from,
      to: Date.now() + 1000,
      maxPoints: 500,
    })
    // Nothing answers the PLC: every reading is kept, as bad, with no value.
    expect(history.ok && history.value.series[0]?.points[0]).toMatchObject({ quality: 'bad' })
    const storage = await api.getStorage({})
    expect(storage.ok && storage.value).toMatchObject({
      budgetBytes: 4096 * 1024 * 1024,
      warning: false,
      historyProblem: null,
    })
    expect(storage.ok && storage.value.journalBytes).toBeGreaterThan(0)
    expect(storage.ok && storage.value.historyBytes).toBeGreaterThan(0)
  })

  it('opens without recording when the journal cannot be opened, says why, and refuses drills', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-data-'))
    // A folder where the journal file should be: SQLite cannot open it.
    mkdirSync(join(dataDir, journalFileName))
    const api = await start(dataDir, await siteWithSilentPlc())
    const info = await api.getSystemInfo({})
    expect(info.ok && info.value.recording.state).toBe('refused')
    expect(info.ok && info.value.recording.problem).toContain(journalFileName)
    const drill = await api.startDrill({ scenarioId: 'single-plant-heat-loss' })
    expect(drill).toMatchObject({ ok: false, error: { code: 'not-recording' } })
  })

  it('keeps a damaged journal aside, starts a new one and tells the operator', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-data-'))
    writeFileSync(join(dataDir, journalFileName), 'this is not a database, it is a damaged file')
    const api = await start(dataDir, await siteWithSilentPlc())
    const info = await api.getSystemInfo({})
    if (!info.ok) throw new Error(info.error.message)
    expect(info.value.recording.state).toBe('recording')
    expect(info.value.recording.recovery?.keptAs).toMatch(/journal\.damaged-.*\.sqlite$/)
    expect(readFileSync(info.value.recording.recovery?.keptAs ?? '', 'utf8')).toBe(
      'this is not a database, it is a damaged file',
    )
    const journal = await api.getJournal({ limit: 10 })
    const recovered = journal.ok ? journal.value.events.at(-1) : undefined
    expect(recovered?.type).toBe('journal.recovered')
    // Its seqs start again at 1, so the new journal syncs as a new console, and says which it was.
    const identity = JSON.parse(readFileSync(join(dataDir, 'console.json'), 'utf8')) as {
      consoleId: string
      previousIds: string[]
    }
    expect(identity.consoleId).toBe(`${identity.previousIds[0]}-r2`)
    expect(info.value.consoleId).toBe(identity.consoleId)
    expect(recovered?.data.previousConsoleId).toBe(identity.previousIds[0])
    expect(info.value.recording.recovery?.message).toContain(`now syncs as ${identity.consoleId}`)
  })

  it('opens without recording, saying why, when the console id file is unreadable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pilot-light-data-'))
    writeFileSync(join(dataDir, 'console.json'), '')
    const api = await start(dataDir, await siteWithSilentPlc())
    const info = await api.getSystemInfo({})
    expect(info.ok && info.value.recording).toMatchObject({
      state: 'refused',
      problem: expect.stringContaining("console.json does not hold this console's id"),
    })
    // The file is left as it was for someone to restore, not quietly replaced.
    expect(readFileSync(join(dataDir, 'console.json'), 'utf8')).toBe('')
  })
})
