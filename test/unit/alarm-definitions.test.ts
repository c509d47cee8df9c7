import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadSiteFile } from '../../src/backend/site/load'
import {
  alarmReferenceProblems,
  alarmSettingsSchema,
  combustionInstabilityPrompt,
  defaultAlarmSettings,
  overpressurePrompt,
  safetyAlarmDefinitions,
  siteAlarmDefinitions,
  tagAlarmDefinitions,
  tagAlarmsSchema,
  unitOfTag,
} from '../../src/shared/alarms/definitions'

// Alarm definitions as a site file states them, and the runbook's built-in safety alarms.

const exampleYaml = `
alarmSettings:
  maxShelveMinutes: 120
  flood: { count: 10, windowMinutes: 10 }
tags:
  - id: plant-001.boiler-1.pressure
    name: Boiler 1 drum pressure
    alarms:
      hh: { limit: 15.2, priority: critical }
      h: { limit: 14.5, deadband: 0.2, onDelayMs: 5000 }
      l: { limit: 8.0, offDelayMs: 10000 }
      ll: { limit: 6.0 }
      rateOfChange: { perMinute: 1.5, priority: high, direction: rising }
      suppressWhen: { tag: plant-001.boiler-1.running, equals: false, releaseDelayMs: 600000 }
      tripGroup: plant-001.boiler-1
  - id: plant-001.header.pressure
    alarms:
      deviation: { setpointTag: plant-001.header.pressure-setpoint, band: 1.0, priority: medium }
  - id: plant-001.boiler-1.tripped
    alarms:
      digital:
        alarmWhen: true
        kind: trip
        priority: high
        prompt: Find the first-out and reset at the panel
      tripGroup: plant-001.boiler-1
  - id: plant-001.boiler-1.running
  - id: plant-001.header.pressure-setpoint
`

type ExampleTag = { id: string; alarms?: unknown }
const example = parse(exampleYaml) as { alarmSettings: unknown; tags: ExampleTag[] }
const exampleTags = example.tags.map((tag) => ({
  id: tag.id,
  alarms: tag.alarms === undefined ? undefined : tagAlarmsSchema.parse(tag.alarms),
}))

function issues(alarms: unknown): { path: PropertyKey[]; message: string }[] {
  const result = tagAlarmsSchema.safeParse(alarms)
  return result.success ? [] : result.error.issues
}

describe('tag alarms schema', () => {
  it('reads the site file example with its defaults', () => {
    const pressure = exampleTags[0]?.alarms
    expect(pressure?.h).toEqual({ limit: 14.5, deadband: 0.2, onDelayMs: 5000, offDelayMs: 0 })
    expect(pressure?.ll).toEqual({ limit: 6, deadband: 0, onDelayMs: 0, offDelayMs: 0 })
    expect(pressure?.rateOfChange).toMatchObject({ windowMs: 60_000, direction: 'rising' })
    expect(pressure?.suppressWhen).toEqual({
      tag: 'plant-001.boiler-1.running',
      equals: false,
      releaseDelayMs: 600_000,
    })
  })

  it('refuses limits out of order', () => {
    expect(issues({ hh: { limit: 15 }, h: { limit: 16 } })).toMatchObject([
      { path: ['h', 'limit'], message: 'h (16) must be at or below hh (15)' },
    ])
    expect(issues({ h: { limit: 8 }, l: { limit: 8 } })).toMatchObject([
      { path: ['l', 'limit'], message: 'l (8) must be below h (8)' },
    ])
    expect(issues({ hh: { limit: 15 }, ll: { limit: 16 } })).toHaveLength(1)
    expect(
      issues({ hh: { limit: 15 }, h: { limit: 15 }, l: { limit: 6 }, ll: { limit: 6 } }),
    ).toEqual([])
  })

  it('refuses a digital alarm mixed with analog ones', () => {
    expect(
      issues({ digital: { alarmWhen: true, kind: 'trip', priority: 'high' }, h: { limit: 1 } }),
    ).toMatchObject([{ path: ['h'] }])
  })

  it('refuses deadbands that would never let an alarm return', () => {
    expect(
      issues({ deviation: { setpointTag: 'x', band: 1, deadband: 1, priority: 'low' } }),
    ).toMatchObject([{ path: ['deviation', 'deadband'] }])
    expect(issues({ rateOfChange: { perMinute: 2, deadband: 3, priority: 'low' } })).toMatchObject([
      { path: ['rateOfChange', 'deadband'] },
    ])
  })

  it('refuses unknown fields and priorities, negative delays and deadbands', () => {
    expect(issues({ hihi: { limit: 1 } })).not.toEqual([])
    expect(issues({ h: { limit: 1, priority: 'urgent' } })).not.toEqual([])
    expect(issues({ h: { limit: 1, onDelayMs: -1 } })).not.toEqual([])
    expect(issues({ h: { limit: 1, deadband: -0.1 } })).not.toEqual([])
  })
})

