import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createBackend, type Backend } from '../../src/backend/app/backend'
import { fieldDrivers } from '../../src/backend/field/drivers'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import { createApiClient } from '../../src/shared/api/client'
import { systemScheduler } from '../../src/shared/scheduler'
import { simAddressCount, startModbusSimServer } from '../../src/sim/modbus-server'
import { createLivePlant } from '../../src/sim/live-plant'
import { directTransport } from '../support/direct-transport'
import { waitFor } from '../support/wait-for'
import { testRecording } from '../support/recording'

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

describe('byte-order helper through the API', () => {
  it('proposes the encoding of a live register, and reads fewer registers at the end of the map', async () => {
    const modbus = await startModbusSimServer({ port: 0, plant: createLivePlant() })
    stops.push(modbus.dispose)
    const loaded = parseSiteText(
      `site: { id: s, name: S }
sources: [{ id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, pollMs: 200, timeoutMs: 500 }]
tags: [{ id: p1.temperature, source: plc, address: { table: input, offset: 0, type: int16 }, scale: { factor: 0.1, offset: 0 } }]
`,
      'site.yaml',
    )
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const recorder = testRecording()
    stops.push(async () => recorder.close())
    const backend: Backend = createBackend({
      ...recorder,
      mode: 'browser',
      version: 'test',
      dataDir: mkdtempSync(join(tmpdir(), 'byte-order-')),
      siteFile: 'site.yaml',
      site: loaded.site,
      siteProblems: [],
      drivers: fieldDrivers,
      logger: silentLogger,
      scheduler: systemScheduler,
    })
    stops.push(backend.dispose)
    const transport = directTransport(backend)
    const api = createApiClient(transport)
    transport.open()
    let shown = Number.NaN
    await waitFor('a good reading', () => {
      void api.getValues({}).then((result) => {
        const value = result.ok ? result.value.values[0] : undefined
        if (value?.quality === 'good') shown = Number(value.value)
      })
      return Number.isFinite(shown)
    })

    const answer = await api.proposeByteOrder({
      sourceId: 'plc',
      table: 'input',
      offset: 0,
      expected: shown,
    })
    if (!answer.ok) throw new Error(answer.error.message)
    expect(answer.value.words).toHaveLength(4)
    expect(answer.value.proposals[0]).toMatchObject({ type: 'int16', order: 'AB', factor: 0.1 })

    // The simulator's map ends just before simAddressCount: four registers from two before the
    // end are refused, two are not.
    const nearEnd = await api.proposeByteOrder({
      sourceId: 'plc',
      table: 'holding',
      offset: simAddressCount - 2,
      expected: 0,
    })
    expect(nearEnd.ok && nearEnd.value.words).toHaveLength(2)

    const unknown = await api.proposeByteOrder({
      sourceId: 'nope',
      table: 'holding',
      offset: 0,
      expected: 1,
    })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-source' } })
  })
})
