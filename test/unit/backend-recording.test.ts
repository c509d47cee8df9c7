import { afterEach, describe, expect, it } from 'vitest'
import { createBackend, type Backend } from '../../src/backend/app/backend'
import type { DriverFactories } from '../../src/backend/field/acquisition'
import type { DriverFactory } from '../../src/backend/field/driver'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import type { ServerEnvelope } from '../../src/shared/api/envelope'
import { systemScheduler } from '../../src/shared/scheduler'
import { idleDriver } from '../support/idle-driver'
import { testRecording } from '../support/recording'
import { waitFor } from '../support/wait-for'

// Recording that stops mid-run (a full disk, an I/O error) must show at once, not only in the log.
// A real journal whose database is closed under the backend stands for the failing disk.

const site = parseSiteText(
  `site: { id: s1, name: Site One }
sources: [{ id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: 1 }]
tags: [{ id: p1.pressure, source: plc, unit: bar, address: { table: holding, offset: 0, type: float32 } }]
`,
  'site.yaml',
)

let backend: Backend | null = null
afterEach(async () => {
  await backend?.dispose()
  backend = null
})

/** Drivers that lose their PLC a moment after they start. */
const losingDriver: DriverFactory = (_source, _tags, sink) => ({
  ...idleDriver(),
  start: () => {
    setTimeout(
      () => sink.status({ state: 'disconnected', lastError: 'refused', since: Date.now() }),
      20,
    )
  },
})
const drivers: DriverFactories = {
  'modbus-tcp': losingDriver,
  'modbus-rtu': losingDriver,
  opcua: losingDriver,
}

describe('recording state', () => {
  it('says at once, on every page, when the journal stops taking events', async () => {
    if (!site.ok) throw new Error('fixture site is invalid')
    const recorder = testRecording()
    backend = createBackend({
      ...recorder,
      mode: 'browser',
      version: 'test',
      dataDir: '/tmp/unused',
      siteFile: 'site.yaml',
      site: site.site,
      siteProblems: [],
      drivers,
      logger: silentLogger,
      scheduler: systemScheduler,
    })
    const pushed: ServerEnvelope[] = []
    backend.connect({ send: (message) => void pushed.push(message) })
    // The disk fails before the source is lost: the loss cannot be recorded.
    recorder.close()
    await waitFor('the recording state pushed', () =>
      pushed.some((message) => message.kind === 'event' && message.event === 'recording'),
    )
    const stopped = pushed.find(
      (message) => message.kind === 'event' && message.event === 'recording',
    )
    expect(stopped).toMatchObject({
      payload: { state: 'refused', problem: expect.stringMatching(/^Recording stopped: /) },
    })
    expect(backend.info.recording.state).toBe('refused')
  })
})
