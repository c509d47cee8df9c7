import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiFailure } from '../../src/backend/api/dispatcher'
import {
  createIncidentService,
  type IncidentService,
} from '../../src/backend/incidents/incident-service'
import { silentLogger } from '../../src/backend/log/logger'
import { parseSiteText } from '../../src/backend/site/load'
import { journalFileName } from '../../src/backend/store/database'
import type { Journal } from '../../src/backend/store/journal'
import { openJournal } from '../../src/backend/store/open-journal'
import type { AlarmSnapshot } from '../../src/shared/alarms/model'
import type { DrillActionKind } from '../../src/shared/drills/drill'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import type { Site } from '../../src/shared/site/schema'
import { alarmSnapshot } from '../support/alarm-snapshot'
import { emptyReview, minute, siteConditions, t0, withHeat } from '../support/incident-fixtures'
import { ManualScheduler } from '../support/manual-scheduler'

// The incident service over a real journal on disk, on fake time. The site's live conditions are
// scripted (what the heat, source and alarm services would report), so each clock can be checked to
// the second; what the service journals, and what it rebuilds from the journal after a restart, is
// the real thing.

const siteText = `site: { id: s, name: S }
sources:
  - { id: source-1, protocol: modbus-tcp, host: 127.0.0.1, port: 1502 }
plants:
  - { id: plant-001, name: Plant 001 }
  - { id: plant-002, name: Plant 002 }
  - { id: plant-003, name: Plant 003 }
escalation:
  levels:
    - id: operations-manager
      name: Plant operations manager
      contacts: [{ name: Maria Okafor, phone: +1 555 0103 }]
    - id: safety-officer
      name: Plant safety officer
      contacts: [{ name: Jonas Lindqvist, phone: +1 555 0104 }]
    - id: engineering-manager
      name: Engineering manager
      contacts: [{ name: Priya Natarajan, phone: +1 555 0105 }]
  triggers:
    - { severities: [P0], afterMinutes: 0, levels: [operations-manager, safety-officer], why: P0 at once }
    - { severities: [P0], afterMinutes: 15, levels: [engineering-manager], why: P0 at 15 min }
    - { severities: [P1], afterMinutes: 15, levels: [operations-manager], why: P1 at 15 min }
tags: []
`

function loadSite(): Site {
  const loaded = parseSiteText(siteText, 'site.yaml')
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  return loaded.site
}

type Harness = {
  service: IncidentService
  journal: Journal
  scheduler: ManualScheduler
  drillActions: Array<{ kind: DrillActionKind; summary: string }>
  setConditions: (conditions: SiteConditions) => void
  setAlarms: (alarms: AlarmSnapshot[]) => void
  setDrill: (plants: string[]) => void
  /** What the tag history would say about when a consumer fell short. */
  shortfallHistory: Map<string, number>
  restart: () => Harness
}

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

function start(
  file = join(mkdtempSync(join(tmpdir(), 'incidents-')), journalFileName),
  scheduler = new ManualScheduler(t0),
  initial: SiteConditions = siteConditions(),
  withJournal = true,
): Harness {
  let conditions = initial
  let alarms: AlarmSnapshot[] = []
  let drillPlants: string[] = []
  const shortfallHistory = new Map<string, number>()
  const opened = withJournal
    ? openJournal({
        path: file,
        consoleId: 'console-a',
        clock: scheduler.now,
        logger: silentLogger,
      })
    : null
  if (opened && !opened.ok) throw new Error(opened.error.message)
  const journal = opened?.value.journal ?? null
  const drillActions: Harness['drillActions'] = []
  const service = createIncidentService({
    site: loadSite(),
    consoleId: 'console-a',
    consoleCode: '7F3A9C',
    scheduler,
    logger: silentLogger,
    journal,
    record: (input) => journal?.append(input) ?? null,
    conditions: { gather: (now) => ({ ...conditions, at: now }) },
    alarms: () => alarms,
    drill: () => ({
      running: drillPlants.length > 0,
      firstFaultAt: drillPlants.length > 0 ? t0 - minute : null,
      plants: drillPlants,
    }),
    drillAction: (kind, summary) => drillActions.push({ kind, summary }),
    shortfallStart: (consumer) => shortfallHistory.get(consumer.unitId) ?? null,
  })
  let disposed = false
  const stop = (): void => {
    if (disposed) return
    disposed = true
    service.dispose()
    opened?.value.close()
  }
  cleanups.push(stop)
  return {
    service,
    journal: journal as Journal,
    scheduler,
    drillActions,
    setConditions: (next) => (conditions = next),
    setAlarms: (next) => (alarms = next),
    setDrill: (plants) => (drillPlants = plants),
    shortfallHistory,
    restart: () => {
      stop()
      return start(file, scheduler, conditions, withJournal)
    },
  }
}

