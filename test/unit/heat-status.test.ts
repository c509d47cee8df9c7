import { describe, expect, it } from 'vitest'
import type { TagValue } from '../../src/shared/field/values'
import {
  assessPlantHeat,
  createHeatMonitor,
  plantHeatRulesSchema,
  siteHeatRules,
  type PlantHeatRules,
} from '../../src/shared/heat/status'

const rules: PlantHeatRules = {
  plantId: 'p1',
  header: { tagId: 'p1.header.pressure', degradedBelow: 9, lostBelow: 6 },
  consumers: [
    {
      unitId: 'hospital',
      name: 'Hospital',
      priorityClass: 'life-safety',
      tagId: 'p1.hospital.supply-temperature',
      degradedBelow: 75,
      lostBelow: 60,
    },
    {
      unitId: 'line-1',
      name: 'Line 1',
      priorityClass: 'production',
      tagId: 'p1.line-1.supply-temperature',
      degradedBelow: 160,
      lostBelow: 150,
    },
  ],
  lostWhenConsumerLost: ['life-safety'],
  recoverAfterMs: 30_000,
}

type Readings = Record<string, number | null | 'stale'>
const reader =
  (readings: Readings) =>
  (tagId: string): TagValue | undefined => {
    const reading = readings[tagId]
    if (reading === undefined) return undefined
    return {
      tagId,
      value: reading === 'stale' ? 5 : reading,
      quality: reading === 'stale' ? 'stale' : reading === null ? 'bad' : 'good',
      sourceTs: null,
      receivedTs: 0,
      sourceId: 'plc',
    }
  }
const normal: Readings = {
  'p1.header.pressure': 11.8,
  'p1.hospital.supply-temperature': 82,
  'p1.line-1.supply-temperature': 175,
}

describe('heat status rules', () => {
  it('is normal when the header and every consumer are above their thresholds', () => {
    const assessment = assessPlantHeat(rules, reader(normal))
    expect(assessment).toMatchObject({ state: 'normal', reasons: [] })
    expect(assessment.consumers.map((consumer) => consumer.state)).toEqual(['normal', 'normal'])
  })

  it('is degraded below the header degradedBelow (not at it), and says by how much', () => {
    expect(assessPlantHeat(rules, reader({ ...normal, 'p1.header.pressure': 9 })).state).toBe(
      'normal',
    )
    const degraded = assessPlantHeat(rules, reader({ ...normal, 'p1.header.pressure': 8.5 }))
    expect(degraded).toMatchObject({
      state: 'degraded',
      reasons: ['header pressure 8.5 below 9'],
    })
  })

  it('is lost when the header is below lostBelow', () => {
    expect(assessPlantHeat(rules, reader({ ...normal, 'p1.header.pressure': 5.2 })).state).toBe(
      'lost',
    )
  })

  it('is lost when a life-safety consumer loses heat, only degraded for a production one', () => {
    const hospital = assessPlantHeat(
      rules,
      reader({ ...normal, 'p1.hospital.supply-temperature': 58 }),
    )
    expect(hospital.state).toBe('lost')
    expect(hospital.reasons).toEqual(['Hospital (life safety) supply 58 below 60: heat lost'])
    const line = assessPlantHeat(rules, reader({ ...normal, 'p1.line-1.supply-temperature': 140 }))
    expect(line.state).toBe('degraded')
    expect(line.consumers[1]).toMatchObject({ state: 'lost', value: 140 })
  })

  it('is unknown when the header cannot be read, and does not call it normal', () => {
    const stale = assessPlantHeat(rules, reader({ ...normal, 'p1.header.pressure': 'stale' }))
    expect(stale).toMatchObject({
      state: 'unknown',
      reasons: ['header pressure unreadable (p1.header.pressure)'],
    })
    expect(assessPlantHeat(rules, reader({ ...normal, 'p1.header.pressure': null })).state).toBe(
      'unknown',
    )
    // A known loss outranks an unreadable header.
    const both = assessPlantHeat(
      rules,
      reader({ ...normal, 'p1.header.pressure': null, 'p1.hospital.supply-temperature': 50 }),
    )
    expect(both.state).toBe('lost')
  })
})

