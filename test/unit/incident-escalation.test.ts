import { describe, expect, it } from 'vitest'
import { incidentClocks, type IncidentClocks } from '../../src/shared/incidents/clocks'
import {
  escalationPlanSchema,
  escalationSteps,
  type EscalationPlan,
  type EscalationStep,
} from '../../src/shared/incidents/escalation'
import type { CallOutcome, IncidentState } from '../../src/shared/incidents/model'
import { applyIncidentEvent, reduceIncidents } from '../../src/shared/incidents/reducer'
import type { IncidentSeverity } from '../../src/shared/incidents/severity'
import type { JournalEvent } from '../../src/shared/journal/event'
import {
  declaration,
  incidentEvent,
  incidentFrom,
  incidentIdOf,
  journalEvent,
  minute,
  t0,
} from '../support/incident-fixtures'

const level = (id: string, name: string, person: string) => ({
  id,
  name,
  contacts: [{ name: person, phone: `555 01${id.length}` }],
})

/** The runbook's chain ("Escalation Paths") as a site file would state it. */
const runbookPlan = {
  levels: [
    level('operations-manager', 'Plant Operations Manager', 'O. Manager'),
    level('safety-officer', 'Plant Safety Officer', 'S. Safe'),
    level('engineering-manager', 'Engineering Manager', 'E. Engineer'),
    level('vp-operations', 'VP Operations', 'V. President'),
    level('on-call-primary', 'Primary On-Call Engineer', 'P. Primary'),
  ],
  triggers: [
    {
      severities: ['P0'],
      afterMinutes: 0,
      levels: ['operations-manager', 'safety-officer'],
      why: 'P0: operations manager and safety officer at once',
    },
    { severities: ['P0'], afterMinutes: 15, levels: ['engineering-manager'], why: 'P0 at 15 min' },
    { severities: ['P0'], afterMinutes: 30, levels: ['vp-operations'], why: 'P0 at 30 min' },
    {
      severities: ['P0'],
      afterMinutes: 60,
      levels: ['engineering-manager', 'vp-operations'],
      why: 'P0 unresolved after 1 hour',
    },
    { severities: ['P1'], afterMinutes: 15, levels: ['operations-manager'], why: 'P1 at 15 min' },
    { severities: ['P1'], afterMinutes: 30, levels: ['engineering-manager'], why: 'P1 at 30 min' },
    {
      severities: ['P2'],
      afterMinutes: 240,
      levels: ['engineering-manager'],
      why: 'P2 at 4 hours',
    },
  ],
}
const plan: EscalationPlan = escalationPlanSchema.parse(runbookPlan)

const call = (levelId: string, outcome: CallOutcome, at: number, note = '') =>
  incidentEvent(
    'incident.call-recorded',
    {
      levelId,
      levelName: levelId,
      contact: `contact of ${levelId}`,
      phone: '555 0100',
      outcome,
      note,
    },
    at,
  )
const severityTo = (from: IncidentSeverity, to: IncidentSeverity, at: number) =>
  incidentEvent('incident.severity-changed', { from, to, reason: 'reassessed' }, at)
const resolved = (at: number) =>
  incidentEvent(
    'incident.resolved',
    { summary: 'over', exitCriteria: [], openCriteriaReason: null },
    at,
  )
const declared = (severity: IncidentSeverity) => declaration({ severity })

const steps = (now: number, ...events: JournalEvent[]) =>
  escalationSteps(plan, incidentFrom(events), now)
const brief = (list: EscalationStep[]) =>
  list.map((step) => [step.levelId, step.dueAt - t0, step.state, step.attempts])