const roles = {
  commander: 'A. Operator',
  technicalLead: null,
  communicationsLead: null,
  scribe: null,
}
const allPlants = ['plant-001', 'plant-002', 'plant-003']
const threePlantsLost = (): SiteConditions =>
  withHeat(siteConditions(), { 'plant-001': 'lost', 'plant-002': 'lost', 'plant-003': 'lost' })

function failure(action: () => unknown): ApiFailure {
  try {
    action()
  } catch (error) {
    if (error instanceof ApiFailure) return error
    throw error
  }
  throw new Error('expected the service to refuse')
}

const types = (journal: Journal): string[] =>
  journal.byTypePrefix('incident.').map((event) => event.type)

describe('severity suggestions', () => {
  it('raises a suggestion when the condition appears, journals it, and clears it when it goes', async () => {
    const harness = start()
    await harness.scheduler.advance(1_000)
    expect(harness.service.status().suggestions).toEqual([])

    harness.setConditions(threePlantsLost())
    await harness.scheduler.advance(1_000)
    const [suggestion] = harness.service.status().suggestions
    expect(suggestion).toMatchObject({
      rule: 'multi-plant-heat-loss',
      severity: 'P0',
      plants: allPlants,
      since: t0 + 2_000,
    })
    // The figures move on every second; the first sighting, which the clock runs from, stays.
    await harness.scheduler.advance(5_000)
    expect(harness.service.status().suggestions[0]?.since).toBe(t0 + 2_000)
    expect(types(harness.journal)).toEqual(['incident.suggestion-raised'])

    harness.setConditions(siteConditions())
    await harness.scheduler.advance(1_000)
    expect(harness.service.status().suggestions).toEqual([])
    expect(types(harness.journal)).toEqual([
      'incident.suggestion-raised',
      'incident.suggestion-cleared',
    ])
  })

  it('keeps a dismissed suggestion out of sight, with the reason on the journal', async () => {
    const harness = start()
    harness.setConditions(threePlantsLost())
    await harness.scheduler.advance(1_000)
    const id = harness.service.status().suggestions[0]!.id
    expect(harness.service.dismissSuggestion(id, 'planned outage of all three', 'operator')).toBe(
      true,
    )
    await harness.scheduler.advance(1_000)
    expect(harness.service.status().suggestions).toEqual([])
    const dismissed = harness.journal.byTypePrefix('incident.suggestion-dismissed')
    expect(dismissed.map((event) => event.data)).toEqual([
      { suggestionId: id, reason: 'planned outage of all three' },
    ])
  })
})

