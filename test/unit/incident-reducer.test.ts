import { describe, expect, it } from 'vitest'
import type { IncidentState } from '../../src/shared/incidents/model'
import {
  applyIncidentEvent,
  IncidentEventError,
  reduceIncidents,
} from '../../src/shared/incidents/reducer'
import {
  declaration,
  incidentEvent,
  incidentFrom,
  incidentIdOf,
  journalEvent,
  minute,
  t0,
  emptyReview,
} from '../support/incident-fixtures'

const otherId = 'INC-20261122-002-7F3A9C'

const resolvedEvent = (at: number, id = incidentIdOf) =>
  incidentEvent(
    'incident.resolved',
    {
      summary: 'Heat back on all plants',
      exitCriteria: [
        { itemId: 'heat-back', label: 'Heat restored', state: 'met', evidence: 'header 10 bar' },
      ],
      openCriteriaReason: null,
    },
    at,
    id,
  )

const hvacShort = (at: number, since = at) =>
  incidentEvent(
    'incident.consumer-short',
    {
      plantId: 'plant-001',
      unitId: 'consumer-hospital-hvac',
      name: 'Hospital HVAC',
      priorityClass: 'life-safety',
      since,
    },
    at,
  )

const hvacRestored = (at: number) =>
  incidentEvent(
    'incident.consumer-restored',
    { plantId: 'plant-001', unitId: 'consumer-hospital-hvac' },
    at,
  )

/** The error a thunk throws, checked to be an IncidentEventError. */
function incidentError(thunk: () => unknown): IncidentEventError {
  try {
    thunk()
  } catch (error) {
    expect(error).toBeInstanceOf(IncidentEventError)
    return error as IncidentEventError
  }
  throw new Error('expected an IncidentEventError, nothing was thrown')
}

describe('applyIncidentEvent: declaration', () => {
  it('builds the whole state from the declaration', () => {
    const declared = declaration({ severity: 'P1', drill: true }, t0 + 2 * minute)
    const state = applyIncidentEvent(null, declared)
    expect(state).toEqual<IncidentState>({
      id: incidentIdOf,
      severity: 'P1',
      title: 'Multi-plant heat loss',
      plants: ['plant-001', 'plant-002', 'plant-003'],
      roles: {
        commander: 'A. Operator',
        technicalLead: null,
        communicationsLead: null,
        scribe: null,
      },
      basis: {
        kind: 'suggestion',
        suggestionId: 'multi-plant-heat-loss:site',
        rule: 'multi-plant-heat-loss',
        suggestedSeverity: 'P0',
        reason: '3 plants have lost heat',
        confirmed: true,
        overrideReason: null,
      },
      drill: true,
      consoleId: 'console-a-7f3a9c21',
      declaredAt: t0 + 2 * minute,
      declaredBy: 'operator',
      startedAt: t0,
      detectedAt: t0,
      acknowledgedAt: t0 + 2 * minute,
      severityChanges: [],
      mitigations: [],
      calls: [],
      ticks: {},
      evaluations: {},
      updates: [],
      notes: [],
      consumers: [],
      resolved: null,
      review: null,
      lastSeq: declared.seq,
    })
  })

  it('takes declaredAt from the event time and declaredBy from its actor', () => {
    const event = journalEvent('incident.declared', declaration().data, {
      at: t0 + 7 * minute,
      incidentId: incidentIdOf,
      actor: 'b.shift-lead',
    })
    const state = applyIncidentEvent(null, event)
    expect(state?.declaredAt).toBe(t0 + 7 * minute)
    expect(state?.declaredBy).toBe('b.shift-lead')
  })

  it('returns the state unchanged for events that are not incident events', () => {
    const state = applyIncidentEvent(null, declaration())
    const alarm = journalEvent('alarm.acknowledged', { alarmId: 'x' }, { at: t0, incidentId: null })
    expect(applyIncidentEvent(state, alarm)).toBe(state)
    expect(applyIncidentEvent(null, alarm)).toBeNull()
  })
})

