import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { FieldSink } from '../../src/backend/field/driver'
import { createModbusTcpDriver } from '../../src/backend/field/modbus-tcp'
import { silentLogger } from '../../src/backend/log/logger'
import { planBlocks } from '../../src/shared/field/block-plan'
import type { TagValue } from '../../src/shared/field/values'
import { systemScheduler, type Scheduler } from '../../src/shared/scheduler'
import type { ModbusTcpSource, Tag } from '../../src/shared/site/schema'
import { simModbusMap, startModbusSimServer } from '../../src/sim/modbus-server'
import { createLivePlant } from '../../src/sim/live-plant'
import { ManualScheduler } from '../support/manual-scheduler'
import { findFreePort } from '../support/ports'
import { listenOnLoopback } from '../support/tcp-server'
import { waitFor } from '../support/wait-for'

// Modbus TCP against hand-written servers that misbehave on purpose (garbage, late replies, a
// half-close, stray transaction ids, refused addresses), and the diagnostics the driver keeps.

const host = '127.0.0.1'
const timeoutMs = 300

type Status = Parameters<FieldSink['status']>[0]

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** What the scripted device holds: register r is r × 7 + 3. */
const word = (register: number): number => (register * 7 + 3) & 0xffff

type Request = {
  transactionId: number
  unitId: number
  functionCode: number
  start: number
  count: number
}

type Connection = {
  /** 0 for the first connection the server accepted, 1 for the next… */
  index: number
  socket: Socket
  /** Sends a response PDU in an MBAP frame, by default with the request's transaction id. */
  reply: (request: Request, pdu: number[], transactionId?: number) => void
}

/** The answer a well-behaved device gives (Modbus Application Protocol v1.1b3 §6.3). */
const registersPdu = (request: Request): number[] => [
  request.functionCode,
  request.count * 2,
  ...Array.from({ length: request.count }, (_, index) => word(request.start + index)).flatMap(
    (value) => [value >> 8, value & 0xff],
  ),
]

/**
 * A Modbus TCP server whose every answer the test scripts. `onRequest` sees each request with its
 * connection; `onConnection` may act first (close, say). Requests are logged for assertions.
 */
async function startScriptedServer(script: {
  onRequest: (request: Request, connection: Connection) => void
  onConnection?: (connection: Connection) => void
}) {
  const requests: Request[] = []
  let connections = 0
  const server = await listenOnLoopback((socket) => {
    const connection: Connection = {
      index: connections++,
      socket,
      reply: (request, pdu, transactionId = request.transactionId) => {
        if (socket.destroyed || !socket.writable) return
        const frame = Buffer.alloc(7 + pdu.length)
        frame.writeUInt16BE(transactionId & 0xffff, 0)
        frame.writeUInt16BE(0, 2)
        frame.writeUInt16BE(pdu.length + 1, 4)
        frame.writeUInt8(request.unitId, 6)
        Buffer.from(pdu).copy(frame, 7)
        socket.write(frame)
      },
    }
    script.onConnection?.(connection)
    let received = Buffer.alloc(0)
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data])
      while (received.length >= 12) {
        const request: Request = {
          transactionId: received.readUInt16BE(0),
          unitId: received.readUInt8(6),
          functionCode: received.readUInt8(7),
          start: received.readUInt16BE(8),
          count: received.readUInt16BE(10),
        }
        received = received.subarray(12)
        requests.push(request)
        script.onRequest(request, connection)
      }
    })
  })
  cleanups.push(server.close)
  return { port: server.port, requests, connections: () => connections }
}

const holdingTag = (offset: number, type: 'uint16' | 'uint32' = 'uint32'): Tag => ({
  id: `tag-${offset}`,
  source: 'plc',
  unit: '',
  address: { table: 'holding', offset, type, order: 'ABCD' },
})

/** What the scripted device serves for a holding tag. */
const expected = (tag: Tag): number => {
  const offset = tag.address?.offset ?? 0
  return tag.address?.type === 'uint16' ? word(offset) : word(offset) * 65536 + word(offset + 1)
}

function startDriver(
  port: number,
  tags: Tag[],
  overrides: Partial<ModbusTcpSource> = {},
  scheduler: Scheduler = systemScheduler,
) {
  const latest = new Map<string, TagValue>()
  const readings: TagValue[] = []
  const statuses: Status[] = []
  let scans = 0
  const driver = createModbusTcpDriver(
    {
      id: 'plc',
      protocol: 'modbus-tcp',
      host,
      port,
      unitId: 1,
      pollMs: 100,
      timeoutMs,
      simulated: true,
      ...overrides,
    },
    tags,
    {
      values: (values) => {
        scans++
        for (const value of values) latest.set(value.tagId, value)
        readings.push(...values)
      },
      status: (status) => void statuses.push(status),
    },
    { logger: silentLogger, scheduler, dataDir: '/nonexistent' },
  )
  cleanups.push(() => driver.dispose())
  driver.start()
  return {
    driver,
    latest,
    readings,
    statuses,
    scans: () => scans,
    state: () => statuses.at(-1)?.state,
  }
}