describe('declaring', () => {
  it('records a confirmed suggestion with detection at its first sighting', async () => {
    const harness = start()
    harness.setConditions(threePlantsLost())
    await harness.scheduler.advance(1_000)
    const suggestion = harness.service.status().suggestions[0]!
    await harness.scheduler.advance(3 * minute)
    const view = harness.service.declare(
      {
        severity: 'P0',
        title: suggestion.title,
        plants: allPlants,
        roles,
        suggestionId: suggestion.id,
      },
      'operator',
    )
    expect(view.incident.id).toBe('INC-20261122-001-7F3A9C')
    expect(view.incident.basis).toMatchObject({
      kind: 'suggestion',
      confirmed: true,
      overrideReason: null,
    })
    expect(view.incident.detectedAt).toBe(suggestion.since)
    expect(view.clocks.acknowledge).toMatchObject({
      targetAt: suggestion.since + 5 * minute,
      doneAt: harness.scheduler.now(),
    })
    expect(view.clocks.action?.targetAt).toBe(suggestion.since + 10 * minute)
    // The suggestion is now the incident's: it leaves the list.
    expect(harness.service.status().suggestions).toEqual([])
    // A real incident is not a drill's business.
    expect(view.incident.drill).toBe(false)
    expect(harness.drillActions).toEqual([])
  })

  it('refuses an override without a reason and records one with it', async () => {
    const harness = start()
    harness.setConditions(threePlantsLost())
    await harness.scheduler.advance(1_000)
    const suggestion = harness.service.status().suggestions[0]!
    const request = { severity: 'P1' as const, title: 'Fuel supply', plants: allPlants, roles }
    const refused = failure(() =>
      harness.service.declare({ ...request, suggestionId: suggestion.id }, 'operator'),
    )
    expect(refused.code).toBe('override-reason')
    expect(refused.message).toContain('suggests P0')
    const view = harness.service.declare(
      { ...request, suggestionId: suggestion.id, overrideReason: 'heat is back on the way' },
      'operator',
    )
    expect(view.incident.basis).toMatchObject({
      confirmed: false,
      suggestedSeverity: 'P0',
      overrideReason: 'heat is back on the way',
    })
    expect(view.incident.severity).toBe('P1')
  })

  it('counts detection from the first alarm on the plants and acknowledgement from its ack', async () => {
    const harness = start()
    harness.setAlarms([
      alarmSnapshot('plant-002.header.pressure:l', 'acknowledged', {
        unit: 'plant-002.header',
        raisedAt: t0 - 4 * minute,
        acknowledged: { by: 'operator', at: t0 - 2 * minute },
      }),
      alarmSnapshot('plant-003.header.pressure:l', 'unacknowledged', {
        unit: 'plant-003.header',
        raisedAt: t0 - 9 * minute,
      }),
    ])
    const view = harness.service.declare(
      { severity: 'P1', title: 'Plant 002 header low', plants: ['plant-002'], roles },
      'operator',
    )
    expect(view.incident.basis).toEqual({ kind: 'operator' })
    expect(view.incident.detectedAt).toBe(t0 - 4 * minute)
    expect(view.incident.acknowledgedAt).toBe(t0 - 2 * minute)
    expect(view.incident.startedAt).toBe(t0 - 4 * minute)
  })

  it('refuses unknown plants, and refuses to declare without a journal', () => {
    const harness = start()
    const refused = failure(() =>
      harness.service.declare(
        { severity: 'P2', title: 'x', plants: ['plant-009'], roles },
        'operator',
      ),
    )
    expect(refused.message).toBe('This site has no plant plant-009')
    const unrecorded = start(undefined, new ManualScheduler(t0), siteConditions(), false)
    expect(
      failure(() =>
        unrecorded.service.declare(
          { severity: 'P2', title: 'x', plants: ['plant-001'], roles },
          'operator',
        ),
      ).code,
    ).toBe('not-recording')
  })

  it('marks an incident of drilled plants as a drill, and refuses to mix drilled and real plants', () => {
    const harness = start()
    harness.setDrill(['plant-001', 'plant-002'])
    const mixed = failure(() =>
      harness.service.declare({ severity: 'P1', title: 'x', plants: allPlants, roles }, 'operator'),
    )
    expect(mixed.code).toBe('drill-and-real')
    expect(mixed.message).toBe(
      'plant-001, plant-002 are in a drill and the other plants are not: declare the drill and the real incident separately',
    )
    const real = harness.service.declare(
      { severity: 'P1', title: 'real', plants: ['plant-003'], roles },
      'operator',
    )
    expect(real.incident.drill).toBe(false)
    expect(harness.drillActions).toEqual([])
    const drill = harness.service.declare(
      { severity: 'P1', title: 'rehearsal', plants: ['plant-001'], roles },
      'operator',
    )
    // A drill's start is its first fault, and its debrief hears of the declaration.
    expect(drill.incident).toMatchObject({ drill: true, startedAt: t0 - minute })
    expect(harness.drillActions.map((action) => action.kind)).toEqual([
      'acknowledged',
      'incident-declared',
    ])
  })

  it('gives each new incident of the day the next number', () => {
    const harness = start()
    const ids = [1, 2, 3].map(
      (n) =>
        harness.service.declare(
          { severity: 'P3', title: `incident ${n}`, plants: ['plant-001'], roles },
          'operator',
        ).incident.id,
    )
    expect(ids).toEqual([
      'INC-20261122-001-7F3A9C',
      'INC-20261122-002-7F3A9C',
      'INC-20261122-003-7F3A9C',
    ])
  })
})

