import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSiteFile } from '../../src/backend/site/load'
import { createProcessModel, siteLayout } from '../../src/sim/process'

// The demo site describes the simulator; these checks keep the two from drifting apart (the Modbus
// addresses are checked against the register map in sim-modbus-map.test.ts).

const loaded = await loadSiteFile(resolve('resources/demo-site.yaml'))
if (!loaded.ok) throw new Error('the demo site does not load')
const { site } = loaded
const model = createProcessModel({ seed: 1 })

describe('demo site', () => {
  it('names every OPC UA tag after the simulator point it reads', () => {
    const opcuaSources = new Set(
      site.sources.filter((source) => source.protocol === 'opcua').map((source) => source.id),
    )
    const opcuaTags = site.tags.filter((tag) => opcuaSources.has(tag.source))
    expect(opcuaTags.length).toBeGreaterThan(40)
    for (const tag of opcuaTags) {
      expect(tag.nodeId, tag.id).toBe(`ns=1;s=${tag.id}`)
      expect(model.has(tag.id), tag.id).toBe(true)
      const point = model.points().find((candidate) => candidate.id === tag.id)
      expect(tag.unit, tag.id).toBe(point?.unit)
    }
  })

  it('lists every plant, boiler and consumer of the simulated layout, with its safety valve', () => {
    for (const plant of siteLayout.plants) {
      const described = site.plants.find((candidate) => candidate.id === plant.id)
      expect(described, plant.id).toBeDefined()
      for (const boiler of plant.boilers) {
        expect(described?.units.find((unit) => unit.id === boiler.id)).toMatchObject({
          kind: 'boiler',
          safetyValveSetpoint: boiler.safetyValveSetpoint,
        })
      }
      for (const consumer of plant.consumers) {
        expect(described?.units.find((unit) => unit.id === consumer.id)).toMatchObject({
          kind: 'consumer',
          name: consumer.name,
        })
      }
    }
  })

  it('serves plant 003 over SignAndEncrypt, as a demo of a secured PLC', () => {
    expect(site.sources.find((source) => source.id === 'sim-ua-3')).toMatchObject({
      protocol: 'opcua',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      simulated: true,
    })
  })
})
