import { describe, expect, it } from 'vitest'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import { suggestSeverities } from '../../src/shared/incidents/suggestions'
import { siteConditions, t0, withHeat } from '../support/incident-fixtures'

const rulesOf = (conditions: SiteConditions): string[] =>
  suggestSeverities(conditions).map((suggestion) => suggestion.rule)

const withPressure = (pressure: number | null, safetyValveSetpoint = 16): SiteConditions => {
  const conditions = siteConditions()
  return {
    ...conditions,
    boilers: conditions.boilers.map((boiler) =>
      boiler.plantId === 'plant-002' ? { ...boiler, pressure, safetyValveSetpoint } : boiler,
    ),
  }
}

const withSources = (answering: Record<string, boolean>): SiteConditions => {
  const conditions = siteConditions()
  return {
    ...conditions,
    sources: conditions.sources.map((source) =>
      source.id in answering ? { ...source, answering: answering[source.id]! } : source,
    ),
  }
}

const withDeviation = (
  deviationPercent: number | null,
  reference: 'snapshot' | 'target' = 'target',
): SiteConditions => {
  const conditions = siteConditions()
  return {
    ...conditions,
    distribution: conditions.distribution.map((entry) =>
      entry.plantId === 'plant-003' ? { ...entry, deviationPercent, reference } : entry,
    ),
  }
}

type Alarm = SiteConditions['alarms'][number]
const alarm = (changes: Partial<Alarm>): Alarm => ({
  id: 'plant-001.burner-1.flame:unstable',
  plantId: 'plant-001',
  message: 'Burner 1 flame unstable',
  priority: 'critical',
  kind: 'combustion-instability',
  acknowledged: false,
  raisedAt: t0,
  ...changes,
})