describe('restoration clocks', () => {
  it('runs a consumer clock from when it fell short, even before the declaration', async () => {
    const harness = start()
    const short = siteConditions()
    short.consumers[0] = { ...short.consumers[0]!, state: 'degraded', value: 70 }
    harness.setConditions(short)
    await harness.scheduler.advance(1_000)
    const shortAt = harness.scheduler.now()
    await harness.scheduler.advance(4 * minute)
    const view = harness.service.declare(
      { severity: 'P1', title: 'Hospital HVAC short', plants: ['plant-001'], roles },
      'operator',
    )
    expect(view.clocks.consumers).toEqual([
      expect.objectContaining({
        unitId: 'consumer-hospital-hvac',
        startAt: shortAt,
        targetAt: shortAt + 10 * minute,
        doneAt: null,
      }),
    ])
    harness.setConditions(siteConditions())
    await harness.scheduler.advance(1_000)
    const restored = harness.service.status().incidents[0]!
    expect(restored.clocks.consumers[0]?.doneAt).toBe(harness.scheduler.now())
  })
})

describe('a shortfall under way at start-up', () => {
  it('runs its clock from when the history says it began, and a later one from when it was seen', async () => {
    const short = siteConditions()
    short.consumers[0] = { ...short.consumers[0]!, state: 'lost', value: 55 }
    const harness = start(undefined, new ManualScheduler(t0), short)
    harness.shortfallHistory.set('consumer-hospital-hvac', t0 - 6 * minute)
    await harness.scheduler.advance(1_000)
    const view = harness.service.declare(
      { severity: 'P1', title: 'Hospital HVAC', plants: ['plant-001', 'plant-002'], roles },
      'operator',
    )
    expect(view.clocks.consumers.map((clock) => [clock.plantId, clock.startAt])).toEqual([
      ['plant-001', t0 - 6 * minute],
    ])
    // Plant 002's consumer was seen normal, then short: the history is not asked.
    harness.shortfallHistory.set('consumer-hospital-hvac', t0 - 60 * minute)
    const worse = siteConditions()
    worse.consumers[0] = short.consumers[0]!
    worse.consumers[1] = { ...worse.consumers[1]!, state: 'degraded', value: 70 }
    harness.setConditions(worse)
    await harness.scheduler.advance(1_000)
    expect(
      harness.service
        .status()
        .incidents[0]!.clocks.consumers.map((clock) => [clock.plantId, clock.startAt]),
    ).toEqual([
      ['plant-001', t0 - 6 * minute],
      ['plant-002', t0 + 2_000],
    ])
  })
})

