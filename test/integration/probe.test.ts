import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatProbeTable, probeSite } from '../../src/backend/field/probe'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import { startModbusSimServer } from '../../src/sim/modbus-server'
import { createLivePlant } from '../../src/sim/live-plant'
import { startOpcUaSimServer } from '../../src/sim/opcua-server'
import { findFreePort } from '../support/ports'

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()))
})

describe('probe', () => {
  it('reads every tag once over both protocols and says why the bad ones are bad', async () => {
    const plant = createLivePlant()
    const modbus = await startModbusSimServer({ port: 0, plant })
    stops.push(modbus.dispose)
    const opcuaPort = await findFreePort()
    const opcua = await startOpcUaSimServer({ port: opcuaPort, plant })
    stops.push(opcua.dispose)
    const closedPort = await findFreePort()
    const loaded = parseSiteText(
      `site: { id: s, name: S }
sources:
  - { id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, pollMs: 200, timeoutMs: 500 }
  - { id: dead, protocol: modbus-tcp, host: 127.0.0.1, port: ${closedPort}, pollMs: 200, timeoutMs: 500 }
  - { id: ua, protocol: opcua, endpoint: "${opcua.endpoint}", samplingMs: 200 }
tags:
  - { id: p1.pressure, source: plc, unit: bar, address: { table: holding, offset: 100, type: float32 } }
  - { id: p1.missing, source: plc, unit: bar, address: { table: holding, offset: 400, type: float32 } }
  - { id: p9.pressure, source: dead, unit: bar, address: { table: holding, offset: 100, type: float32 } }
  - { id: p2.header, source: ua, unit: bar, nodeId: "ns=1;s=plant-002.header.pressure" }
`,
      'site.yaml',
    )
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const rows = await probeSite(loaded.site, {
      dataDir: mkdtempSync(join(tmpdir(), 'probe-')),
      waitMs: 8000,
      logger: silentLogger,
    })
    const byId = new Map(rows.map((row) => [row.id, row]))
    expect(byId.get('p1.pressure')).toMatchObject({ quality: 'good', unit: 'bar', source: 'plc' })
    // A plant in normal operation: plant-001 boiler 1 drum near 12.24 bar, plant-002 header at its
    // 9.6 bar setpoint, each within a few times its 0.02 bar noise (0.15 bar allows for that).
    expect(Math.abs(Number(byId.get('p1.pressure')?.value) - 12.24)).toBeLessThan(0.15)
    expect(byId.get('p2.header')).toMatchObject({ quality: 'good', source: 'ua' })
    expect(Math.abs(Number(byId.get('p2.header')?.value) - 9.6)).toBeLessThan(0.15)
    expect(byId.get('p1.missing')).toMatchObject({ quality: 'bad' })
    expect(byId.get('p1.missing')?.reason).toMatch(/illegal data address/)
    expect(byId.get('p9.pressure')).toMatchObject({ quality: 'bad', value: null })
    expect(byId.get('p9.pressure')?.reason).toMatch(/ECONNREFUSED|refused/i)
    for (const row of rows) expect(Date.parse(row.ts)).not.toBeNaN()

    const table = formatProbeTable(rows)
    expect(table.split('\n')[0]).toMatch(/^TAG\s+VALUE\s+UNIT\s+QUALITY\s+SOURCE\s+TIME$/)
    expect(table.trim().split('\n').at(-1)).toBe('2 of 4 tags not good')
  })
})
