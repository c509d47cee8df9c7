import { afterEach, describe, expect, it } from 'vitest'
import { createBackend, type Backend } from '../../src/backend/app/backend'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import { createApiClient } from '../../src/shared/api/client'
import type { ServerEnvelope } from '../../src/shared/api/envelope'
import { systemScheduler } from '../../src/shared/scheduler'
import { directTransport } from '../support/direct-transport'
import { idleDrivers } from '../support/idle-driver'
import { testRecording } from '../support/recording'

const siteText = `site: { id: s1, name: Site One }
plants: [{ id: p1, name: Plant One }]
sources: [{ id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: 1 }]
tags:
  - { id: p1.pressure, source: plc, unit: bar, address: { table: holding, offset: 0, type: float32 } }
`

let backend: Backend | null = null
const closeJournals: Array<() => void> = []
afterEach(async () => {
  await backend?.dispose()
  backend = null
  for (const close of closeJournals.splice(0)) close()
})

function startBackend(): Backend {
  const loaded = parseSiteText(siteText, 'site.yaml')
  if (!loaded.ok) throw new Error('fixture site is invalid')
  const recorder = testRecording()
  closeJournals.push(recorder.close)
  backend = createBackend({
    ...recorder,
    mode: 'browser',
    version: '0.0.0-test',
    dataDir: '/tmp/unused',
    siteFile: 'site.yaml',
    site: loaded.site,
    siteProblems: [],
    drivers: idleDrivers,
    logger: silentLogger,
    scheduler: systemScheduler,
  })
  return backend
}

/** Sends one raw message and returns the backend's answer. */
async function rawCall(target: Backend, raw: unknown): Promise<ServerEnvelope> {
  return new Promise((resolve) => {
    const connection = target.connect({
      send: (message) => message.kind === 'response' && resolve(message),
    })
    void connection.receive(raw)
  })
}

describe('backend API', () => {
  it('answers typed requests through the generated client', async () => {
    const transport = directTransport(startBackend())
    const api = createApiClient(transport)
    transport.open()
    const info = await api.getSystemInfo({})
    expect(info).toMatchObject({
      ok: true,
      value: { site: { id: 's1', name: 'Site One' }, mode: 'browser' },
    })
    const tags = await api.getTags({})
    expect(tags.ok && tags.value.tags).toEqual([
      {
        id: 'p1.pressure',
        name: 'p1.pressure',
        unit: 'bar',
        sourceId: 'plc',
        plantId: 'p1',
        unitId: null,
        limits: null,
      },
    ])
    // Before any reading, a tag is bad with a reason, never a bare number.
    const values = await api.getValues({ tagIds: ['p1.pressure'] })
    expect(values.ok && values.value.values[0]).toMatchObject({
      quality: 'bad',
      reason: 'not read yet',
      value: null,
    })
  })

  it('refuses an unknown channel with {code, message} and keeps running', async () => {
    const target = startBackend()
    const answer = await rawCall(target, {
      kind: 'request',
      id: 7,
      channel: 'formatDisk',
      payload: {},
    })
    expect(answer).toEqual({
      kind: 'response',
      id: 7,
      ok: false,
      error: { code: 'unknown-channel', message: 'There is no channel "formatDisk"' },
    })
    const after = await rawCall(target, {
      kind: 'request',
      id: 8,
      channel: 'getSources',
      payload: {},
    })
    expect(after).toMatchObject({ id: 8, ok: true })
  })

  it('refuses a malformed payload, naming the field', async () => {
    const target = startBackend()
    const answer = await rawCall(target, {
      kind: 'request',
      id: 1,
      channel: 'getValues',
      payload: { tagIds: 'all' },
    })
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-request' } })
    expect(answer.kind === 'response' && !answer.ok && answer.error.message).toMatch(
      /^getValues: tagIds: /,
    )
    const extra = await rawCall(target, {
      kind: 'request',
      id: 2,
      channel: 'getSources',
      payload: { sneaky: true },
    })
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid-request' } })
  })

  it('refuses frames that are not requests at all', async () => {
    const target = startBackend()
    for (const raw of [undefined, 'hello', 42, { kind: 'request' }, { kind: 'response', id: 3 }]) {
      const answer = await rawCall(target, raw)
      expect(answer).toMatchObject({ ok: false, error: { code: 'malformed-message' } })
    }
  })

  it('fails pending calls at once when the link drops, never leaving them hanging', async () => {
    const transport = directTransport(startBackend())
    const api = createApiClient(transport)
    transport.open()
    transport.send = () => {} // the request goes nowhere
    const pending = api.getSystemInfo({})
    transport.close()
    expect(await pending).toMatchObject({ ok: false, error: { code: 'backend-unavailable' } })
    expect(await api.getSources({})).toMatchObject({
      ok: false,
      error: { code: 'backend-unavailable' },
    })
  })
})