describe('applyIncidentEvent: each event type', () => {
  const declared = () => applyIncidentEvent(null, declaration())!
  const apply = (state: IncidentState, ...events: ReturnType<typeof incidentEvent>[]) =>
    events.reduce<IncidentState>((current, event) => applyIncidentEvent(current, event)!, state)

  it('severity-changed sets the severity and keeps the change with its time and author', () => {
    const event = journalEvent(
      'incident.severity-changed',
      { from: 'P0', to: 'P1', reason: 'one plant back' },
      { at: t0 + 20 * minute, incidentId: incidentIdOf, actor: 'commander' },
    )
    const state = apply(declared(), event)
    expect(state.severity).toBe('P1')
    expect(state.severityChanges).toEqual([
      { at: t0 + 20 * minute, by: 'commander', from: 'P0', to: 'P1', reason: 'one plant back' },
    ])
    expect(state.lastSeq).toBe(event.seq)
  })

  it('roles-assigned replaces the roles and fills defaults', () => {
    const state = apply(
      declared(),
      journalEvent(
        'incident.roles-assigned',
        { roles: { commander: 'C. Chief', scribe: 'D. Scribe' } },
        { at: t0 + 3 * minute, incidentId: incidentIdOf },
      ),
    )
    expect(state.roles).toEqual({
      commander: 'C. Chief',
      technicalLead: null,
      communicationsLead: null,
      scribe: 'D. Scribe',
    })
  })

  it('plants-changed replaces the plants', () => {
    const state = apply(
      declared(),
      incidentEvent('incident.plants-changed', { plants: ['plant-002'] }, t0 + 4 * minute),
    )
    expect(state.plants).toEqual(['plant-002'])
  })

  it('mitigation-started, call-recorded, update-sent and note-added append in order', () => {
    const state = apply(
      declared(),
      incidentEvent('incident.mitigation-started', { summary: 'standby boiler' }, t0 + 5 * minute),
      incidentEvent('incident.mitigation-started', { summary: 'load shed' }, t0 + 6 * minute),
      incidentEvent(
        'incident.call-recorded',
        {
          levelId: 'safety-officer',
          levelName: 'Plant Safety Officer',
          contact: 'S. Safe',
          phone: '555 0101',
          outcome: 'no-answer',
          note: '',
        },
        t0 + 7 * minute,
      ),
      incidentEvent('incident.update-sent', { kind: 'initial', text: 'first' }, t0 + 8 * minute),
      incidentEvent('incident.update-sent', { kind: 'update', text: 'second' }, t0 + 9 * minute),
      incidentEvent('incident.note-added', { text: 'pump 2 tripped' }, t0 + 10 * minute),
    )
    expect(state.mitigations).toEqual([
      { at: t0 + 5 * minute, by: 'operator', summary: 'standby boiler' },
      { at: t0 + 6 * minute, by: 'operator', summary: 'load shed' },
    ])
    expect(state.calls).toEqual([
      {
        at: t0 + 7 * minute,
        by: 'operator',
        levelId: 'safety-officer',
        levelName: 'Plant Safety Officer',
        contact: 'S. Safe',
        phone: '555 0101',
        outcome: 'no-answer',
        note: '',
      },
    ])
    expect(state.updates.map((update) => [update.kind, update.text, update.at])).toEqual([
      ['initial', 'first', t0 + 8 * minute],
      ['update', 'second', t0 + 9 * minute],
    ])
    expect(state.notes).toEqual([{ at: t0 + 10 * minute, by: 'operator', text: 'pump 2 tripped' }])
  })

  it('check-ticked: the latest tick or untick of an item wins, items kept apart', () => {
    const tick = (itemId: string, done: boolean, at: number, note = '') =>
      incidentEvent(
        'incident.check-ticked',
        { checklistId: 'p0', itemId, label: itemId, done, note },
        at,
      )
    const state = apply(
      declared(),
      tick('isolate', true, t0 + 3 * minute, 'done by B'),
      tick('notify', true, t0 + 4 * minute),
      tick('isolate', false, t0 + 5 * minute, 'reopened'),
    )
    expect(state.ticks).toEqual({
      'p0/isolate': { at: t0 + 5 * minute, by: 'operator', done: false, note: 'reopened' },
      'p0/notify': { at: t0 + 4 * minute, by: 'operator', done: true, note: '' },
    })
  })

  it('check-evaluated keeps the latest live judgement per item', () => {
    const evaluate = (state: 'met' | 'not-met' | 'unknown', at: number) =>
      incidentEvent(
        'incident.check-evaluated',
        {
          checklistId: 'exit',
          itemId: 'heat-back',
          label: 'Heat back',
          state,
          evidence: `at ${at}`,
        },
        at,
      )
    const state = apply(declared(), evaluate('not-met', t0), evaluate('met', t0 + minute))
    expect(state.evaluations).toEqual({
      'exit/heat-back': { at: t0 + minute, state: 'met', evidence: `at ${t0 + minute}` },
    })
  })

  it('does not change the state it was given', () => {
    const before = declared()
    const snapshot = structuredClone(before)
    apply(
      before,
      incidentEvent('incident.note-added', { text: 'x' }, t0 + minute),
      hvacShort(t0 + minute),
      incidentEvent(
        'incident.check-ticked',
        { checklistId: 'a', itemId: 'b', label: 'B', done: true, note: '' },
        t0,
      ),
    )
    expect(before).toEqual(snapshot)
  })

  it('resolved keeps the summary, criteria and who resolved it', () => {
    const state = apply(declared(), resolvedEvent(t0 + 90 * minute))
    expect(state.resolved).toEqual({
      at: t0 + 90 * minute,
      by: 'operator',
      summary: 'Heat back on all plants',
      exitCriteria: [
        { itemId: 'heat-back', label: 'Heat restored', state: 'met', evidence: 'header 10 bar' },
      ],
      openCriteriaReason: null,
    })
  })

  it('review-saved: each save counts the version up, the latest review wins', () => {
    const save = (summary: string, at: number) =>
      incidentEvent('incident.review-saved', { review: { ...emptyReview, summary } }, at)
    const state1 = apply(
      declared(),
      resolvedEvent(t0 + 60 * minute),
      save('draft', t0 + 70 * minute),
    )
    expect(state1.review?.version).toBe(1)
    expect(state1.review?.review.summary).toBe('draft')
    const state3 = apply(state1, save('second', t0 + 80 * minute), save('final', t0 + 90 * minute))
    expect(state3.review).toEqual({
      at: t0 + 90 * minute,
      by: 'operator',
      review: { ...emptyReview, summary: 'final' },
      version: 3,
    })
  })
})