const allGood = (latest: Map<string, TagValue>, tags: Tag[]): boolean =>
  tags.every((tag) => latest.get(tag.id)?.quality === 'good')

/** Every good reading the driver ever reported carries the value the device holds. */
function expectOnlyTrueValues(readings: TagValue[], tags: Tag[]): void {
  const byId = new Map(tags.map((tag) => [tag.id, tag]))
  const good = readings.filter((reading) => reading.quality === 'good')
  expect(good.length).toBeGreaterThan(0)
  for (const reading of good) {
    const tag = byId.get(reading.tagId)
    if (tag) expect(reading.value, reading.tagId).toBe(expected(tag))
  }
}

const faultTags = [holdingTag(100), holdingTag(102), holdingTag(104, 'uint16')]

describe('Modbus TCP driver against misbehaving devices', () => {
  it('garbage instead of a frame: tags bad with the reason, connection rebuilt', async () => {
    const server = await startScriptedServer({
      onRequest: (request, connection) => {
        if (connection.index === 0) connection.socket.write('HELLO, THIS IS NOT MODBUS\r\n')
        else connection.reply(request, registersPdu(request))
      },
    })
    const { latest, readings, statuses, state } = startDriver(server.port, faultTags)
    await waitFor('disconnected', () => state() === 'disconnected')
    const reason = statuses.at(-1)?.lastError ?? ''
    expect(reason).toMatch(
      new RegExp(`^garbled reply from ${host}:${server.port}: not a Modbus TCP frame \\(48 45`),
    )
    for (const tag of faultTags) {
      expect(latest.get(tag.id)).toMatchObject({ quality: 'bad', value: null, reason })
    }
    await waitFor(
      'reconnected and good',
      () => state() === 'connected' && allGood(latest, faultTags),
    )
    expect(server.connections()).toBe(2)
    expectOnlyTrueValues(readings, faultTags)
  })

  it('a reply after the timeout is discarded and later reads stay correct', async () => {
    let first = true
    const server = await startScriptedServer({
      onRequest: (request, connection) => {
        if (!first) {
          connection.reply(request, registersPdu(request))
          return
        }
        first = false
        // The right answer, but too late; and a wrong one for good measure, also too late.
        setTimeout(() => {
          connection.reply(request, registersPdu({ ...request, start: request.start + 50 }))
          connection.reply(request, registersPdu(request))
        }, timeoutMs + 150)
      },
    })
    const { driver, latest, readings, statuses, state } = startDriver(server.port, faultTags)
    await waitFor('timeout', () => state() === 'disconnected')
    expect(statuses.at(-1)?.lastError).toBe(
      `no answer within ${timeoutMs} ms to a read of holding 100–104 (unit 1)`,
    )
    await waitFor(
      'reconnected and good',
      () => state() === 'connected' && allGood(latest, faultTags),
    )
    // Past the moment the late replies were sent: nothing they carried shows up.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(allGood(latest, faultTags)).toBe(true)
    expectOnlyTrueValues(readings, faultTags)
    const { stats } = driver.diagnostics()
    expect(stats.timeouts).toBe(1)
    expect(stats.frameLossPercent).toBeGreaterThan(0)
  })

  it('a half-close after accepting: disconnected with the reason, then reconnects', async () => {
    const server = await startScriptedServer({
      onConnection: (connection) => {
        if (connection.index === 0) connection.socket.end()
      },
      onRequest: (request, connection) => connection.reply(request, registersPdu(request)),
    })
    const { latest, statuses, state } = startDriver(server.port, faultTags)
    await waitFor('disconnected', () => state() === 'disconnected')
    expect(statuses.at(-1)?.lastError).toBe(`${host}:${server.port} closed the connection`)
    expect(latest.get(faultTags[0]?.id ?? '')?.reason).toBe(
      `${host}:${server.port} closed the connection`,
    )
    await waitFor(
      'reconnected and good',
      () => state() === 'connected' && allGood(latest, faultTags),
    )
    expect(server.connections()).toBe(2)
  })

  it('a frame with a stranger transaction id is discarded, the real answer taken', async () => {
    const server = await startScriptedServer({
      onRequest: (request, connection) => {
        // First a frame for a transaction we never sent, carrying other values; then the answer.
        connection.reply(
          request,
          registersPdu({ ...request, start: request.start + 50 }),
          request.transactionId + 1000,
        )
        connection.reply(request, registersPdu(request))
      },
    })
    const { driver, latest, readings, statuses, scans } = startDriver(server.port, faultTags)
    await waitFor('good', () => allGood(latest, faultTags))
    const at = scans()
    await waitFor('five more scans', () => scans() >= at + 5)
    expect(statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
    expect(readings.every((reading) => reading.quality === 'good')).toBe(true)
    expectOnlyTrueValues(readings, faultTags)
    expect(server.connections()).toBe(1)
    expect(driver.diagnostics().stats).toMatchObject({
      errors: 0,
      timeouts: 0,
      frameLossPercent: 0,
    })
  })
})

describe('Block splitting when a device refuses part of a block', () => {
  const tags = [100, 102, 104, 106, 108, 110].map((offset) => holdingTag(offset))
  const badTag = tags[2] as Tag

  it('isolates the refused address, keeps the neighbours, and retries the merged read later', async () => {
    let refusing = true
    const server = await startScriptedServer({
      onRequest: (request, connection) => {
        const covers = request.start <= 104 && request.start + request.count > 104
        // Modbus Application Protocol v1.1b3 §7: exception 2, illegal data address.
        if (refusing && covers) connection.reply(request, [request.functionCode | 0x80, 0x02])
        else connection.reply(request, registersPdu(request))
      },
    })
    expect(planBlocks(tags).blocks).toHaveLength(1)
    // pollMs 30 s on a manual clock: scan 1 now, scan 2 at 30 s (refined), scan 3 at 60 s (retry).
    const scheduler = new ManualScheduler(Date.now())
    const pollMs = 30_000
    const { driver, latest, scans } = startDriver(server.port, tags, { pollMs }, scheduler)
    const scan = async (): Promise<{ start: number; count: number }[]> => {
      const before = server.requests.length
      const done = scans()
      await scheduler.advance(pollMs)
      await waitFor('a scan', () => scans() > done)
      return server.requests.slice(before).map(({ start, count }) => ({ start, count }))
    }

    await waitFor('first scan', () => tags.every((tag) => latest.has(tag.id)))
    expect(latest.get(badTag.id)).toMatchObject({
      quality: 'bad',
      reason: 'illegal data address (exception 2) at holding 104–105 (unit 1)',
    })
    for (const tag of tags.filter((candidate) => candidate !== badTag)) {
      expect(latest.get(tag.id), tag.id).toMatchObject({ quality: 'good', value: expected(tag) })
    }
    const blocks = () => {
      const details = driver.diagnostics().details
      if (details.kind !== 'modbus') throw new Error('expected Modbus details')
      return details.blocks.map(({ start, count, tagIds, lastError }) => ({
        start,
        count,
        tagIds,
        lastError,
      }))
    }
    expect(blocks()).toEqual([
      { start: 100, count: 4, tagIds: ['tag-100', 'tag-102'], lastError: null },
      {
        start: 104,
        count: 2,
        tagIds: ['tag-104'],
        lastError: 'illegal data address (exception 2) at holding 104–105 (unit 1)',
      },
      { start: 106, count: 6, tagIds: ['tag-106', 'tag-108', 'tag-110'], lastError: null },
    ])

    // The next scan reads the refined plan: no failed merged read every time.
    expect(await scan()).toEqual([
      { start: 100, count: 4 },
      { start: 104, count: 2 },
      { start: 106, count: 6 },
    ])
    expect(latest.get(badTag.id)?.quality).toBe('bad')

    // The device is reconfigured; 60 s after the split the merged read is tried, and kept.
    refusing = false
    expect(await scan()).toEqual([{ start: 100, count: 12 }])
    expect(allGood(latest, tags)).toBe(true)
    expect(await scan()).toEqual([{ start: 100, count: 12 }])
    expect(blocks()).toEqual([
      { start: 100, count: 12, tagIds: tags.map((tag) => tag.id), lastError: null },
    ])
  })

  it('keeps the refined plan when the merged read is still refused at the retry', async () => {
    const server = await startScriptedServer({
      onRequest: (request, connection) => {
        const covers = request.start <= 104 && request.start + request.count > 104
        if (covers) connection.reply(request, [request.functionCode | 0x80, 0x02])
        else connection.reply(request, registersPdu(request))
      },
    })
    const scheduler = new ManualScheduler(Date.now())
    const pollMs = 30_000
    const { latest, scans } = startDriver(server.port, tags, { pollMs }, scheduler)
    const scan = async () => {
      const before = server.requests.length
      const done = scans()
      await scheduler.advance(pollMs)
      await waitFor('a scan', () => scans() > done)
      return server.requests.slice(before).map(({ start, count }) => `${start}+${count}`)
    }
    await waitFor('first scan', () => tags.every((tag) => latest.has(tag.id)))
    expect(await scan()).toEqual(['100+4', '104+2', '106+6'])
    // At 60 s: one merged attempt, refused, then the known pieces (not a new bisection).
    expect(await scan()).toEqual(['100+12', '100+4', '104+2', '106+6'])
    expect(await scan()).toEqual(['100+4', '104+2', '106+6'])
    expect(latest.get(badTag.id)?.quality).toBe('bad')
    expect(
      allGood(
        latest,
        tags.filter((tag) => tag !== badTag),
      ),
    ).toBe(true)
  })
})

describe('Modbus diagnostics and raw reads', () => {
  const plant = createLivePlant({ seed: 3 })
  // Boiler 1's block of the simulator's map: a coil pair, a discrete pair, an input, 10 holding.
  const boilerEntries = simModbusMap.filter((entry) =>
    entry.tagId.startsWith('plant-001.boiler-1.'),
  )
  const simTags: Tag[] = boilerEntries.map((entry) => ({
    id: entry.tagId,
    source: 'plc',
    address: entry.address,
    scale: entry.scale,
    unit: entry.unit,
  }))
  const ghost: Tag = {
    id: 'ghost',
    source: 'plc',
    unit: '',
    address: { table: 'holding', offset: 400, type: 'uint16', order: 'ABCD' },
  }

  it('counts requests, measures round trips and keeps the last frames in hex', async () => {
    const sim = await startModbusSimServer({ host, port: 0, plant })
    cleanups.push(() => sim.dispose())
    const { driver, latest, scans } = startDriver(sim.port, [...simTags, ghost])
    await waitFor('good', () => allGood(latest, simTags))
    await waitFor('a few scans', () => scans() >= 4)

    const { stats, details } = driver.diagnostics()
    if (details.kind !== 'modbus') throw new Error('expected Modbus details')
    // Five blocks a scan (coils 100–101, discrete 100–101, input 100, holding 100–109, holding
    // 400), one of them refused.
    expect(stats.requests).toBeGreaterThanOrEqual(15)
    expect(stats.errors).toBeGreaterThanOrEqual(3)
    expect(stats.errors).toBeLessThanOrEqual(Math.ceil(stats.requests / 5))
    expect(stats.timeouts).toBe(0)
    expect(stats.frameLossPercent).toBe(0)
    expect(stats.roundTripMs).toBeGreaterThan(0)
    expect(stats.roundTripMs).toBeLessThan(timeoutMs)
    expect(stats.requestsPerSecond).toBeGreaterThan(0)

    const traffic = details.traffic
    expect(traffic.length).toBeLessThanOrEqual(50)
    const hexes = traffic.map((frame) => `${frame.direction} ${frame.hex}`)
    // Read holding registers 100 (0x64), 10 (0x0a) of them; 20 bytes back (§6.3).
    expect(hexes).toContain('request 03 00 64 00 0a')
    const response = traffic.find((frame) => frame.hex.startsWith('03 14 '))
    expect(response?.direction).toBe('response')
    expect(response?.hex.split(' ')).toHaveLength(2 + 20)
    // Read coils 100–101: one byte back, auto on (bit 0) and not tripped (bit 1) (§6.1).
    expect(hexes).toContain('request 01 00 64 00 02')
    expect(hexes).toContain('response 01 01 01')
    const refused = traffic.find((frame) => frame.direction === 'error')
    expect(refused).toMatchObject({
      hex: '83 02',
      unitId: 1,
      note: 'illegal data address (exception 2)',
    })
    const ghostBlock = details.blocks.find((block) => block.tagIds.includes('ghost'))
    expect(ghostBlock?.lastError).toBe('illegal data address (exception 2) at holding 400 (unit 1)')
    expect(details.blocks.filter((block) => block.lastError === null)).toHaveLength(4)

    // The byte-order helper's raw read.
    const raw = await driver.readRegisters?.({ table: 'holding', offset: 100, count: 2 })
    expect(raw?.ok).toBe(true)
    expect(raw?.ok && raw.value).toHaveLength(2)
    const refusedRead = await driver.readRegisters?.({ table: 'holding', offset: 300, count: 1 })
    expect(refusedRead).toEqual({
      ok: false,
      error: {
        code: 'modbus-exception',
        message: 'illegal data address (exception 2) at holding 300 (unit 1)',
      },
    })
  })

  it('a raw read fails at once while disconnected: nothing waits for a connection', async () => {
    const { driver, state } = startDriver(await findFreePort(), simTags)
    await waitFor('disconnected', () => state() === 'disconnected')
    const startedAt = Date.now()
    const result = await driver.readRegisters?.({ table: 'holding', offset: 100, count: 2 })
    expect(Date.now() - startedAt).toBeLessThan(50)
    expect(result?.ok).toBe(false)
    expect(result?.ok === false && result.error.code).toBe('not-connected')
    expect(result?.ok === false && result.error.message).toMatch(/ECONNREFUSED/)
  })
})
