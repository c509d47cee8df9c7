import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createBackend } from '../../src/backend/app/backend'
import { fieldDrivers } from '../../src/backend/field/drivers'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import type { AlarmSnapshot } from '../../src/shared/alarms/model'
import { createApiClient } from '../../src/shared/api/client'
import type { JournalEvent } from '../../src/shared/journal/event'
import { systemScheduler } from '../../src/shared/scheduler'
import { createLivePlant } from '../../src/sim/live-plant'
import { startModbusSimServer } from '../../src/sim/modbus-server'
import { directTransport } from '../support/direct-transport'
import { testRecording } from '../support/recording'
import { waitFor } from '../support/wait-for'

// Alarms end to end in the backend: the simulator's PLC over real Modbus TCP on loopback, the real
// driver, the engine, the journal and the API an operator's console uses.

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

const site = (port: number) => `site: { id: s, name: S }
sources:
  - { id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: ${port}, pollMs: 200, timeoutMs: 300, simulated: true }
plants:
  - id: plant-001
    name: Plant 001
    heatStatus:
      header: { tag: plant-001.header.pressure, degradedBelow: 9.0, lostBelow: 5.9 }
      recoverAfterMs: 0
    units:
      - { id: boiler-1, kind: boiler, safetyValveSetpoint: 16.0 }
      - { id: header, kind: header }
tags:
  - id: plant-001.header.pressure
    source: plc
    address: { table: holding, offset: 0, type: float32, order: CDAB }
    unit: bar
    limits: { l: 9.0 }
  - id: plant-001.boiler-1.pressure
    source: plc
    address: { table: holding, offset: 100, type: float32, order: ABCD }
    unit: bar
  - id: plant-001.boiler-1.running
    source: plc
    address: { table: discrete, offset: 100, type: bool }
    alarms:
      digital: { alarmWhen: false, kind: flame-failure, priority: high }
      tripGroup: plant-001.boiler-1
`