describe('alarm settings', () => {
  it('defaults to an 8-hour shelve maximum and the ISA-18.2 flood rule', () => {
    expect(defaultAlarmSettings).toEqual({
      maxShelveMinutes: 480,
      flood: { count: 10, windowMinutes: 10 },
      communicationLossPriority: 'high',
      combustionStabilityLimit: 0.5,
    })
    expect(alarmSettingsSchema.parse(example.alarmSettings).maxShelveMinutes).toBe(120)
  })

  it('refuses a combustion limit outside the 0–1 index', () => {
    expect(alarmSettingsSchema.safeParse({ combustionStabilityLimit: 1 }).success).toBe(false)
  })
})

describe('tag alarm definitions', () => {
  it('expands a tag into one alarm per condition, with ids, units, priorities and messages', () => {
    const definitions = tagAlarmDefinitions({
      id: 'plant-001.boiler-1.pressure',
      name: 'Boiler 1 drum pressure',
      alarms: exampleTags[0]?.alarms,
    })
    expect(
      definitions.map((definition) => [definition.id, definition.priority, definition.cause]),
    ).toEqual([
      ['plant-001.boiler-1.pressure:hh', 'critical', 'high-limit'],
      ['plant-001.boiler-1.pressure:h', 'medium', 'high-limit'],
      ['plant-001.boiler-1.pressure:l', 'medium', 'low-limit'],
      ['plant-001.boiler-1.pressure:ll', 'high', 'low-limit'],
      ['plant-001.boiler-1.pressure:rate-of-change', 'high', 'rate-of-change'],
    ])
    expect(definitions[1]).toMatchObject({
      unit: 'plant-001.boiler-1',
      message: 'Boiler 1 drum pressure high',
      trigger: { kind: 'limit', direction: 'high', limit: 14.5, deadband: 0.2 },
      onDelayMs: 5000,
      suppressWhen: {
        tagId: 'plant-001.boiler-1.running',
        equals: false,
        releaseDelayMs: 600_000,
      },
      tripGroup: 'plant-001.boiler-1',
      builtIn: false,
    })
  })

  it('names the cause of a digital alarm after its kind and keeps its prompt', () => {
    const [trip] = tagAlarmDefinitions(exampleTags[2] ?? { id: 'missing' })
    expect(trip).toMatchObject({
      id: 'plant-001.boiler-1.tripped:digital',
      cause: 'trip',
      prompt: 'Find the first-out and reset at the panel',
      trigger: { kind: 'digital', alarmWhen: true },
    })
  })

  it('takes the unit from everything before the last dot of the tag id', () => {
    expect(unitOfTag('plant-001.boiler-1.pressure')).toBe('plant-001.boiler-1')
    expect(unitOfTag('plant-001.pressure')).toBe('plant-001')
    expect(unitOfTag('pressure')).toBe('pressure')
  })
})