describe('suggestSeverities', () => {
  it('suggests nothing for a site in good order', () => {
    expect(suggestSeverities(siteConditions())).toEqual([])
  })

  describe('heat loss', () => {
    it('suggests one P0 for 3 plants without heat, naming them with their reasons', () => {
      const conditions = withHeat(siteConditions(), {
        'plant-003': 'lost',
        'plant-001': 'lost',
        'plant-002': 'lost',
      })
      expect(suggestSeverities(conditions)).toEqual([
        {
          id: 'multi-plant-heat-loss:site',
          rule: 'multi-plant-heat-loss',
          severity: 'P0',
          title: 'Multi-plant heat loss: Plant 001, Plant 002, Plant 003',
          reason:
            'Plant 001, Plant 002 and Plant 003 have lost heat: Plant 001: header low. ' +
            'Plant 002: header low. Plant 003: header low',
          plants: ['plant-001', 'plant-002', 'plant-003'],
          prompt: null,
        },
      ])
    })

    it('counts 3 lost plants as multi-plant even when a fourth still has heat', () => {
      const base = siteConditions()
      const fourth = { ...base.plants[0]!, id: 'plant-004', name: 'Plant 004', sourceIds: [] }
      const conditions = withHeat(
        { ...base, plants: [...base.plants, fourth] },
        { 'plant-001': 'lost', 'plant-002': 'lost', 'plant-004': 'lost' },
      )
      const suggestions = suggestSeverities(conditions)
      expect(suggestions.map((suggestion) => suggestion.id)).toEqual(['multi-plant-heat-loss:site'])
    })

    it('suggests two P1, not a P0, when 2 of 3 plants have lost heat', () => {
      const conditions = withHeat(siteConditions(), { 'plant-001': 'lost', 'plant-003': 'lost' })
      const suggestions = suggestSeverities(conditions)
      expect(suggestions.map(({ id, severity, plants }) => ({ id, severity, plants }))).toEqual([
        { id: 'single-plant-heat-loss:plant-001', severity: 'P1', plants: ['plant-001'] },
        { id: 'single-plant-heat-loss:plant-003', severity: 'P1', plants: ['plant-003'] },
      ])
      expect(suggestions[0]!.title).toBe('Plant heat loss: Plant 001')
      expect(suggestions[0]!.reason).toBe('Plant 001 has lost heat: header low')
    })

    it('suggests total heat loss when every plant with heat rules has lost heat', () => {
      const conditions = withHeat(siteConditions(), {
        'plant-001': 'lost',
        'plant-002': 'lost',
        'plant-003': null,
      })
      const suggestions = suggestSeverities(conditions)
      expect(suggestions).toHaveLength(1)
      expect(suggestions[0]).toMatchObject({
        id: 'total-heat-loss:site',
        rule: 'total-heat-loss',
        severity: 'P0',
        title: 'Total heat loss: Plant 001, Plant 002',
        plants: ['plant-001', 'plant-002'],
      })
      expect(suggestions[0]!.reason).toContain('(Plant 001 and Plant 002)')
    })

    it('is not total heat loss while one plant with heat rules still has some heat', () => {
      const conditions = withHeat(siteConditions(), {
        'plant-001': 'lost',
        'plant-002': 'lost',
        'plant-003': 'degraded',
      })
      expect(rulesOf(conditions)).toEqual([
        'single-plant-heat-loss',
        'single-plant-heat-loss',
        'plant-heat-degraded',
      ])
    })

    it('does not call a plant whose heat cannot be told lost', () => {
      const conditions = withHeat(siteConditions(), { 'plant-001': 'unknown' })
      expect(suggestSeverities(conditions)).toEqual([])
    })

    it('suggests a P2 per plant short of heat but not lost', () => {
      const conditions = withHeat(siteConditions(), { 'plant-002': 'degraded' })
      expect(suggestSeverities(conditions)).toEqual([
        {
          id: 'plant-heat-degraded:plant-002',
          rule: 'plant-heat-degraded',
          severity: 'P2',
          title: 'Plant heat degraded: Plant 002',
          reason: 'Plant 002 is short of heat but has not lost it: header low',
          plants: ['plant-002'],
          prompt: null,
        },
      ])
    })
  })

  describe('boiler pressure', () => {
    it('suggests a P0 with the safety officer prompt at 95 % of the safety-valve setpoint', () => {
      const suggestions = suggestSeverities(withPressure(15.2))
      expect(suggestions).toHaveLength(1)
      expect(suggestions[0]).toMatchObject({
        id: 'safety-pressure:plant-002.boiler-1',
        rule: 'safety-pressure',
        severity: 'P0',
        plants: ['plant-002'],
      })
      expect(suggestions[0]!.reason).toBe(
        'Boiler 1 at Plant 002: drum pressure 15.2 bar(g) is 95.0 % of its safety-valve ' +
          'setpoint of 16 bar(g) (act from 95 %)',
      )
      expect(suggestions[0]!.prompt).toMatch(/safety officer/)
      expect(suggestions[0]!.prompt).toMatch(/emergency shutdown of Boiler 1 at Plant 002/)
    })

    it('counts exactly 95 % even when the float ratio lands a hair under it', () => {
      expect(10.735 / 11.3 < 0.95).toBe(true)
      expect(rulesOf(withPressure(10.735, 11.3))).toEqual(['safety-pressure'])
    })

    it('stays quiet at 94.9 % and when the pressure cannot be read', () => {
      expect(suggestSeverities(withPressure(15.184))).toEqual([])
      expect(suggestSeverities(withPressure(null))).toEqual([])
    })

    it('suggests one per boiler, in plant order', () => {
      const conditions = siteConditions()
      const high = {
        ...conditions,
        boilers: conditions.boilers.map((boiler) => ({ ...boiler, pressure: 15.5 })),
      }
      expect(suggestSeverities(high).map((suggestion) => suggestion.id)).toEqual([
        'safety-pressure:plant-001.boiler-1',
        'safety-pressure:plant-002.boiler-1',
        'safety-pressure:plant-003.boiler-1',
      ])
    })
  })

  describe('combustion instability', () => {
    it('suggests a P0 with the fuel cutoff prompt per combustion-instability alarm', () => {
      const conditions = siteConditions({
        alarms: [
          alarm({}),
          alarm({ id: 'plant-003.burner-2.flame:unstable', plantId: 'plant-003' }),
          alarm({
            id: 'plant-002.boiler-1.pressure:high',
            plantId: 'plant-002',
            kind: 'overpressure',
          }),
        ],
      })
      const suggestions = suggestSeverities(conditions)
      expect(suggestions.map(({ id, severity, plants }) => ({ id, severity, plants }))).toEqual([
        {
          id: 'combustion-instability:plant-001.burner-1.flame:unstable',
          severity: 'P0',
          plants: ['plant-001'],
        },
        {
          id: 'combustion-instability:plant-003.burner-2.flame:unstable',
          severity: 'P0',
          plants: ['plant-003'],
        },
      ])
      expect(suggestions[0]!.reason).toBe(
        'Combustion instability alarm at Plant 001: Burner 1 flame unstable (critical, not acknowledged)',
      )
      expect(suggestions[0]!.prompt).toMatch(/fuel/)
      expect(suggestions[0]!.prompt).toMatch(/safety officer/)
    })
  })

  describe('field sources', () => {
    it('suggests one P0 for all plants when no source answers, and no per-plant P1', () => {
      const conditions = withSources({ 'source-1': false, 'source-2': false, 'source-3': false })
      expect(suggestSeverities(conditions)).toEqual([
        {
          id: 'scada-total-outage:site',
          rule: 'scada-total-outage',
          severity: 'P0',
          title: 'SCADA total outage: no live data from any plant',
          reason:
            'None of the 3 field sources is answering (source-1, source-2, source-3): the ' +
            'console has no live data from any plant',
          plants: ['plant-001', 'plant-002', 'plant-003'],
          prompt: null,
        },
      ])
    })

    it('suggests a P1 per plant that cannot be seen while other sources answer', () => {
      const conditions = withSources({ 'source-1': false, 'source-3': false })
      const suggestions = suggestSeverities(conditions)
      expect(suggestions.map(({ id, severity }) => ({ id, severity }))).toEqual([
        { id: 'plant-feed-lost:plant-001', severity: 'P1' },
        { id: 'plant-feed-lost:plant-003', severity: 'P1' },
      ])
      expect(suggestions[0]!.title).toBe('SCADA partial outage: Plant 001')
      expect(suggestions[0]!.reason).toBe(
        'The field source of Plant 001 (source-1) is not answering: the console cannot see the plant',
      )
    })

    it('does not call a plant blind while one of its sources still answers', () => {
      const base = withSources({ 'source-1': false })
      const conditions = {
        ...base,
        plants: base.plants.map((plant) =>
          plant.id === 'plant-001' ? { ...plant, sourceIds: ['source-1', 'source-2'] } : plant,
        ),
      }
      expect(suggestSeverities(conditions)).toEqual([])
    })

    it('does not call an outage on a site without sources', () => {
      expect(suggestSeverities(siteConditions({ sources: [] }))).toEqual([])
    })
  })

  it('suggests no outage while sources are still making their first connection', () => {
    const starting = siteConditions()
    starting.sources = starting.sources.map((source) => ({
      ...source,
      answering: false,
      connecting: source.id !== 'source-1',
    }))
    // source-1 failed, the others are still connecting: not a total outage, and only plant 001's
    // feed is known lost.
    expect(suggestSeverities(starting).map((suggestion) => suggestion.id)).toEqual([
      'plant-feed-lost:plant-001',
    ])
  })

  describe('heat distribution', () => {
    it('suggests a P2 above 20 % naming the valve and the configured target', () => {
      expect(suggestSeverities(withDeviation(20.1))).toEqual([
        {
          id: 'distribution-deviation:plant-003',
          rule: 'distribution-deviation',
          severity: 'P2',
          title: 'Heat distribution off its reference: Plant 003',
          reason:
            'Plant 003: valve plant-003.consumer-hospital-hvac.valve is 20.1 % off the ' +
            'configured target (limit 20 %)',
          plants: ['plant-003'],
          prompt: null,
        },
      ])
    })

    it('names the last-known-good snapshot when that is the reference', () => {
      const [suggestion] = suggestSeverities(withDeviation(35, 'snapshot'))
      expect(suggestion!.reason).toContain('35.0 % off the last-known-good snapshot')
    })

    it('leaves a plant that has lost heat to the heat-loss rules', () => {
      const lost = withHeat(withDeviation(35), { 'plant-003': 'lost' })
      expect(suggestSeverities(lost).map((suggestion) => suggestion.rule)).toEqual([
        'single-plant-heat-loss',
      ])
    })

    it('stays quiet at 20 % and when a valve cannot be read', () => {
      expect(suggestSeverities(withDeviation(20))).toEqual([])
      expect(suggestSeverities(withDeviation(null))).toEqual([])
    })
  })

  it('orders the most severe first, then by rule, then by id', () => {
    const base = withHeat(siteConditions(), { 'plant-002': 'degraded', 'plant-003': 'lost' })
    const conditions: SiteConditions = {
      ...base,
      boilers: base.boilers.map((boiler) => ({ ...boiler, pressure: 15.5 })).reverse(),
      alarms: [alarm({})],
      distribution: base.distribution.map((entry) => ({ ...entry, deviationPercent: 30 })),
    }
    expect(suggestSeverities(conditions).map(({ id, severity }) => `${severity} ${id}`)).toEqual([
      'P0 safety-pressure:plant-001.boiler-1',
      'P0 safety-pressure:plant-002.boiler-1',
      'P0 safety-pressure:plant-003.boiler-1',
      'P0 combustion-instability:plant-001.burner-1.flame:unstable',
      'P1 single-plant-heat-loss:plant-003',
      'P2 distribution-deviation:plant-001',
      'P2 distribution-deviation:plant-002',
      'P2 plant-heat-degraded:plant-002',
    ])
  })
})