describe('heat status over time', () => {
  it('takes a worse status at once and a better one only after recoverAfterMs', () => {
    const monitor = createHeatMonitor([rules], 0)
    expect(monitor.status()[0]).toMatchObject({ state: 'unknown', since: 0 })
    // Before the first readings arrive: still unknown, and the first judgement is not held.
    expect(monitor.update(reader({}), 500)).toEqual([])
    expect(monitor.update(reader(normal), 1000)).toEqual([
      { plantId: 'p1', from: 'unknown', to: 'normal', at: 1000, reasons: [] },
    ])
    const lost = { ...normal, 'p1.header.pressure': 5 }
    expect(monitor.update(reader(lost), 2000).map((change) => change.to)).toEqual(['lost'])
    expect(monitor.status()[0]).toMatchObject({ state: 'lost', since: 2000 })
    // Back above the thresholds: held for 30 s before it counts.
    expect(monitor.update(reader(normal), 3000)).toEqual([])
    expect(monitor.status()[0]).toMatchObject({ state: 'lost', header: { value: 11.8 } })
    expect(monitor.update(reader(normal), 32_999)).toEqual([])
    expect(monitor.update(reader(normal), 33_000).map((change) => change.to)).toEqual(['normal'])
    expect(monitor.status()[0]).toMatchObject({ state: 'normal', since: 33_000, reasons: [] })
  })

  it('restarts the hold when the improvement gets worse again, and forgets it on a relapse', () => {
    const monitor = createHeatMonitor([rules], 0)
    monitor.update(reader({ ...normal, 'p1.header.pressure': 5 }), 0)
    // lost → normal readings for 20 s, then degraded readings: the hold restarts at the degraded.
    monitor.update(reader(normal), 1000)
    monitor.update(reader({ ...normal, 'p1.header.pressure': 8 }), 21_000)
    expect(monitor.update(reader({ ...normal, 'p1.header.pressure': 8 }), 31_000)).toEqual([])
    expect(
      monitor.update(reader({ ...normal, 'p1.header.pressure': 8 }), 51_000).map((c) => c.to),
    ).toEqual(['degraded'])
    // degraded → normal for 10 s → lost again: at once, and the hold starts afresh after it.
    monitor.update(reader(normal), 52_000)
    expect(
      monitor.update(reader({ ...normal, 'p1.header.pressure': 4 }), 62_000).map((c) => c.to),
    ).toEqual(['lost'])
    expect(monitor.update(reader(normal), 63_000)).toEqual([])
    expect(monitor.update(reader(normal), 92_999)).toEqual([])
    expect(monitor.update(reader(normal), 93_000).map((change) => change.to)).toEqual(['normal'])
  })
})

describe('heat status rules in the site file', () => {
  it('refuses thresholds in the wrong order, naming the field', () => {
    const parsed = plantHeatRulesSchema.safeParse({
      header: { tag: 'p1.header.pressure', degradedBelow: 6, lostBelow: 9 },
    })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['header', 'lostBelow'],
      message: 'lostBelow (9) must be below degradedBelow (6)',
    })
  })

  it('names consumers by their supply-temperature tag unless the site says otherwise', () => {
    const [plant] = siteHeatRules({
      plants: [
        {
          id: 'p1',
          heatStatus: plantHeatRulesSchema.parse({
            header: { tag: 'p1.header.pressure', degradedBelow: 9, lostBelow: 6 },
          }),
          units: [
            {
              id: 'hospital',
              priorityClass: 'life-safety',
              supply: { degradedBelow: 75, lostBelow: 60 },
            },
            {
              id: 'line',
              name: 'Line',
              priorityClass: 'production',
              supply: { tag: 'p1.line.return', degradedBelow: 1, lostBelow: 0 },
            },
            { id: 'boiler-1' },
          ],
        },
      ],
    })
    expect(plant?.consumers.map((consumer) => [consumer.name, consumer.tagId])).toEqual([
      ['hospital', 'p1.hospital.supply-temperature'],
      ['Line', 'p1.line.return'],
    ])
    expect(plant).toMatchObject({ lostWhenConsumerLost: ['life-safety'], recoverAfterMs: 30_000 })
  })
})
