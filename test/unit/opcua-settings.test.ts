import { describe, expect, it } from 'vitest'
import { createServiceStats } from '../../src/backend/field/opcua-stats'
import { parseSiteText } from '../../src/backend/site/load'
import { ManualScheduler } from '../support/manual-scheduler'

// The OPC UA source fields of the site file (DESIGN.md §3.2) and the figures the OPC UA driver keeps
// about its requests.

function loadSource(fields: string): ReturnType<typeof parseSiteText> {
  return parseSiteText(
    `site: { id: s, name: S }
sources:
  - { id: ua, protocol: opcua, endpoint: "opc.tcp://127.0.0.1:4840", ${fields} }
tags: [{ id: t, source: ua, nodeId: "ns=1;s=x" }]
`,
    'site.yaml',
  )
}

describe('OPC UA source settings', () => {
  it('accepts a user with a password variable, a queue size and a deadband', () => {
    const loaded = loadSource(
      'userName: operator, passwordEnv: PLANT_UA_PASSWORD, queueSize: 5, deadband: { type: percent, value: 2.5 }',
    )
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    expect(loaded.site.sources[0]).toMatchObject({
      userName: 'operator',
      passwordEnv: 'PLANT_UA_PASSWORD',
      queueSize: 5,
      deadband: { type: 'percent', value: 2.5 },
    })
  })

  it('leaves them out by default: anonymous, latest value only, every change', () => {
    const loaded = loadSource('samplingMs: 500')
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const source = loaded.site.sources[0]
    expect(source).not.toHaveProperty('userName')
    expect(source).not.toHaveProperty('queueSize')
    expect(source).not.toHaveProperty('deadband')
  })

  it.each([
    ['password: secret', 'sources[0].password', /needs a userName/],
    ['userName: a, password: x, passwordEnv: Y', 'sources[0].password', /not both/],
    ['userName: a, passwordEnv: "not a name"', 'sources[0].passwordEnv', /environment variable/],
    ['queueSize: 0', 'sources[0].queueSize', /./],
    ['deadband: { type: percent, value: 150 }', 'sources[0].deadband.value', /at most 100/],
    ['deadband: { type: relative, value: 1 }', 'sources[0].deadband.type', /./],
  ])('refuses %s', (fields, path, message) => {
    const loaded = loadSource(fields)
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    )
  })
})

describe('OPC UA request figures', () => {
  it('takes the median round trip of requests other than Publish, and counts losses', () => {
    const scheduler = new ManualScheduler()
    let clock = 0
    const stats = createServiceStats(scheduler, () => clock)
    expect(stats.snapshot()).toEqual({
      roundTripMs: null,
      requestsPerSecond: 0,
      requests: 0,
      errors: 0,
      timeouts: 0,
      frameLossPercent: 0,
    })
    // Three reads answered in 2, 4 and 30 ms; a Publish held 900 ms by the server.
    const answer = (handle: number, service: string, ms: number, good = true): void => {
      stats.sent(handle, service)
      clock += ms
      stats.answered(handle, good)
    }
    answer(1, 'ReadRequest', 2)
    answer(2, 'ReadRequest', 30)
    answer(3, 'PublishRequest', 900)
    answer(4, 'ReadRequest', 4)
    // A ServiceFault, a timeout, and two requests in flight when the connection breaks.
    answer(5, 'CreateSubscriptionRequest', 3, false)
    stats.sent(6, 'ReadRequest')
    stats.timedOut(6)
    stats.sent(7, 'PublishRequest')
    stats.sent(8, 'PublishRequest')
    stats.dropInFlight()
    // Late news about a request already written off changes nothing.
    stats.answered(7, true)
    stats.timedOut(8)
    expect(stats.snapshot()).toEqual({
      roundTripMs: 3.5,
      requestsPerSecond: 0.8,
      requests: 8,
      errors: 3,
      timeouts: 1,
      frameLossPercent: 50,
    })
  })

  it('counts requests per second over the last 10 s, and forgets what a deliberate close leaves', async () => {
    const scheduler = new ManualScheduler()
    const stats = createServiceStats(scheduler, () => 0)
    for (let handle = 0; handle < 30; handle++) {
      await scheduler.advance(500)
      stats.sent(handle, 'PublishRequest')
    }
    // 30 requests over 15 s, one every 500 ms: the last 10 s hold 20 of them.
    expect(stats.snapshot().requestsPerSecond).toBe(2)
    stats.forgetInFlight()
    await scheduler.advance(20_000)
    expect(stats.snapshot()).toMatchObject({ requestsPerSecond: 0, requests: 30, errors: 0 })
  })
})