describe('built-in safety alarms', () => {
  const site = {
    plants: [
      {
        id: 'plant-001',
        units: [
          { id: 'boiler-1', name: 'Boiler 1', safetyValveSetpoint: 16 },
          { id: 'boiler-2', safetyValveSetpoint: 3 },
          { id: 'boiler-3' },
        ],
      },
    ],
    tags: [
      ...exampleTags,
      { id: 'plant-001.boiler-1.combustion-stability' },
      { id: 'plant-001.boiler-2.pressure' },
      { id: 'plant-001.boiler-2.combustion-stability' },
      { id: 'plant-001.boiler-3.pressure' },
    ],
  }
  const definitions = safetyAlarmDefinitions(site, defaultAlarmSettings)
  const byId = new Map(definitions.map((definition) => [definition.id, definition]))

  it('puts overpressure at 95 % of the safety valve setpoint, critical, with the runbook prompt', () => {
    expect(byId.get('plant-001.boiler-1.pressure:overpressure')).toMatchObject({
      priority: 'critical',
      cause: 'overpressure',
      unit: 'plant-001.boiler-1',
      trigger: { kind: 'limit', direction: 'high', limit: 15.2, deadband: 0.16 },
      prompt: overpressurePrompt,
      suppressWhen: null,
      builtIn: true,
      message:
        'plant-001 Boiler 1 pressure at or above 95 % of its safety valve setpoint (15.2 of 16)',
    })
    // 3 × 0.95 in binary is 2.8499999999999996; the limit is the decimal an engineer writes.
    expect(byId.get('plant-001.boiler-2.pressure:overpressure')?.trigger).toMatchObject({
      limit: 2.85,
    })
  })

  it('needs both the safety valve setpoint and the pressure tag', () => {
    expect(byId.has('plant-001.boiler-3.pressure:overpressure')).toBe(false)
    const withoutTag = safetyAlarmDefinitions(
      { plants: site.plants, tags: [{ id: 'plant-001.boiler-1.drum-pressure' }] },
      defaultAlarmSettings,
    )
    expect(withoutTag).toEqual([])
  })

  it('watches combustion stability at the settings limit, suppressed on an unlit burner when the flag exists', () => {
    expect(
      byId.get('plant-001.boiler-1.combustion-stability:combustion-instability'),
    ).toMatchObject({
      priority: 'critical',
      cause: 'combustion-instability',
      trigger: { kind: 'limit', direction: 'low', limit: 0.5 },
      prompt: combustionInstabilityPrompt,
      suppressWhen: { tagId: 'plant-001.boiler-1.running', equals: false, releaseDelayMs: 0 },
    })
    expect(
      byId.get('plant-001.boiler-2.combustion-stability:combustion-instability')?.suppressWhen,
    ).toBeNull()
    const stricter = safetyAlarmDefinitions(
      site,
      alarmSettingsSchema.parse({ combustionStabilityLimit: 0.6 }),
    )
    expect(
      stricter.find((definition) => definition.condition === 'combustion-instability')?.trigger,
    ).toMatchObject({ limit: 0.6 })
  })

  it('joins the trip group of its tag', () => {
    expect(byId.get('plant-001.boiler-1.pressure:overpressure')?.tripGroup).toBe(
      'plant-001.boiler-1',
    )
    expect(byId.get('plant-001.boiler-2.pressure:overpressure')?.tripGroup).toBeNull()
  })

  it('covers every boiler of the demo site that has a pressure or stability tag', async () => {
    const loaded = await loadSiteFile(resolve('resources/demo-site.yaml'))
    if (!loaded.ok) throw new Error('the demo site does not load')
    const ids = safetyAlarmDefinitions(loaded.site, defaultAlarmSettings).map(
      (definition) => definition.id,
    )
    expect(ids).toEqual(
      expect.arrayContaining([
        'plant-001.boiler-1.pressure:overpressure',
        'plant-001.boiler-2.pressure:overpressure',
        'plant-001.boiler-1.combustion-stability:combustion-instability',
        'plant-002.boiler-1.pressure:overpressure',
        'plant-003.boiler-3.pressure:overpressure',
      ]),
    )
    const demoInstability = safetyAlarmDefinitions(loaded.site, defaultAlarmSettings).find(
      (definition) =>
        definition.id === 'plant-001.boiler-1.combustion-stability:combustion-instability',
    )
    expect(demoInstability?.suppressWhen?.tagId).toBe('plant-001.boiler-1.running')
  })
})

describe('site alarm definitions', () => {
  it('joins configured, built-in and communication-loss alarms with unique ids', () => {
    const definitions = siteAlarmDefinitions(
      {
        sources: [{ id: 'plc-a' }, { id: 'ua-2' }],
        plants: [{ id: 'plant-001', units: [{ id: 'boiler-1', safetyValveSetpoint: 16 }] }],
        tags: exampleTags,
      },
      defaultAlarmSettings,
    )
    const ids = definitions.map((definition) => definition.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toContain('plant-001.boiler-1.pressure:hh')
    expect(ids).toContain('plant-001.boiler-1.pressure:overpressure')
    expect(ids).toContain('plc-a:communication-loss')
    expect(ids).toContain('ua-2:communication-loss')
  })
})

describe('alarm references', () => {
  it('reports setpoint and suppression tags that do not exist', () => {
    expect(alarmReferenceProblems(exampleTags)).toEqual([])
    const problems = alarmReferenceProblems([
      {
        id: 'a',
        alarms: tagAlarmsSchema.parse({
          deviation: { setpointTag: 'missing', band: 1, priority: 'low' },
          suppressWhen: { tag: 'gone', equals: 1 },
        }),
      },
      {
        id: 'b',
        alarms: tagAlarmsSchema.parse({
          deviation: { setpointTag: 'b', band: 1, priority: 'low' },
        }),
      },
    ])
    expect(problems).toEqual([
      {
        path: ['tags', 0, 'alarms', 'deviation', 'setpointTag'],
        message: 'no tag with id "missing"',
      },
      { path: ['tags', 0, 'alarms', 'suppressWhen', 'tag'], message: 'no tag with id "gone"' },
      {
        path: ['tags', 1, 'alarms', 'deviation', 'setpointTag'],
        message: 'a tag cannot be its own setpoint',
      },
    ])
  })
})
