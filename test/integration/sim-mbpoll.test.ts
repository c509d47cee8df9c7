import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLivePlant } from '../../src/sim/live-plant'
import { startModbusSimServer, type ModbusSimServer } from '../../src/sim/modbus-server'
import { expectNearPlant } from '../support/plant'
import { findFreePort } from '../support/ports'

// The simulator PLC against a Modbus client we did not write: Debian's mbpoll (libmodbus). If our
// server and our driver shared a misreading of the protocol, their own tests could not see it;
// mbpoll's reading of the same registers can. CI installs mbpoll (.ci/run).

const mbpoll = '/usr/bin/mbpoll'
const host = '127.0.0.1'

type Run = { code: number; stdout: string; stderr: string }

/**
 * Runs mbpoll once (-1) against the simulator, with 0-based addresses (-0) and a bounded wait: it
 * reads, or writes `values` when there are any.
 */
function runMbpoll(port: number, options: string[], values: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      mbpoll,
      [
        '-m',
        'tcp',
        '-p',
        String(port),
        '-a',
        '1',
        '-0',
        '-1',
        '-o',
        '2',
        ...options,
        host,
        ...values,
      ],
      { timeout: 10_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** mbpoll prints one "[reference]: value" line per value read. */
function valuesOf(run: Run): Map<number, number> {
  expect(run.code, run.stderr).toBe(0)
  const values = new Map<number, number>()
  for (const match of run.stdout.matchAll(/^\[(\d+)\]:\s+(\S+)\s*$/gm)) {
    values.set(Number(match[1]), Number(match[2]))
  }
  return values
}

/** mbpoll prints floats with six significant digits (%g). */
const printed = (value: number): number => Math.abs(value) * 5e-6

describe.skipIf(!existsSync(mbpoll))(
  'mbpoll against the simulator PLC (skipped: mbpoll is not installed; apt-get install mbpoll)',
  () => {
    // The plant runs on the test's clock: what mbpoll reads is what the plant holds, and the test
    // moves time on to see a write take effect.
    let now = 0
    const plant = createLivePlant({ seed: 9, clock: () => now })
    const advance = (ms: number): void => {
      for (let left = ms; left > 0; left -= 30_000) {
        now += Math.min(left, 30_000)
        plant.read('plant-001.header.pressure')
      }
    }
    let sim: ModbusSimServer
    beforeAll(async () => {
      sim = await startModbusSimServer({ host, port: await findFreePort(), plant })
    })
    afterAll(async () => {
      await sim.dispose()
    })

    const expectPoint = (value: number | undefined, pointId: string, resolution: number): void => {
      const held = plant.read(pointId)
      expectNearPlant(value, held, held, pointId, { resolution })
    }

    it('reads word-swapped and big-endian floats, tenths in an int16, coils and discrete inputs', async () => {
      // Header block: the plant PLC sends floats low word first (CDAB), mbpoll's default order.
      const header = valuesOf(await runMbpoll(sim.port, ['-t', '4:float', '-r', '0', '-c', '4']))
      expectPoint(header.get(0), 'plant-001.header.pressure', printed(12))
      expectPoint(header.get(2), 'plant-001.header.pressure-setpoint', printed(12))
      expectPoint(header.get(6), 'plant-001.distribution-deviation', 1e-6)

      // Boiler 1's combustion controller sends floats big-endian (ABCD): mbpoll's -B.
      const boiler = valuesOf(
        await runMbpoll(sim.port, ['-t', '4:float', '-B', '-r', '100', '-c', '5']),
      )
      expectPoint(boiler.get(100), 'plant-001.boiler-1.pressure', printed(17))
      expectPoint(boiler.get(102), 'plant-001.boiler-1.firing-rate', printed(100))
      expectPoint(boiler.get(104), 'plant-001.boiler-1.firing-rate-setpoint', printed(100))
      expectPoint(boiler.get(108), 'plant-001.boiler-1.combustion-stability', printed(1))

      // Temperatures in tenths of a degree, as a plain 16-bit input register.
      const temperature = valuesOf(await runMbpoll(sim.port, ['-t', '3', '-r', '0']))
      expectPoint(
        (temperature.get(0) ?? Number.NaN) / 10,
        'plant-001.header.temperature',
        0.05 + 1e-9,
      )

      const coils = valuesOf(await runMbpoll(sim.port, ['-t', '0', '-r', '100', '-c', '2']))
      expect(coils.get(100)).toBe(plant.read('plant-001.boiler-1.auto') ? 1 : 0)
      expect(coils.get(101)).toBe(plant.read('plant-001.boiler-1.tripped') ? 1 : 0)
      const discrete = valuesOf(await runMbpoll(sim.port, ['-t', '1', '-r', '100', '-c', '2']))
      expect(discrete.get(100)).toBe(plant.read('plant-001.boiler-1.running') ? 1 : 0)
      expect(discrete.get(101)).toBe(plant.read('plant-001.boiler-1.fuel-available') ? 1 : 0)
      // The healthy plant: boiler 1 in auto, lit, not tripped.
      expect([coils.get(100), coils.get(101), discrete.get(100)]).toEqual([1, 0, 1])
    })

    it('writes that change the process: manual over a coil, then a firing rate setpoint', async () => {
      const firingBefore = plant.read('plant-001.boiler-1.firing-rate') as number
      const manual = await runMbpoll(sim.port, ['-t', '0', '-r', '100'], ['0'])
      expect(manual.code, manual.stderr).toBe(0)
      expect(plant.read('plant-001.boiler-1.auto')).toBe(false)

      const setpoint = await runMbpoll(sim.port, ['-t', '4:float', '-B', '-r', '104'], ['45'])
      expect(setpoint.code, setpoint.stderr).toBe(0)
      expect(setpoint.stdout).toContain('Written 1 references')
      expect(plant.read('plant-001.boiler-1.firing-rate-setpoint')).toBe(45)

      // Three firing time constants on, the boiler fires close to 45 %, and mbpoll reads it so.
      advance(90_000)
      const firing = plant.read('plant-001.boiler-1.firing-rate') as number
      expect(firing).toBeLessThan(firingBefore - 15)
      expect(Math.abs(firing - 45)).toBeLessThan(3)
      const boiler = valuesOf(
        await runMbpoll(sim.port, ['-t', '4:float', '-B', '-r', '102', '-c', '2']),
      )
      expectPoint(boiler.get(102), 'plant-001.boiler-1.firing-rate', printed(100))
      expect(boiler.get(104)).toBe(45)

      // The header pressure setpoint, word-swapped like the rest of the plant PLC's block.
      const header = await runMbpoll(sim.port, ['-t', '4:float', '-r', '2'], ['12.5'])
      expect(header.code, header.stderr).toBe(0)
      expect(plant.read('plant-001.header.pressure-setpoint')).toBe(12.5)
    })

    it('answers exception 3 to a value the plant refuses and 2 to half a float, and writes nothing', async () => {
      const before = plant.model.snapshot()
      // 20 bar is above what the header accepts (85 % of its 16 bar safety valves).
      const tooHigh = await runMbpoll(sim.port, ['-t', '4:float', '-r', '2'], ['20'])
      expect(tooHigh.code).not.toBe(0)
      expect(tooHigh.stderr).toMatch(/Illegal data value/)
      // FC6 to one register of a float32 setpoint: not an address that can be written alone.
      const half = await runMbpoll(sim.port, ['-t', '4', '-r', '104'], ['16928'])
      expect(half.code).not.toBe(0)
      expect(half.stderr).toMatch(/Illegal data address/)
      // A measurement is read-only, even in a holding register.
      const measurement = await runMbpoll(sim.port, ['-t', '4:float', '-r', '0'], ['5'])
      expect(measurement.stderr).toMatch(/Illegal data address/)
      expect(plant.model.snapshot()).toEqual(before)
    })
  },
)
