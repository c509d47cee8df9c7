import { describe, expect, it } from 'vitest'
import { incidentEventData, suggestionEventData } from '../../src/shared/incidents/model'
import {
  formatUtcTime,
  isCriticalAlarmRaised,
  timelineEntry,
  type TimelineEntry,
} from '../../src/shared/incidents/timeline'
import {
  declaration,
  incidentEvent,
  incidentIdOf,
  journalEvent,
  minute,
  t0,
} from '../support/incident-fixtures'

/** An alarm transition's data as the alarm engine journals it. */
const alarmData = (changes: Record<string, unknown> = {}) => ({
  at: t0,
  alarmId: 'plant-001.boiler-1.flame:digital',
  tagId: 'plant-001.boiler-1.flame',
  sourceId: 'source-1',
  unit: 'boiler-1',
  condition: 'digital',
  cause: 'process',
  priority: 'critical',
  message: 'Boiler 1 flame failure',
  prompt: null,
  from: 'normal',
  to: 'unacknowledged',
  value: false,
  threshold: null,
  firstOut: true,
  reason: null,
  until: null,
  comment: null,
  ...changes,
})

const entryOf = (type: string, data: Record<string, unknown>): TimelineEntry => {
  const entry = timelineEntry(journalEvent(type, data, { at: t0 + minute }))
  if (!entry) throw new Error(`${type} made no entry`)
  return entry
}