describe('alarms from a PLC over Modbus', () => {
  it('raises, journals, acknowledges, shelves and reports communication loss', async () => {
    const plant = createLivePlant({ seed: 3, speed: 10 })
    const plc = await startModbusSimServer({ port: 0, plant })
    stops.push(plc.dispose)
    const loaded = parseSiteText(site(plc.port), 'site.yaml')
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const recorder = testRecording()
    stops.push(async () => recorder.close())
    const backend = createBackend({
      ...recorder,
      mode: 'browser',
      version: 'test',
      dataDir: mkdtempSync(join(tmpdir(), 'alarms-')),
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
    const pushed: AlarmSnapshot[] = []
    api.onEvent('alarms', ({ changed }) => pushed.push(...changed))
    transport.open()

    const alarm = async (id: string): Promise<AlarmSnapshot | undefined> => {
      const status = await api.getAlarms({})
      return status.ok ? status.value.alarms.find((candidate) => candidate.id === id) : undefined
    }
    const journal = async (): Promise<JournalEvent[]> => {
      const page = await api.getJournal({ limit: 200 })
      return page.ok ? [...page.value.events].reverse() : []
    }
    const heatState = async (): Promise<string | undefined> => {
      const heat = await api.getHeatStatus({})
      return heat.ok ? heat.value.plants[0]?.state : undefined
    }

    // The built-in alarms exist without any configuration: 95 % of the safety valve.
    expect(await alarm('plant-001.boiler-1.pressure:overpressure')).toMatchObject({
      priority: 'critical',
      threshold: 15.2,
      state: 'normal',
      builtIn: true,
    })
    let state: string | undefined
    await waitFor('heat status normal from live readings', async () => {
      state = await heatState()
      return state === 'normal'
    })

    // The gas goes: the flame fails at once (first out), then the header pressure falls (the plant
    // runs 10 times faster than real time, so this takes seconds rather than a minute).
    expect(plant.model.applyFault({ id: 'gas', kind: 'fuel-loss', plantId: 'plant-001' }).ok).toBe(
      true,
    )
    const flame = 'plant-001.boiler-1.running:digital'
    let flameAlarm: AlarmSnapshot | undefined
    await waitFor('the flame failure alarm', async () => {
      flameAlarm = await alarm(flame)
      return flameAlarm?.state === 'unacknowledged'
    })
    expect(flameAlarm).toMatchObject({ firstOut: true, priority: 'high', value: false })
    expect(pushed.some((snapshot) => snapshot.id === flame)).toBe(true)
    const raised = (await journal()).find(
      (event) => event.type === 'alarm.raised' && event.data.alarmId === flame,
    )
    expect(raised?.data).toMatchObject({ from: 'normal', to: 'unacknowledged', firstOut: true })

    // Acknowledge through the API: the journal has who and when.
    const acknowledged = await api.acknowledgeAlarms({ alarmIds: [flame, 'no-such:alarm'] })
    expect(acknowledged.ok && acknowledged.value.changed.map((snapshot) => snapshot.state)).toEqual(
      ['acknowledged'],
    )
    expect(acknowledged.ok && acknowledged.value.refused).toEqual([
      { alarmId: 'no-such:alarm', message: expect.stringContaining('no-such:alarm') },
    ])
    const ack = (await journal()).find((event) => event.type === 'alarm.acknowledged')
    expect(ack).toMatchObject({ actor: 'operator', data: { alarmId: flame, to: 'acknowledged' } })

    // Shelving: refused beyond the site maximum (480 min by default) and for critical alarms.
    const tooLong = await api.shelveAlarm({ alarmId: flame, reason: 'burner work', minutes: 600 })
    expect(tooLong.ok && tooLong.value.refused[0]?.message).toMatch(/480/)
    const critical = await api.shelveAlarm({
      alarmId: 'plant-001.boiler-1.pressure:overpressure',
      reason: 'nuisance',
      minutes: 10,
    })
    expect(critical.ok && critical.value.refused[0]?.message).toMatch(/critical/i)
    const shelved = await api.shelveAlarm({ alarmId: flame, reason: 'burner work', minutes: 30 })
    expect(shelved.ok && shelved.value.changed[0]).toMatchObject({
      state: 'shelved',
      shelved: { by: 'operator', reason: 'burner work' },
    })
    const comment = await api.commentAlarm({ alarmId: flame, text: 'gas valve closed upstream' })
    expect(comment.ok && comment.value.refused).toEqual([])

    // The header falls below 9 bar: its low alarm, and the plant's heat status leaves normal.
    await waitFor(
      'the header low alarm',
      async () => {
        return (await alarm('plant-001.header.pressure:l'))?.state === 'unacknowledged'
      },
      20_000,
    )
    await waitFor('heat status degraded or lost', async () => {
      state = await heatState()
      return state === 'degraded' || state === 'lost'
    })
    const heatChanges = (await journal()).filter((event) => event.type === 'heat.status-changed')
    expect(heatChanges.map((event) => [event.data.from, event.data.to])).toContainEqual([
      'normal',
      state,
    ])

    // The PLC stops answering: one communication-loss alarm, and the heat status says unknown
    // rather than keep a figure nobody can read.
    expect(
      plant.model.applyFault({ id: 'down', kind: 'source-down', plantIds: ['plant-001'] }).ok,
    ).toBe(true)
    await waitFor(
      'the communication loss alarm',
      async () => {
        return (await alarm('plc:communication-loss'))?.state === 'unacknowledged'
      },
      10_000,
    )
    await waitFor('heat status unknown', async () => (await heatState()) === 'unknown', 10_000)

    const types = (await journal()).map((event) => event.type)
    expect(types).toEqual(
      expect.arrayContaining([
        'alarm.raised',
        'alarm.acknowledged',
        'alarm.shelved',
        'alarm.commented',
        'heat.status-changed',
        'source.lost',
      ]),
    )
    expect(types.filter((type) => type === 'alarm.raised').length).toBeGreaterThanOrEqual(3)
  }, 60_000)
})