describe('a restart mid-incident', () => {
  it('restores the incident, every clock and the pending suggestions from the journal', async () => {
    let harness = start()
    harness.setConditions(threePlantsLost())
    await harness.scheduler.advance(1_000)
    const suggestion = harness.service.status().suggestions[0]!
    const view = harness.service.declare(
      { severity: 'P1', title: 'Plant 001', plants: ['plant-001'], roles },
      'operator',
    )
    const id = view.incident.id
    await harness.scheduler.advance(2 * minute)
    harness.service.recordCall(
      id,
      { levelId: 'operations-manager', contact: 'Maria Okafor', outcome: 'no-answer', note: '' },
      'operator',
    )
    harness.service.sendUpdate(id, 'initial', 'First word', 'operator')
    harness.service.changeSeverity(id, 'P0', 'spreading', 'operator')
    harness.service.startMitigation(id, 'manual mode on plant 001', 'operator')
    await harness.scheduler.advance(7 * minute)
    const before = harness.service.status()

    harness = harness.restart()
    const after = harness.service.status()
    expect(after.incidents).toEqual(before.incidents)
    // The incident, now P0, holds one plant of three: the multi-plant suggestion still stands, and
    // keeps its first sighting.
    expect(after.suggestions.map((known) => [known.id, known.since])).toEqual([
      [suggestion.id, suggestion.since],
    ])
    const clocks = after.incidents[0]!.clocks
    // Acknowledging is judged at the severity declared (P1: 15 min); mitigation at P0 from the raise.
    expect(clocks.acknowledge?.targetAt).toBe(view.incident.detectedAt + 15 * minute)
    expect(clocks.action?.targetAt).toBe(t0 + 1_000 + 2 * minute + 10 * minute)
    expect(clocks.update).toMatchObject({
      kind: 'update',
      dueAt: t0 + 1_000 + 2 * minute + 15 * minute,
    })
    expect(
      after.incidents[0]!.escalation.map((step) => [step.levelId, step.state, step.attempts]),
    ).toEqual([
      ['operations-manager', 'due', 1],
      ['safety-officer', 'due', 0],
      ['engineering-manager', 'upcoming', 0],
    ])
    // And the restarted service goes on recording where the other left off.
    await harness.scheduler.advance(1_000)
    harness.service.addNote(id, 'after the restart', 'operator')
    expect(harness.service.status().incidents[0]!.incident.notes.map((note) => note.text)).toEqual([
      'after the restart',
    ])
  })
})

