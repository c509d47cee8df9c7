import { describe, expect, it } from 'vitest'
import { createValueBatcher } from '../../src/backend/app/value-batcher'
import { startAcquisition, type DriverFactories } from '../../src/backend/field/acquisition'
import type { FieldSink } from '../../src/backend/field/driver'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import type { ConnectionEvent, TagValue } from '../../src/shared/field/values'
import { idleDriver } from '../support/idle-driver'
import { ManualScheduler } from '../support/manual-scheduler'

const site = (() => {
  const loaded = parseSiteText(
    `site: { id: s, name: S }
sources: [{ id: plc, protocol: modbus-tcp, host: 127.0.0.1, port: 1, pollMs: 1000 }]
tags: [{ id: t1, source: plc, address: { table: holding, offset: 0 } }]
`,
    'site.yaml',
  )
  if (!loaded.ok) throw new Error('bad fixture')
  return loaded.site
})()

/** A driver the test feeds by hand, to exercise acquisition's own rules with fake time. */
function handDriver(): {
  factories: DriverFactories
  sink: () => FieldSink
  disposed: () => boolean
} {
  let captured: FieldSink | null = null
  let disposed = false
  const factory = (_source: unknown, _tags: unknown, sink: FieldSink) => {
    captured = sink
    return { ...idleDriver(), dispose: async () => void (disposed = true) }
  }
  return {
    factories: { 'modbus-tcp': factory, 'modbus-rtu': factory, opcua: factory },
    sink: () => {
      if (!captured) throw new Error('driver not created')
      return captured
    },
    disposed: () => disposed,
  }
}

/** Acquisition of the one-tag site, fed by hand, on fake time. */
function startWithHandDriver(): {
  scheduler: ManualScheduler
  driver: ReturnType<typeof handDriver>
  acquisition: ReturnType<typeof startAcquisition>
} {
  const scheduler = new ManualScheduler()
  const driver = handDriver()
  const acquisition = startAcquisition(site, driver.factories, {
    logger: silentLogger,
    scheduler,
    dataDir: '/tmp',
  })
  return { scheduler, driver, acquisition }
}

const reading = (scheduler: ManualScheduler, value: number): TagValue => ({
  tagId: 't1',
  value,
  quality: 'good',
  sourceTs: null,
  receivedTs: scheduler.now(),
  sourceId: 'plc',
})

describe('acquisition', () => {
  it('marks a polled tag stale after twice its period plus the margin, not before', async () => {
    const { scheduler, driver, acquisition } = startWithHandDriver()
    driver.sink().values([reading(scheduler, 12.5)])
    await scheduler.advance(2900)
    expect(acquisition.values()[0]).toMatchObject({ quality: 'good', value: 12.5 })
    await scheduler.advance(400) // 3.3 s > 2 × 1 s + 1 s
    expect(acquisition.values()[0]).toMatchObject({
      quality: 'stale',
      value: 12.5,
      reason: 'no update for 3 s',
    })
    driver.sink().values([reading(scheduler, 12.7)])
    expect(acquisition.values()[0]).toMatchObject({ quality: 'good', value: 12.7 })
    await acquisition.dispose()
    expect(driver.disposed()).toBe(true)
    expect(scheduler.pending()).toBe(0)
  })

  it('shows NaN and infinite readings as bad, whatever quality the device gave them', async () => {
    const { scheduler, driver, acquisition } = startWithHandDriver()
    const published: TagValue[] = []
    acquisition.onValues((values) => published.push(...values))
    driver.sink().values([reading(scheduler, Number.NaN)])
    expect(acquisition.values()[0]).toMatchObject({
      quality: 'bad',
      value: null,
      reason: 'the source sent NaN',
    })
    driver.sink().values([reading(scheduler, Number.NEGATIVE_INFINITY)])
    expect(published.at(-1)).toMatchObject({ quality: 'bad', reason: 'the source sent -Infinity' })
    await acquisition.dispose()
  })

  it('publishes source state changes', async () => {
    const { scheduler, driver, acquisition } = startWithHandDriver()
    const seen: string[] = []
    acquisition.onSources((sources) => seen.push(`${sources[0]?.state}:${sources[0]?.lastError}`))
    driver
      .sink()
      .status({ state: 'disconnected', lastError: 'connection refused', since: scheduler.now() })
    expect(seen).toEqual(['disconnected:connection refused'])
    expect(acquisition.sources()[0]).toMatchObject({
      endpoint: '127.0.0.1:1',
      protocol: 'modbus-tcp',
    })
    await acquisition.dispose()
  })
})

describe('communication outages', () => {
  it('raise one loss per outage however often the driver retries, then one restore', async () => {
    const { scheduler, driver, acquisition } = startWithHandDriver()
    const events: ConnectionEvent[] = []
    acquisition.onConnectionEvent((event) => events.push(event))
    const status = (state: 'connected' | 'disconnected', lastError: string | null): void =>
      driver.sink().status({ state, lastError, since: scheduler.now() })

    status('connected', null)
    expect(events).toEqual([])
    await scheduler.advance(1000)
    status('disconnected', 'connection refused')
    await scheduler.advance(500)
    status('disconnected', 'connection refused') // a retry that failed again
    status('disconnected', 'timeout after 1000 ms')
    await scheduler.advance(4500)
    status('connected', null)
    status('connected', null)
    expect(events.map(({ type, reason, outageMs }) => ({ type, reason, outageMs }))).toEqual([
      { type: 'source.lost', reason: 'connection refused', outageMs: null },
      { type: 'source.restored', reason: null, outageMs: 5000 },
    ])
    // The next failure is a new outage.
    status('disconnected', 'unplugged')
    expect(events.at(-1)).toMatchObject({ type: 'source.lost', reason: 'unplugged' })
    await acquisition.dispose()
  })
})

describe('value batcher', () => {
  it('sends at most one batch per frame with the latest value of each tag', async () => {
    const scheduler = new ManualScheduler()
    const batches: TagValue[][] = []
    const batcher = createValueBatcher(scheduler, (batch) => batches.push(batch))
    batcher.add([reading(scheduler, 1)])
    batcher.add([reading(scheduler, 2), { ...reading(scheduler, 5), tagId: 't2' }])
    await scheduler.advance(15)
    expect(batches).toEqual([])
    await scheduler.advance(1)
    expect(batches.length).toBe(1)
    expect(batches[0]?.map((value) => [value.tagId, value.value])).toEqual([
      ['t1', 2],
      ['t2', 5],
    ])
    batcher.add([reading(scheduler, 3)])
    batcher.dispose()
    await scheduler.advance(100)
    expect(batches.length).toBe(1)
  })
})
