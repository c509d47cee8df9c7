import { describe, expect, it } from 'vitest'
import { loadSiteFile } from '../../src/backend/site/load'
import { registerCount } from '../../src/shared/field/codec'
import { createProcessModel } from '../../src/sim/process'
import { simAddressCount, simModbusMap, simModbusMapFor } from '../../src/sim/modbus-server'

// The simulator PLC's register map is data; these checks keep it complete, free of overlaps, and
// in step with the demo site that reads it.

const model = createProcessModel({ seed: 1 })
const pointsOf = (plantId: string) =>
  model.points().filter((point) => point.id.startsWith(`${plantId}.`))

describe('simulator Modbus map', () => {
  it('serves every point of plant 001 once, with the model unit', () => {
    const served = simModbusMap.map((entry) => entry.pointId)
    expect(new Set(served).size).toBe(served.length)
    expect([...served].sort()).toEqual(
      pointsOf('plant-001')
        .map((point) => point.id)
        .sort(),
    )
    for (const entry of simModbusMap) {
      const point = model.points().find((candidate) => candidate.id === entry.pointId)
      expect(entry.unit, entry.tagId).toBe(point?.unit)
      expect(entry.tagId).toBe(entry.pointId)
    }
  })

  it('puts setpoints and writable flags where a client can write them, and nothing else there', () => {
    for (const entry of simModbusMap) {
      const point = model.points().find((candidate) => candidate.id === entry.pointId)
      const { table, type } = entry.address
      if (point?.kind === 'flag') {
        expect(table, entry.tagId).toBe(point.writable ? 'coil' : 'discrete')
        expect(type).toBe('bool')
      } else if (point?.writable) {
        expect(table, entry.tagId).toBe('holding')
        expect(type).toBe('float32')
      } else {
        expect(['holding', 'input'], entry.tagId).toContain(table)
      }
    }
  })

  it('fits every plant of the simulator without overlaps inside the answered addresses', () => {
    for (const plant of model.layout.plants) {
      const map = simModbusMapFor(plant.id)
      expect(map.map((entry) => entry.pointId).sort()).toEqual(
        pointsOf(plant.id)
          .map((point) => point.id)
          .sort(),
      )
      const used = new Map<string, string>()
      for (const entry of map) {
        const { table, offset } = entry.address
        for (let index = 0; index < registerCount(entry.address); index++) {
          const key = `${table} ${offset + index}`
          expect(used.get(key), `${key}: ${entry.tagId}`).toBeUndefined()
          used.set(key, entry.tagId)
          expect(offset + index).toBeLessThan(simAddressCount)
        }
      }
    }
    expect(() => simModbusMapFor('plant-999')).toThrow('The simulator has no plant "plant-999"')
  })

  it('matches every demo-site tag of the Modbus source: address, type, order, scale and unit', async () => {
    const loaded = await loadSiteFile('resources/demo-site.yaml')
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const modbusSources = loaded.site.sources.filter((source) => source.protocol === 'modbus-tcp')
    expect(modbusSources.map((source) => source.id)).toEqual(['sim-plc-1'])
    const tags = loaded.site.tags.filter((tag) => tag.source === 'sim-plc-1')
    expect(tags.length).toBeGreaterThanOrEqual(20)
    for (const tag of tags) {
      const entry = simModbusMap.find((candidate) => candidate.tagId === tag.id)
      expect(entry, `${tag.id} is not in the simulator's map`).toBeDefined()
      if (!entry) continue
      expect(tag.address, tag.id).toEqual(entry.address)
      expect(tag.scale ?? { factor: 1, offset: 0 }, tag.id).toEqual(entry.scale)
      expect(tag.unit, tag.id).toBe(entry.unit)
    }
  })
})