describe('applyIncidentEvent: consumers', () => {
  it('a consumer short twice while still short keeps one clock from the first time', () => {
    const state = incidentFrom([
      declaration(),
      hvacShort(t0 + 3 * minute, t0 + minute),
      hvacShort(t0 + 5 * minute, t0 + 4 * minute),
    ])
    expect(state.consumers).toEqual([
      {
        plantId: 'plant-001',
        unitId: 'consumer-hospital-hvac',
        name: 'Hospital HVAC',
        priorityClass: 'life-safety',
        since: t0 + minute,
        restoredAt: null,
      },
    ])
  })

  it('restored sets restoredAt; short again afterwards starts a second clock', () => {
    const state = incidentFrom([
      declaration(),
      hvacShort(t0 + 3 * minute, t0 + minute),
      hvacRestored(t0 + 8 * minute),
      hvacShort(t0 + 20 * minute, t0 + 19 * minute),
    ])
    expect(state.consumers.map(({ since, restoredAt }) => ({ since, restoredAt }))).toEqual([
      { since: t0 + minute, restoredAt: t0 + 8 * minute },
      { since: t0 + 19 * minute, restoredAt: null },
    ])
    const again = applyIncidentEvent(state, hvacRestored(t0 + 25 * minute))!
    expect(again.consumers.map((consumer) => consumer.restoredAt)).toEqual([
      t0 + 8 * minute,
      t0 + 25 * minute,
    ])
  })

  it('restoring one consumer leaves another unit and another plant short', () => {
    const short = (plantId: string, unitId: string) =>
      incidentEvent(
        'incident.consumer-short',
        { plantId, unitId, name: unitId, priorityClass: 'production', since: t0 },
        t0 + minute,
      )
    const state = incidentFrom([
      declaration(),
      short('plant-001', 'consumer-hospital-hvac'),
      short('plant-001', 'dryer'),
      short('plant-002', 'consumer-hospital-hvac'),
      hvacRestored(t0 + 9 * minute),
    ])
    expect(state.consumers.map((c) => [c.plantId, c.unitId, c.restoredAt])).toEqual([
      ['plant-001', 'consumer-hospital-hvac', t0 + 9 * minute],
      ['plant-001', 'dryer', null],
      ['plant-002', 'consumer-hospital-hvac', null],
    ])
  })
})