describe('checklists, resolution and review', () => {
  it('refuses to tick a judged item, ticks an operator item, and resolves only with reasons', async () => {
    const harness = start()
    const id = harness.service.declare(
      { severity: 'P1', title: 'Plant 001', plants: ['plant-001'], roles },
      'operator',
    ).incident.id
    await harness.scheduler.advance(1_000)
    const view = harness.service.status().incidents[0]!
    const lists = view.checklists
    const judged = lists
      .flatMap((list) => list.items.map((item) => ({ list: list.id, item })))
      .find(({ item }) => item.judged)!
    const refused = failure(() =>
      harness.service.tick(
        id,
        { checklistId: judged.list, itemId: judged.item.id, done: true, note: '' },
        'operator',
      ),
    )
    expect(refused.code).toBe('judged-item')
    const ticked = lists
      .find((list) => list.id === 'emergency-assessment')!
      .items.find((item) => !item.judged)!
    const afterTick = harness.service.tick(
      id,
      {
        checklistId: 'emergency-assessment',
        itemId: ticked.id,
        done: true,
        note: 'boiler 3 on standby',
      },
      'operator',
    )
    const item = afterTick.checklists
      .find((list) => list.id === 'emergency-assessment')!
      .items.find((candidate) => candidate.id === ticked.id)!
    expect(item).toMatchObject({ done: true, tick: { done: true, note: 'boiler 3 on standby' } })

    // A live item is journalled when its judgement flips, with the evidence, not before.
    const evaluated = () =>
      harness.journal
        .byIncident(id)
        .filter((event) => event.type === 'incident.check-evaluated')
        .map((event) => event.data)
    expect(evaluated()).toEqual([])
    harness.setConditions(withHeat(siteConditions(), { 'plant-001': 'lost' }))
    await harness.scheduler.advance(1_000)
    expect(evaluated()).toContainEqual(
      expect.objectContaining({
        checklistId: 'heat-restoration',
        itemId: 'plants-heat-normal',
        state: 'not-met',
        evidence: expect.stringContaining('Plant 001 lost') as string,
      }),
    )
    const flips = evaluated().length
    await harness.scheduler.advance(5_000)
    expect(evaluated()).toHaveLength(flips)

    expect(failure(() => harness.service.saveReview(id, emptyReview, 'operator')).code).toBe(
      'incident-open',
    )
    const open = failure(() => harness.service.resolve(id, { summary: 'heat back' }, 'operator'))
    expect(open.code).toBe('exit-criteria-open')
    expect(open.message).toMatch(/^Exit criteria not met: /)
    const resolved = harness.service.resolve(
      id,
      { summary: 'heat back', openCriteriaReason: 'operators confirmed on the radio' },
      'operator',
    )
    expect(resolved.incident.resolved).toMatchObject({
      summary: 'heat back',
      openCriteriaReason: 'operators confirmed on the radio',
    })
    expect(resolved.incident.resolved?.exitCriteria.length).toBeGreaterThan(0)
    // On resolution every live item's final judgement is on the record, for the frozen checklists.
    const judgedItems = resolved.checklists.flatMap((list) =>
      list.items.filter((item) => item.judged),
    )
    expect(Object.keys(resolved.incident.evaluations)).toHaveLength(judgedItems.length)
    // Operational changes stop; the record (notes, review) stays open.
    expect(failure(() => harness.service.changeSeverity(id, 'P0', 'x', 'operator')).code).toBe(
      'incident-resolved',
    )
    harness.service.addNote(id, 'follow-up call with the fuel supplier', 'operator')
    const { review, saved } = harness.service.review(id)
    expect(saved).toBe(false)
    const stored = harness.service.saveReview(
      id,
      { ...review, rootCause: 'fuel valve' },
      'operator',
    )
    expect(stored.incident.review).toMatchObject({
      version: 1,
      review: { rootCause: 'fuel valve' },
    })
    expect(harness.service.review(id)).toMatchObject({
      saved: true,
      review: { rootCause: 'fuel valve' },
    })
  })
})

describe('the timeline', () => {
  it('holds the incident’s own events and the alarms and heat changes of its plants only', async () => {
    const harness = start()
    harness.journal.append({
      type: 'heat.status-changed',
      actor: 'system',
      data: { plantId: 'plant-001', from: 'normal', to: 'lost', reasons: ['header low'] },
    })
    harness.journal.append({
      type: 'heat.status-changed',
      actor: 'system',
      data: { plantId: 'plant-002', from: 'normal', to: 'degraded', reasons: ['header low'] },
    })
    harness.journal.append({ type: 'sync.batch-sent', actor: 'system', data: {} })
    await harness.scheduler.advance(1_000)
    const id = harness.service.declare(
      { severity: 'P1', title: 'Plant 001', plants: ['plant-001'], roles },
      'operator',
    ).incident.id
    harness.service.addNote(id, 'called the boiler house', 'operator')
    const { events, truncated } = harness.service.timeline(id)
    expect(truncated).toBe(false)
    expect(events.map((event) => [event.type, event.data.plantId ?? event.incidentId])).toEqual(
      expect.arrayContaining([
        ['heat.status-changed', 'plant-001'],
        ['incident.declared', id],
        ['incident.note-added', id],
      ]),
    )
    expect(events.some((event) => event.data.plantId === 'plant-002')).toBe(false)
    expect(events.some((event) => event.type === 'sync.batch-sent')).toBe(false)
    expect(events.map((event) => event.seq)).toEqual(
      [...events.map((event) => event.seq)].sort((a, b) => a - b),
    )
  })
})