describe('timelineEntry: incident events', () => {
  it('words a declaration with its severity, title, plants and commander, keeping the event fields', () => {
    const event = declaration({ plants: ['plant-001', 'plant-002'] })
    expect(timelineEntry(event)).toEqual({
      seq: event.seq,
      at: t0 + 2 * minute,
      category: 'incident',
      text: 'P0 declared: Multi-plant heat loss (plants plant-001, plant-002) by A. Operator',
      actor: 'operator',
      type: 'incident.declared',
      incidentId: incidentIdOf,
    })
  })

  it('says when a declaration is a drill', () => {
    expect(timelineEntry(declaration({ drill: true, severity: 'P1' }))?.text).toMatch(
      /^P1 drill declared: /,
    )
  })

  it('words a call with its outcome and note, and leaves the dash out without a note', () => {
    const call = {
      levelId: 'safety-officer',
      levelName: 'Plant Safety Officer',
      contact: 'J. Smith',
      phone: '555 0100',
      outcome: 'reached',
      note: 'on his way',
    } as const
    const reached = timelineEntry(incidentEvent('incident.call-recorded', call, t0))
    expect(reached?.category).toBe('call')
    expect(reached?.text).toBe('Call to Plant Safety Officer (J. Smith): reached — on his way')
    const unanswered = timelineEntry(
      incidentEvent('incident.call-recorded', { ...call, outcome: 'no-answer', note: '' }, t0),
    )
    expect(unanswered?.text).toBe('Call to Plant Safety Officer (J. Smith): no answer')
  })

  it('puts updates, notes and checklist changes in their own categories', () => {
    const update = timelineEntry(
      incidentEvent('incident.update-sent', { kind: 'update', text: 'All well' }, t0),
    )
    expect(update).toMatchObject({ category: 'update', text: 'Status update sent (update)' })
    const note = timelineEntry(incidentEvent('incident.note-added', { text: 'Gas smell' }, t0))
    expect(note).toMatchObject({ category: 'note', text: 'Note: Gas smell' })
    const ticked = timelineEntry(
      incidentEvent(
        'incident.check-ticked',
        {
          checklistId: 'heat-restoration',
          itemId: 'isolate',
          label: 'Isolate the faulty boiler',
          done: true,
          note: '',
        },
        t0,
      ),
    )
    expect(ticked).toMatchObject({
      category: 'checklist',
      text: 'Heat restoration: Isolate the faulty boiler done',
    })
    const judged = timelineEntry(
      incidentEvent(
        'incident.check-evaluated',
        {
          checklistId: 'exit-criteria',
          itemId: 'all-plants-normal',
          label: 'All plants heat normal',
          state: 'not-met',
          evidence: '2 of 3 plants normal',
        },
        t0,
      ),
    )
    expect(judged).toMatchObject({
      category: 'checklist',
      text: 'Exit criteria: All plants heat normal: now not met — 2 of 3 plants normal',
    })
  })

  it('says whether the severity went up or down', () => {
    const up = incidentEvent(
      'incident.severity-changed',
      { from: 'P1', to: 'P0', reason: 'second plant lost' },
      t0,
    )
    const down = incidentEvent(
      'incident.severity-changed',
      { from: 'P0', to: 'P2', reason: 'heat back' },
      t0,
    )
    expect(timelineEntry(up)?.text).toBe('Severity raised from P1 to P0 — second plant lost')
    expect(timelineEntry(down)?.text).toBe('Severity lowered from P0 to P2 — heat back')
  })

  it('words consumers short of heat with their restoration target', () => {
    const short = incidentEvent(
      'incident.consumer-short',
      {
        plantId: 'plant-001',
        unitId: 'consumer-hospital-hvac',
        name: 'Hospital HVAC',
        priorityClass: 'life-safety',
        since: t0,
      },
      t0,
    )
    expect(timelineEntry(short)?.text).toBe(
      'Hospital HVAC at plant-001 short of heat (life safety: heat back within 10 min)',
    )
  })

  it('counts exit criteria left open on resolution', () => {
    const resolved = incidentEvent(
      'incident.resolved',
      {
        summary: 'Boiler 1 relit',
        exitCriteria: [
          { itemId: 'a', label: 'A', state: 'met', evidence: '' },
          { itemId: 'b', label: 'B', state: 'unknown', evidence: '' },
        ],
        openCriteriaReason: 'tag unreadable',
      },
      t0,
    )
    expect(timelineEntry(resolved)?.text).toBe(
      'Resolved: Boiler 1 relit (1 exit criteria not met) — tag unreadable',
    )
  })

  it('words the console-wide suggestion events as incident entries', () => {
    const raised = entryOf('incident.suggestion-raised', {
      suggestionId: 'single-plant-heat-loss:plant-002',
      rule: 'single-plant-heat-loss',
      severity: 'P1',
      title: 'Heat loss: Plant 002',
      reason: 'Plant 002 has lost heat',
      plants: ['plant-002'],
      prompt: null,
      since: t0,
    })
    expect(raised).toMatchObject({
      category: 'incident',
      text: 'P1 suggested: Heat loss: Plant 002 — Plant 002 has lost heat',
      incidentId: null,
    })
    expect(
      entryOf('incident.suggestion-dismissed', { suggestionId: 'x', reason: 'sensor fault' }).text,
    ).toBe('Suggestion dismissed: x — sensor fault')
  })

  it('makes an entry for every incident and suggestion event type', () => {
    for (const type of [...Object.keys(incidentEventData), ...Object.keys(suggestionEventData)]) {
      expect(timelineEntry(journalEvent(type, {}, { at: t0 })), type).not.toBeNull()
    }
  })
})