describe('applyIncidentEvent: errors', () => {
  it('rejects an event before the declaration, naming its seq and type', () => {
    const event = incidentEvent('incident.note-added', { text: 'early' }, t0)
    const error = incidentError(() => applyIncidentEvent(null, event))
    expect(error.event.seq).toBe(event.seq)
    expect(error.message).toBe(
      `journal event ${event.seq} (incident.note-added, ${incidentIdOf}): no declaration comes before it`,
    )
    expect(() => reduceIncidents([event])).toThrow(IncidentEventError)
  })

  it('rejects a second declaration of the same incident', () => {
    const second = declaration({}, t0 + 10 * minute)
    const error = incidentError(() => reduceIncidents([declaration(), second]))
    expect(error.message).toContain(`journal event ${second.seq} (incident.declared`)
    expect(error.message).toContain('already declared')
  })

  it('rejects a declaration without an incident id', () => {
    const event = journalEvent('incident.declared', declaration().data, {
      at: t0,
      incidentId: null,
    })
    const error = incidentError(() => applyIncidentEvent(null, event))
    expect(error.message).toContain('no incident')
    expect(error.message).toContain('needs an incident id')
  })

  it('rejects a second resolution', () => {
    const second = resolvedEvent(t0 + 100 * minute)
    const error = incidentError(() =>
      reduceIncidents([declaration(), resolvedEvent(t0 + 90 * minute), second]),
    )
    expect(error.message).toContain(`journal event ${second.seq} (incident.resolved`)
    expect(error.message).toContain('already resolved')
  })

  it('rejects an event of another incident applied to this one', () => {
    const state = applyIncidentEvent(null, declaration())
    const event = incidentEvent('incident.note-added', { text: 'x' }, t0, otherId)
    const error = incidentError(() => applyIncidentEvent(state, event))
    expect(error.message).toContain(`it belongs to ${otherId}, not ${incidentIdOf}`)
    expect(error.event.incidentId).toBe(otherId)
  })

  it.each([
    ['incident.severity-changed', { from: 'P0', to: 'P9', reason: '' }, 'to'],
    [
      'incident.call-recorded',
      { levelId: 'x', levelName: 'X', contact: 'c', phone: '1', outcome: 'maybe', note: '' },
      'outcome',
    ],
    [
      'incident.consumer-short',
      { plantId: 'p', unitId: 'u', name: 'n', priorityClass: 'life-safety' },
      'since',
    ],
    ['incident.roles-assigned', { roles: { commander: '' } }, 'roles.commander'],
    ['incident.note-added', { text: 'x', extra: true }, 'data'],
    ['incident.update-sent', { kind: 'weekly', text: 'x' }, 'kind'],
  ])('rejects malformed %s data, naming the field %s', (type, data, field) => {
    const state = applyIncidentEvent(null, declaration())
    const event = journalEvent(type, data, { at: t0 + minute, incidentId: incidentIdOf })
    const error = incidentError(() => applyIncidentEvent(state, event))
    expect(error.message).toContain(`journal event ${event.seq} (${type}, ${incidentIdOf}): `)
    expect(error.message).toMatch(new RegExp(`\\): ${field.replaceAll('.', '\\.')}: `))
  })

  it('rejects a malformed declaration, naming the field', () => {
    const event = journalEvent(
      'incident.declared',
      { ...declaration().data, detectedAt: 'soon' },
      { at: t0, incidentId: incidentIdOf },
    )
    const error = incidentError(() => applyIncidentEvent(null, event))
    expect(error.message).toContain(`journal event ${event.seq} (incident.declared`)
    expect(error.message).toContain('detectedAt: ')
  })
})

describe('reduceIncidents', () => {
  it('keeps two interleaved incidents apart', () => {
    const incidents = reduceIncidents([
      declaration(),
      declaration({ severity: 'P2', title: 'Boiler efficiency' }, t0 + 3 * minute, otherId),
      incidentEvent('incident.note-added', { text: 'for one' }, t0 + 4 * minute),
      incidentEvent('incident.note-added', { text: 'for two' }, t0 + 5 * minute, otherId),
      resolvedEvent(t0 + 6 * minute, otherId),
    ])
    expect([...incidents.keys()]).toEqual([incidentIdOf, otherId])
    const one = incidents.get(incidentIdOf)!
    const two = incidents.get(otherId)!
    expect([one.severity, one.title, one.resolved]).toEqual(['P0', 'Multi-plant heat loss', null])
    expect(one.notes.map((note) => note.text)).toEqual(['for one'])
    expect([two.severity, two.title]).toEqual(['P2', 'Boiler efficiency'])
    expect(two.notes.map((note) => note.text)).toEqual(['for two'])
    expect(two.resolved?.at).toBe(t0 + 6 * minute)
  })

  it('ignores non-incident events and events without an incident id', () => {
    const declared = declaration()
    const incidents = reduceIncidents([
      journalEvent('alarm.raised', { alarmId: 'a' }, { at: t0 }),
      declared,
      journalEvent('alarm.acknowledged', { alarmId: 'a' }, { at: t0, incidentId: incidentIdOf }),
      journalEvent(
        'incident.suggestion-raised',
        {
          suggestionId: 's',
          rule: 'r',
          severity: 'P1',
          title: 't',
          reason: '',
          plants: [],
          since: t0,
        },
        { at: t0 },
      ),
      journalEvent('incident.note-added', { text: 'console-wide' }, { at: t0, incidentId: null }),
    ])
    expect(incidents.size).toBe(1)
    const state = incidents.get(incidentIdOf)!
    expect(state.notes).toEqual([])
    expect(state.lastSeq).toBe(declared.seq)
  })

  it('returns an empty map for no events', () => {
    expect(reduceIncidents([]).size).toBe(0)
  })
})
