import { writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { expect, it } from 'vitest'
import { createModbusTcpDriver } from '../src/backend/field/modbus-tcp'
import { silentLogger } from '../src/backend/log/logger'
import { defaultMaxGap, maxRegistersPerRead, planBlocks } from '../src/shared/field/block-plan'
import { decodeRegisters, registerCount } from '../src/shared/field/codec'
import type { TagValue } from '../src/shared/field/values'
import { systemScheduler, type Scheduler } from '../src/shared/scheduler'
import type { ModbusAddress, Tag } from '../src/shared/site/schema'
import { waitFor } from '../test/support/wait-for'

// Measures, against a Modbus TCP device on 127.0.0.1 holding 1,000 registers:
// - requests per scan, counted by the device, against the block-plan minimum and against one
//   request per tag;
// - the time one scan takes (median and p95 over 30 scans), and one per-tag scan for comparison.
// Run by bench/modbus.bench.mjs; writes its figures to MEASURE_OUTPUT.

const host = '127.0.0.1'
const registerSpan = 1_000
const scans = 30
const warmUpScans = 3
const pollMs = 20

/** The device's memory: register r holds r × 13 + 5. */
const word = (register: number): number => (register * 13 + 5) & 0xffff

/** A small deterministic generator, so every run measures the same map. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

type MapShape = {
  name: string
  description: string
  tags: Tag[]
}

/** Tags laid over 0…999 by `next`, which gives each tag's type and the gap before the next one. */
function layOut(
  name: string,
  description: string,
  next: () => { type: ModbusAddress['type']; gap: number },
): MapShape {
  const tags: Tag[] = []
  let offset = 0
  for (;;) {
    const { type, gap } = next()
    const address: ModbusAddress = { table: 'holding', offset, type, order: 'ABCD' }
    if (offset + registerCount(address) > registerSpan) break
    tags.push({ id: `${name}.${offset}`, source: 'bench', unit: '', address })
    offset += registerCount(address) + gap
  }
  return { name, description, tags }
}

const maps: MapShape[] = [
  (() => {
    const draw = random(7)
    return layOut(
      'mixed',
      'int16 and float32 tags packed as PLC maps often are (gaps 0–2 registers)',
      () => ({ type: draw() < 0.75 ? 'int16' : 'float32', gap: Math.floor(draw() * 3) }),
    )
  })(),
  (() => {
    const draw = random(11)
    // 300 floats over 1,000 registers leave 400 spare: spread them as gaps of 0–3 (mean 4/3).
    return layOut('floats', '~300 float32 tags spread over the map (gaps 0–3 registers)', () => ({
      type: 'float32',
      gap: Math.floor(draw() * 3) + (draw() < 1 / 3 ? 1 : 0),
    }))
  })(),
]

/**
 * The least number of reads that cover the tags: runs of tags whose gaps are ≤ maxGap, each read
 * in ⌈span / 125⌉ requests (DESIGN.md §7). Computed here without the planner, to check it.
 */
function formulaMinimum(tags: Tag[]): number {
  const spans = tags
    .map((tag) => {
      const address = tag.address as ModbusAddress
      return { start: address.offset, end: address.offset + registerCount(address) }
    })
    .sort((a, b) => a.start - b.start)
  let total = 0
  let run: { start: number; end: number } | null = null
  for (const span of spans) {
    if (run && span.start - run.end <= defaultMaxGap) {
      run.end = Math.max(run.end, span.end)
      continue
    }
    if (run) total += Math.ceil((run.end - run.start) / maxRegistersPerRead)
    run = { ...span }
  }
  if (run) total += Math.ceil((run.end - run.start) / maxRegistersPerRead)
  return total
}

/** A device that answers read holding registers (Modbus Application Protocol v1.1b3 §6.3). */
async function startDevice() {
  let requests = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    let received = Buffer.alloc(0)
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data])
      while (received.length >= 12) {
        const transactionId = received.readUInt16BE(0)
        const unitId = received.readUInt8(6)
        const start = received.readUInt16BE(8)
        const count = received.readUInt16BE(10)
        received = received.subarray(12)
        requests++
        const reply = Buffer.alloc(9 + count * 2)
        reply.writeUInt16BE(transactionId, 0)
        reply.writeUInt16BE(0, 2)
        reply.writeUInt16BE(3 + count * 2, 4)
        reply.writeUInt8(unitId, 6)
        reply.writeUInt8(3, 7)
        reply.writeUInt8(count * 2, 8)
        for (let index = 0; index < count; index++)
          reply.writeUInt16BE(word(start + index), 9 + index * 2)
        socket.write(reply)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const address = server.address()
  if (typeof address !== 'object' || !address) throw new Error('no address')
  return {
    port: address.port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}
const round = (value: number, places = 2): number => Number(value.toFixed(places))

async function measure(shape: MapShape) {
  const { tags } = shape
  const plan = planBlocks(tags)
  const device = await startDevice()
  // Scan start = the poll tick firing; scan end = the values reaching the sink.
  let tickAt = 0
  const scheduler: Scheduler = {
    now: systemScheduler.now,
    after: (ms, task) =>
      systemScheduler.after(
        ms,
        ms === pollMs
          ? () => {
              tickAt = performance.now()
              task()
            }
          : task,
      ),
  }
  const durations: number[] = []
  const requestsPerScan: number[] = []
  let requestsAtTick = 0
  let scansSeen = 0
  let bad = 0
  let wrong = 0
  const check = (values: TagValue[]): void => {
    for (const value of values) {
      if (value.quality !== 'good') {
        bad++
        continue
      }
      const offset = Number(value.tagId.split('.')[1])
      const tag = tags.find((candidate) => candidate.id === value.tagId) as Tag
      const words = [word(offset), word(offset + 1)].slice(
        0,
        registerCount(tag.address as ModbusAddress),
      )
      if (decodeRegisters(tag.address as ModbusAddress, words) !== value.value) wrong++
    }
  }
  const driver = createModbusTcpDriver(
    {
      id: 'bench',
      protocol: 'modbus-tcp',
      host,
      port: device.port,
      unitId: 1,
      pollMs,
      timeoutMs: 1000,
      simulated: true,
    },
    tags,
    {
      values: (values) => {
        const end = performance.now()
        check(values)
        scansSeen++
        // The first scan runs on connect, not on a tick: it has no start mark.
        if (scansSeen > 1 + warmUpScans && durations.length < scans) {
          durations.push(end - tickAt)
          requestsPerScan.push(device.requests() - requestsAtTick)
        }
        requestsAtTick = device.requests()
      },
      status: () => {},
    },
    { logger: silentLogger, scheduler, dataDir: '/nonexistent' },
  )
  driver.start()
  await waitFor('scans', () => durations.length >= scans)
  await driver.dispose()

  // One scan the naive way, one request per tag, through the same driver and connection type.
  const perTag = createModbusTcpDriver(
    {
      id: 'bench',
      protocol: 'modbus-tcp',
      host,
      port: device.port,
      unitId: 1,
      pollMs: 3_600_000,
      timeoutMs: 1000,
      simulated: true,
    },
    tags,
    { values: () => {}, status: () => {} },
    { logger: silentLogger, scheduler: systemScheduler, dataDir: '/nonexistent' },
  )
  perTag.start()
  await waitFor('connected', () => (perTag.diagnostics().stats.requests ?? 0) >= plan.blocks.length)
  const perTagScansMs: number[] = []
  for (let round = 0; round < 3; round++) {
    const started = performance.now()
    for (const tag of tags) {
      const address = tag.address as ModbusAddress
      const result = await perTag.readRegisters?.({
        table: 'holding',
        offset: address.offset,
        count: registerCount(address),
      })
      if (!result?.ok) throw new Error(`per-tag read failed: ${JSON.stringify(result)}`)
    }
    perTagScansMs.push(performance.now() - started)
  }
  await perTag.dispose()
  await device.close()

  const measured = quantile(requestsPerScan, 0.5)
  return {
    map: shape.description,
    registers: registerSpan,
    tags: tags.length,
    float32Tags: tags.filter((tag) => tag.address?.type === 'float32').length,
    formulaMinimum: formulaMinimum(tags),
    planBlocks: plan.blocks.length,
    requestsPerScan: {
      median: measured,
      min: Math.min(...requestsPerScan),
      max: Math.max(...requestsPerScan),
    },
    perTagRequests: tags.length,
    roundTripRatio: round(tags.length / measured, 1),
    scans,
    scanMs: { median: round(quantile(durations, 0.5)), p95: round(quantile(durations, 0.95)) },
    perTagScanMs: { median: round(quantile(perTagScansMs, 0.5)) },
    badReadings: bad,
    wrongValues: wrong,
  }
}

it('measures Modbus requests per scan and scan time', async () => {
  const results = []
  for (const shape of maps) results.push(await measure(shape))
  for (const result of results) {
    // Guards, so a broken build cannot publish pretty figures.
    expect(result.badReadings).toBe(0)
    expect(result.wrongValues).toBe(0)
    expect(result.requestsPerScan.min).toBe(result.requestsPerScan.max)
  }
  const figures = {
    target: 'requests per scan = block-plan minimum; ≥ 50× fewer round trips than per-tag reads',
    maps: results,
  }
  const output = process.env.MEASURE_OUTPUT
  if (output) writeFileSync(output, `${JSON.stringify(figures, null, 2)}\n`)
  else console.log(JSON.stringify(figures, null, 2))
})