describe('timelineEntry: events of other features', () => {
  it('words an alarm raised with its priority and message', () => {
    const entry = entryOf('alarm.raised', alarmData())
    expect(entry).toMatchObject({
      category: 'alarm',
      text: 'Alarm raised (critical): Boiler 1 flame failure',
    })
    expect(isCriticalAlarmRaised(entry)).toBe(true)
    expect(isCriticalAlarmRaised(entryOf('alarm.raised', alarmData({ priority: 'high' })))).toBe(
      false,
    )
    expect(isCriticalAlarmRaised(entryOf('alarm.acknowledged', alarmData()))).toBe(false)
  })

  it('says until when and why an alarm was shelved', () => {
    const entry = entryOf(
      'alarm.shelved',
      alarmData({ until: t0 + 90 * minute, reason: 'sensor being replaced' }),
    )
    expect(entry.text).toBe(
      'Alarm shelved (critical): Boiler 1 flame failure — until 09:30 UTC: sensor being replaced',
    )
  })

  it('words alarm floods', () => {
    const flood = { countInWindow: 14, threshold: 10, windowMinutes: 10, startedAt: t0 }
    expect(entryOf('alarm.flood-started', { ...flood, durationMs: null }).text).toBe(
      'Alarm flood began: 14 alarms in 10 min (more than 10 is a flood)',
    )
    expect(entryOf('alarm.flood-ended', { ...flood, durationMs: 200_000 }).text).toBe(
      'Alarm flood ended after 3 min 20 s',
    )
  })

  it('words heat status changes with their reasons', () => {
    const entry = entryOf('heat.status-changed', {
      plantId: 'plant-002',
      from: 'normal',
      to: 'lost',
      reasons: ['header 42 °C, below 60 °C', 'boiler 1 off'],
    })
    expect(entry).toMatchObject({
      category: 'heat',
      text: 'Heat at plant-002: normal to lost — header 42 °C, below 60 °C; boiler 1 off',
    })
  })

  it('words connection changes with the reason and the outage length', () => {
    const lost = entryOf('source.lost', {
      sourceId: 'source-1',
      ts: t0,
      reason: 'timeout',
      outageMs: null,
    })
    expect(lost).toMatchObject({ category: 'connection', text: 'Source source-1 lost — timeout' })
    const back = entryOf('source.restored', {
      sourceId: 'source-1',
      ts: t0,
      reason: null,
      outageMs: 125_000,
    })
    expect(back.text).toBe('Source source-1 answering again after 2 min 5 s')
  })

  it('words control writes that worked and that failed', () => {
    const ok = entryOf('control.written', {
      tagId: 'plant-001.valve-3.setpoint',
      value: 45,
      ok: true,
      message: '',
    })
    expect(ok).toMatchObject({ category: 'write', text: 'Wrote 45 to plant-001.valve-3.setpoint' })
    const failed = entryOf('control.written', {
      tagId: 'plant-001.valve-3.setpoint',
      value: 45,
      ok: false,
      message: 'device refused',
    })
    expect(failed.text).toBe('Write of 45 to plant-001.valve-3.setpoint failed — device refused')
  })

  it('words drill events in the drill category', () => {
    const started = entryOf('drill.started', {
      drill: true,
      drillId: 'd1',
      scenarioId: 'boiler-trip',
      severity: 'P1',
      startedBy: 'trainer',
    })
    expect(started).toMatchObject({
      category: 'drill',
      text: 'Drill started: scenario boiler-trip (P1) by trainer',
    })
    const step = entryOf('drill.step', {
      drill: true,
      drillId: 'd1',
      atSeconds: 90,
      action: 'fault',
      faultId: 'boiler-1-trip',
      error: null,
    })
    expect(step.text).toBe('Drill fault injected: boiler-1-trip at 1 min 30 s')
    const ended = entryOf('drill.ended', {
      drill: true,
      drillId: 'd1',
      status: 'finished',
      debrief: [
        { target: 'acknowledge', outcome: 'met', detail: '' },
        { target: 'mitigate', outcome: 'late', detail: '' },
      ],
    })
    expect(ended.text).toBe('Drill finished: 1 of 2 runbook targets met')
  })

  it('leaves out events it does not know', () => {
    expect(timelineEntry(journalEvent('journal.recovered', {}, { at: t0 }))).toBeNull()
    expect(timelineEntry(journalEvent('sync.batch-sent', { count: 3 }, { at: t0 }))).toBeNull()
    expect(timelineEntry(journalEvent('toString', {}, { at: t0 }))).toBeNull()
  })
})

describe('timelineEntry: unreadable data', () => {
  it('falls back to a generic text instead of throwing', () => {
    expect(entryOf('alarm.raised', {}).text).toBe('Alarm raised')
    expect(entryOf('incident.declared', { title: 5 }).text).toBe('Incident declared')
    expect(entryOf('heat.status-changed', { plantId: 'plant-001' })).toMatchObject({
      category: 'heat',
      text: 'Heat status changed',
    })
  })

  it('survives a time no date can hold', () => {
    expect(entryOf('alarm.shelved', alarmData({ until: 1e20 })).text).toBe(
      'Alarm shelved (critical): Boiler 1 flame failure — until an unknown time',
    )
    expect(formatUtcTime(t0 + 4 * minute)).toBe('08:04 UTC')
  })
})
