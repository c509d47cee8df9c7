import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createBackend } from '../../src/backend/app/backend'
import { fieldDrivers } from '../../src/backend/field/drivers'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import { createApiClient } from '../../src/shared/api/client'
import { systemScheduler } from '../../src/shared/scheduler'
import { createLivePlant } from '../../src/sim/live-plant'
import { startModbusSimServer } from '../../src/sim/modbus-server'
import { loadScenarioDirectory } from '../../src/sim/process'
import { directTransport } from '../support/direct-transport'
import { waitFor } from '../support/wait-for'
import { testRecording } from '../support/recording'

// DESIGN.md §4: a drill can never write to a real PLC. Two PLCs on loopback: one the console's own
// simulator serves, and one standing in for a plant PLC (a second simulator the console was not
// told about, so to the console it is as real as any). Writes go through the backend, the real
// Modbus driver and real sockets; what reached each PLC is read from its plant.

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

const valve = 'plant-001.consumer-hospital-hvac.valve'
const valveAddress = '{ table: holding, offset: 200, type: float32, order: CDAB }'

describe('writes during a drill', () => {
  it('reach the simulator, and are refused for a real source with nothing sent to it', async () => {
    const simulatedPlant = createLivePlant({ seed: 1 })
    const realPlant = createLivePlant({ seed: 2 })
    const simulated = await startModbusSimServer({ port: 0, plant: simulatedPlant })
    const real = await startModbusSimServer({ port: 0, plant: realPlant })
    stops.push(simulated.dispose, real.dispose)
    const loaded = parseSiteText(
      `site: { id: s, name: S }
sources:
  - { id: sim-plc, protocol: modbus-tcp, host: 127.0.0.1, port: ${simulated.port}, pollMs: 200, simulated: true }
  - { id: plant-plc, protocol: modbus-tcp, host: 127.0.0.1, port: ${real.port}, pollMs: 200 }
tags:
  - { id: sim.valve, source: sim-plc, unit: '%', address: ${valveAddress} }
  - { id: real.valve, source: plant-plc, unit: '%', address: ${valveAddress} }
`,
      'site.yaml',
    )
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const recorder = testRecording()
    stops.push(async () => recorder.close())
    const backend = createBackend({
      ...recorder,
      mode: 'browser',
      version: 'test',
      dataDir: mkdtempSync(join(tmpdir(), 'drill-writes-')),
      siteFile: 'site.yaml',
      site: loaded.site,
      siteProblems: [],
      drivers: fieldDrivers,
      logger: silentLogger,
      scheduler: systemScheduler,
      simulator: {
        plant: simulatedPlant,
        sourceIds: new Set(['sim-plc']),
        plants: new Set(['plant-001']),
      },
      scenarios: await loadScenarioDirectory(resolve('resources/scenarios')),
    })
    stops.push(backend.dispose)
    const transport = directTransport(backend)
    const api = createApiClient(transport)
    transport.open()
    let goodReadings = 0
    await waitFor('a good reading from both PLCs', () => {
      void api.getValues({}).then((result) => {
        if (result.ok) {
          goodReadings = result.value.values.filter((value) => value.quality === 'good').length
        }
      })
      return goodReadings === 2
    })

    // Outside a drill the real PLC takes writes (the controls feature puts its checks in front).
    expect(await backend.writeTag('real.valve', 58)).toEqual({ ok: true, value: undefined })
    expect(realPlant.read(valve)).toBeCloseTo(58, 4)

    const started = await api.startDrill({ scenarioId: 'single-plant-heat-loss' })
    expect(started.ok).toBe(true)
    const refused = await backend.writeTag('real.valve', 40)
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'drill-real-source',
        message:
          'real.valve was not written: A drill is running, so writes go only to the simulator, and source "plant-plc" is not one the console\'s own simulator serves on this machine. End the drill to write to it.',
      },
    })
    expect(realPlant.read(valve)).toBeCloseTo(58, 4)
    expect(await backend.writeTag('sim.valve', 45)).toEqual({ ok: true, value: undefined })
    expect(simulatedPlant.read(valve)).toBeCloseTo(45, 4)
    // The write is what the operator did about the drill: the debrief counts it as mitigation.
    const during = await api.getDrill({})
    expect(during.ok && during.value.drill?.actions).toEqual([
      expect.objectContaining({ kind: 'mitigation', summary: 'sim.valve set to 45' }),
    ])

    const stopped = await api.stopDrill({})
    expect(stopped.ok && stopped.value.drill.status).toBe('stopped')
    // The drill is in the journal, every event of it marked as a drill.
    const journal = await api.getJournal({ limit: 50 })
    const drillEvents = (journal.ok ? journal.value.events : []).filter((event) =>
      event.type.startsWith('drill.'),
    )
    expect(drillEvents.map((event) => event.type).reverse()).toEqual([
      'drill.started',
      'drill.ended',
    ])
    expect(drillEvents.every((event) => event.data.drill === true)).toBe(true)
    // Ended before the scenario's first fault (30 s in): nothing to judge, and the event says so.
    expect(drillEvents[0]?.data).toMatchObject({ status: 'stopped', debrief: [] })
    expect(await backend.writeTag('real.valve', 62)).toEqual({ ok: true, value: undefined })
    expect(realPlant.read(valve)).toBeCloseTo(62, 4)
  })
})