describe('escalationPlanSchema', () => {
  it('reads the runbook plan and defaults to an empty plan', () => {
    expect(plan.levels.map((entry) => entry.id)).toEqual([
      'operations-manager',
      'safety-officer',
      'engineering-manager',
      'vp-operations',
      'on-call-primary',
    ])
    expect(plan.triggers).toHaveLength(7)
    expect(escalationPlanSchema.parse({})).toEqual({ levels: [], triggers: [] })
  })

  it('rejects a trigger naming an unknown level, with the path of that level', () => {
    const result = escalationPlanSchema.safeParse({
      ...runbookPlan,
      triggers: [
        ...runbookPlan.triggers,
        { severities: ['P1'], afterMinutes: 5, levels: ['safety-officer', 'ceo'], why: 'x' },
      ],
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues).toHaveLength(1)
    expect(result.error?.issues[0]).toMatchObject({
      path: ['triggers', 7, 'levels', 1],
      message: 'no escalation level with id "ceo"',
    })
  })

  it('rejects a duplicate level id, at the second one', () => {
    const result = escalationPlanSchema.safeParse({
      ...runbookPlan,
      levels: [
        ...runbookPlan.levels,
        level('safety-officer', 'Deputy Safety Officer', 'D. Deputy'),
      ],
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues).toHaveLength(1)
    expect(result.error?.issues[0]).toMatchObject({
      path: ['levels', 5, 'id'],
      message: 'duplicate level id "safety-officer"',
    })
  })

  it('rejects a level nobody can be called at, a bad id and a negative delay', () => {
    const noContacts = escalationPlanSchema.safeParse({
      levels: [{ id: 'x', name: 'X', contacts: [] }],
    })
    expect(noContacts.error?.issues[0]).toMatchObject({
      path: ['levels', 0, 'contacts'],
      message: 'a level needs someone to call',
    })
    const badId = escalationPlanSchema.safeParse({ levels: [level('Safety Officer', 'S', 'S')] })
    expect(badId.error?.issues[0]?.path).toEqual(['levels', 0, 'id'])
    const negative = escalationPlanSchema.safeParse({
      levels: [level('x', 'X', 'X')],
      triggers: [{ severities: ['P0'], afterMinutes: -1, levels: ['x'], why: 'w' }],
    })
    expect(negative.error?.issues[0]?.path).toEqual(['triggers', 0, 'afterMinutes'])
  })
})

describe('escalationSteps', () => {
  it('P0: due times from detection, earliest trigger per level, due or upcoming against now', () => {
    // Declared 2 min after detection; at 20 min after detection.
    const list = steps(t0 + 20 * minute, declared('P0'))
    expect(brief(list)).toEqual([
      ['operations-manager', 0, 'due', 0],
      ['safety-officer', 0, 'due', 0],
      ['engineering-manager', 15 * minute, 'due', 0],
      ['vp-operations', 30 * minute, 'upcoming', 0],
    ])
    expect(list.map((step) => step.why)).toEqual([
      'P0: operations manager and safety officer at once',
      'P0: operations manager and safety officer at once',
      'P0 at 15 min',
      'P0 at 30 min',
    ])
    expect(list[1]).toMatchObject({
      name: 'Plant Safety Officer',
      contacts: [{ name: 'S. Safe', phone: '555 0114' }],
      lastCall: null,
    })
  })

  it('a level is due exactly at its minute, upcoming a millisecond before', () => {
    expect(brief(steps(t0 + 15 * minute - 1, declared('P0')))[2]).toEqual([
      'engineering-manager',
      15 * minute,
      'upcoming',
      0,
    ])
    expect(brief(steps(t0 + 15 * minute, declared('P0')))[2]?.[2]).toBe('due')
  })

  it('the earliest trigger wins whatever order the triggers come in', () => {
    const reversed = escalationPlanSchema.parse({
      ...runbookPlan,
      triggers: [...runbookPlan.triggers].reverse(),
    })
    const list = escalationSteps(reversed, incidentFrom([declared('P0')]), t0)
    expect(list.map((step) => [step.levelId, step.dueAt - t0, step.why])).toEqual([
      ['operations-manager', 0, 'P0: operations manager and safety officer at once'],
      ['safety-officer', 0, 'P0: operations manager and safety officer at once'],
      ['engineering-manager', 15 * minute, 'P0 at 15 min'],
      ['vp-operations', 30 * minute, 'P0 at 30 min'],
    ])
  })

  it('counts from detectedAt, not from the declaration', () => {
    const incident = incidentFrom([
      declaration({ severity: 'P1', detectedAt: t0 - 10 * minute }, t0 + 20 * minute),
    ])
    expect(
      escalationSteps(plan, incident, t0 + 20 * minute).map((step) => [step.levelId, step.dueAt]),
    ).toEqual([
      ['operations-manager', t0 + 5 * minute],
      ['engineering-manager', t0 + 20 * minute],
    ])
  })

  it('P1 gets only the P1 levels; P2 only engineering at 4 hours; P3 none', () => {
    expect(brief(steps(t0 + 20 * minute, declared('P1')))).toEqual([
      ['operations-manager', 15 * minute, 'due', 0],
      ['engineering-manager', 30 * minute, 'upcoming', 0],
    ])
    expect(brief(steps(t0, declared('P2')))).toEqual([
      ['engineering-manager', 240 * minute, 'upcoming', 0],
    ])
    expect(steps(t0 + 1000 * minute, declared('P3'))).toEqual([])
  })

  it('no answer and message left stay due, counting attempts; reached is done', () => {
    const list = steps(
      t0 + 20 * minute,
      declared('P0'),
      call('operations-manager', 'no-answer', t0 + 3 * minute),
      call('safety-officer', 'message-left', t0 + 4 * minute, 'left voicemail'),
      call('operations-manager', 'message-left', t0 + 5 * minute, 'second try'),
      call('engineering-manager', 'no-answer', t0 + 16 * minute),
      call('engineering-manager', 'reached', t0 + 17 * minute, 'on the way'),
    )
    expect(brief(list)).toEqual([
      ['operations-manager', 0, 'due', 2],
      ['safety-officer', 0, 'due', 1],
      ['engineering-manager', 15 * minute, 'reached', 2],
      ['vp-operations', 30 * minute, 'upcoming', 0],
    ])
    expect(list[0]?.lastCall).toEqual({
      at: t0 + 5 * minute,
      contact: 'contact of operations-manager',
      outcome: 'message-left',
      note: 'second try',
    })
    expect(list[2]?.lastCall?.outcome).toBe('reached')
  })

  it('a level reached before its time is reached, not upcoming', () => {
    const list = steps(
      t0 + 5 * minute,
      declared('P0'),
      call('vp-operations', 'reached', t0 + 4 * minute),
    )
    expect(list.find((step) => step.levelId === 'vp-operations')?.state).toBe('reached')
  })

  it('a later reached call still counts after a no-answer, and a no-answer after reached keeps it', () => {
    const list = steps(
      t0 + 20 * minute,
      declared('P0'),
      call('safety-officer', 'reached', t0 + 3 * minute),
      call('safety-officer', 'no-answer', t0 + 10 * minute),
    )
    expect(list.find((step) => step.levelId === 'safety-officer')).toMatchObject({
      state: 'reached',
      attempts: 2,
      lastCall: { outcome: 'no-answer', at: t0 + 10 * minute },
    })
  })

  it('a raise to P0 long after detection makes the P0 calls due from the raise', () => {
    const raised = t0 + 120 * minute
    const events = [
      declared('P1'),
      call('operations-manager', 'reached', t0 + 16 * minute),
      severityTo('P1', 'P0', raised),
    ]
    // dueAt is shown from t0: the immediate levels are due at the raise, the rest 15 and 30 min on.
    expect(brief(steps(raised, ...events))).toEqual([
      ['operations-manager', 120 * minute, 'reached', 1],
      ['safety-officer', 120 * minute, 'due', 0],
      ['engineering-manager', 135 * minute, 'upcoming', 0],
      ['vp-operations', 150 * minute, 'upcoming', 0],
    ])
  })

  it('after resolution: unreached past-due levels are missed, later ones dropped', () => {
    const list = steps(
      t0 + 500 * minute,
      declared('P0'),
      call('operations-manager', 'reached', t0 + 3 * minute),
      call('safety-officer', 'no-answer', t0 + 4 * minute),
      resolved(t0 + 20 * minute),
    )
    expect(brief(list)).toEqual([
      ['operations-manager', 0, 'reached', 1],
      ['safety-officer', 0, 'missed', 1],
      ['engineering-manager', 15 * minute, 'missed', 0],
    ])
  })

  it('a level due at the very minute of resolution is missed, not dropped', () => {
    const list = steps(t0 + 60 * minute, declared('P0'), resolved(t0 + 30 * minute))
    expect(list.at(-1)).toMatchObject({ levelId: 'vp-operations', state: 'missed' })
  })

  it('a level called without a trigger appears as called by the operator', () => {
    const list = steps(
      t0 + 20 * minute,
      declared('P1'),
      call('on-call-primary', 'no-answer', t0 + 3 * minute),
      call('on-call-primary', 'reached', t0 + 6 * minute),
      call('safety-officer', 'message-left', t0 + 8 * minute),
    )
    expect(list.map((step) => [step.levelId, step.dueAt - t0, step.state, step.why])).toEqual([
      ['on-call-primary', 3 * minute, 'reached', 'called by the operator'],
      ['safety-officer', 8 * minute, 'due', 'called by the operator'],
      ['operations-manager', 15 * minute, 'due', 'P1 at 15 min'],
      ['engineering-manager', 30 * minute, 'upcoming', 'P1 at 30 min'],
    ])
  })

  it('drops an extra level nobody reached once resolved: only levels the plan asked for are missed', () => {
    const resolution = incidentEvent(
      'incident.resolved',
      { summary: 'heat back', exitCriteria: [], openCriteriaReason: null },
      t0 + 12 * minute,
    )
    const list = steps(
      t0 + 20 * minute,
      declared('P1'),
      call('safety-officer', 'message-left', t0 + 8 * minute),
      resolution,
    )
    expect(list.map((step) => step.levelId)).not.toContain('safety-officer')
  })

  it('ignores calls to a level the plan does not know', () => {
    const list = steps(t0, declared('P3'), call('ceo', 'reached', t0 + minute))
    expect(list).toEqual([])
  })
})

describe('a restart mid-incident restores every clock and escalation step', () => {
  const at = (minutes: number) => t0 + minutes * minute
  const short = (unitId: string, priorityClass: 'life-safety' | 'product-safety', since: number) =>
    incidentEvent(
      'incident.consumer-short',
      { plantId: 'plant-001', unitId, name: unitId, priorityClass, since },
      since,
    )
  const restored = (unitId: string, time: number) =>
    incidentEvent('incident.consumer-restored', { plantId: 'plant-001', unitId }, time)

  // One P1 incident that becomes P0, among console-wide events and another incident's events.
  const otherId = 'INC-20261122-002-7F3A9C'
  const journal: JournalEvent[] = [
    journalEvent('alarm.raised', { alarmId: 'hdr-low' }, { at: at(0) }),
    declaration({ severity: 'P1', acknowledgedAt: at(2) }, at(2)),
    short('hospital-hvac', 'life-safety', at(5)),
    incidentEvent(
      'incident.check-ticked',
      { checklistId: 'p1', itemId: 'isolate', label: 'Isolate', done: true, note: '' },
      at(6),
    ),
    declaration({ severity: 'P3', title: 'Other', detectedAt: at(6) }, at(7), otherId),
    call('operations-manager', 'no-answer', at(16)),
    severityTo('P1', 'P0', at(18)),
    call('safety-officer', 'reached', at(19)),
    // ── restart here: the first half ends ──
    call('operations-manager', 'reached', at(20)),
    incidentEvent('incident.mitigation-started', { summary: 'standby boiler' }, at(21)),
    incidentEvent('incident.update-sent', { kind: 'initial', text: 'P0 declared' }, at(22)),
    restored('hospital-hvac', at(24)),
    incidentEvent('incident.note-added', { text: 'other incident note' }, at(25), otherId),
    incidentEvent('incident.update-sent', { kind: 'update', text: 'standby on' }, at(37)),
    call('engineering-manager', 'message-left', at(40)),
    short('dairy', 'product-safety', at(41)),
    journalEvent('alarm.acknowledged', { alarmId: 'hdr-low' }, { at: at(42) }),
  ]
  const half = 8
  const firstHalf = journal.slice(0, half)
  const rest = journal.slice(half)
  const midNow = at(19)
  const now = at(45)

  /** A state built one event at a time, as the running backend keeps it. */
  const incremental = (start: IncidentState | null, events: JournalEvent[]) =>
    events
      .filter((event) => event.incidentId === incidentIdOf)
      .reduce<IncidentState | null>(applyIncidentEvent, start)!
  /** After a restart: a fresh reduce of the journal as read back from disk. */
  const fromScratch = (events: JournalEvent[]) =>
    reduceIncidents(JSON.parse(JSON.stringify(events)) as JournalEvent[]).get(incidentIdOf)!

  it('at the restart point: the same clocks and steps, at their expected times', () => {
    const live = incremental(null, firstHalf)
    const restarted = fromScratch(firstHalf)
    expect(restarted).toEqual(live)
    const clocks = incidentClocks(restarted)
    expect(incidentClocks(live)).toEqual(clocks)
    expect(clocks).toEqual<IncidentClocks>({
      // Acknowledged at the severity declared (P1); mitigation at P0, from the raise at 18 min.
      acknowledge: {
        id: 'acknowledge',
        label: 'Acknowledge within 15 min (P1)',
        startAt: at(0),
        targetAt: at(15),
        doneAt: at(2),
      },
      action: {
        id: 'action',
        label: 'Start mitigation within 10 min (P0)',
        startAt: at(18),
        targetAt: at(28),
        doneAt: null,
      },
      // The first update is due by the acknowledge target, not at the declaration.
      update: { dueAt: at(15), kind: 'initial', everyMinutes: 15, lastSentAt: null },
      consumers: [
        {
          id: `restore/plant-001/hospital-hvac/${at(5)}`,
          label: 'hospital-hvac: heat back within 10 min (life safety)',
          startAt: at(5),
          targetAt: at(15),
          doneAt: null,
          plantId: 'plant-001',
          unitId: 'hospital-hvac',
          priorityClass: 'life-safety',
        },
      ],
    })
    const stepsNow = escalationSteps(plan, restarted, midNow)
    expect(escalationSteps(plan, live, midNow)).toEqual(stepsNow)
    expect(brief(stepsNow)).toEqual([
      ['operations-manager', 18 * minute, 'due', 1],
      ['safety-officer', 18 * minute, 'reached', 1],
      ['engineering-manager', 33 * minute, 'upcoming', 0],
      ['vp-operations', 48 * minute, 'upcoming', 0],
    ])
  })

  it('after the restart: carrying on from the restored state equals the whole journal reduced', () => {
    const carriedOn = incremental(fromScratch(firstHalf), rest)
    const liveThroughout = incremental(null, journal)
    const restarted = fromScratch(journal)
    expect(restarted).toEqual(liveThroughout)
    expect(carriedOn).toEqual(restarted)
    const clocks = incidentClocks(restarted)
    expect(incidentClocks(carriedOn)).toEqual(clocks)
    expect(incidentClocks(liveThroughout)).toEqual(clocks)
    expect(clocks.acknowledge).toMatchObject({ targetAt: at(15), doneAt: at(2) })
    expect(clocks.action).toMatchObject({ targetAt: at(28), doneAt: at(21) })
    expect(clocks.update).toEqual({
      dueAt: at(37 + 15),
      kind: 'update',
      everyMinutes: 15,
      lastSentAt: at(37),
    })
    expect(clocks.consumers.map((clock) => [clock.unitId, clock.targetAt, clock.doneAt])).toEqual([
      ['hospital-hvac', at(15), at(24)],
      ['dairy', at(71), null],
    ])
    const stepsNow = escalationSteps(plan, restarted, now)
    expect(escalationSteps(plan, carriedOn, now)).toEqual(stepsNow)
    expect(escalationSteps(plan, liveThroughout, now)).toEqual(stepsNow)
    expect(brief(stepsNow)).toEqual([
      ['operations-manager', 18 * minute, 'reached', 2],
      ['safety-officer', 18 * minute, 'reached', 1],
      ['engineering-manager', 33 * minute, 'due', 1],
      ['vp-operations', 48 * minute, 'upcoming', 0],
    ])
    expect(restarted.lastSeq).toBe(journal[journal.length - 2]!.seq)
  })

  it('keeps the other incident of the journal apart', () => {
    const other = reduceIncidents(journal).get(otherId)!
    expect(other.severity).toBe('P3')
    expect(other.notes.map((note) => note.text)).toEqual(['other incident note'])
    expect(incidentClocks(other).update).toBeNull()
    expect(escalationSteps(plan, other, now)).toEqual([])
  })
})
