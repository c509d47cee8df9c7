import { describe, expect, it } from 'vitest'
import {
  evaluateChecklists,
  type ChecklistId,
  type EvaluatedChecklist,
  type EvaluatedItem,
} from '../../src/shared/incidents/checklists'
import type { SiteConditions } from '../../src/shared/incidents/conditions'
import { escalationSteps, type EscalationPlan } from '../../src/shared/incidents/escalation'
import type { IncidentState } from '../../src/shared/incidents/model'
import {
  declaration,
  incidentEvent,
  incidentFrom,
  minute,
  siteConditions,
  t0,
  withHeat,
} from '../support/incident-fixtures'

const now = t0 + 20 * minute

type Situation = {
  incident?: IncidentState
  conditions?: SiteConditions
  plan?: EscalationPlan
  at?: number
}

function evaluate(situation: Situation = {}): EvaluatedChecklist[] {
  const incident = situation.incident ?? incidentFrom([declaration()])
  const at = situation.at ?? now
  return evaluateChecklists({
    incident,
    conditions: situation.conditions ?? siteConditions(),
    escalation: situation.plan ? escalationSteps(situation.plan, incident, at) : [],
    now: at,
  })
}

function item(
  checklists: readonly EvaluatedChecklist[],
  checklistId: ChecklistId,
  itemId: string,
): EvaluatedItem {
  const found = checklists
    .find((checklist) => checklist.id === checklistId)
    ?.items.find((candidate) => candidate.id === itemId)
  if (!found) throw new Error(`no item ${checklistId}/${itemId}`)
  return found
}

const judgement = (found: EvaluatedItem): { state: unknown; evidence: unknown } => ({
  state: found.state,
  evidence: found.evidence,
})

const plan: EscalationPlan = {
  levels: [
    {
      id: 'safety-officer',
      name: 'Plant safety officer',
      contacts: [{ name: 'S. Officer', phone: '555 0100' }],
    },
    {
      id: 'operations-manager',
      name: 'Operations manager',
      contacts: [{ name: 'O. Manager', phone: '555 0101' }],
    },
    {
      id: 'vp-operations',
      name: 'VP operations',
      contacts: [{ name: 'V. President', phone: '555 0102' }],
    },
  ],
  triggers: [
    {
      severities: ['P0'],
      afterMinutes: 0,
      levels: ['safety-officer', 'operations-manager'],
      why: 'P0: at once',
    },
    { severities: ['P0'], afterMinutes: 30, levels: ['vp-operations'], why: 'P0 unresolved' },
  ],
}

const call = (levelId: string, outcome: 'reached' | 'no-answer', at: number) =>
  incidentEvent(
    'incident.call-recorded',
    { levelId, levelName: levelId, contact: 'Someone', phone: '555 0100', outcome, note: '' },
    at,
  )

const tick = (checklistId: ChecklistId, itemId: string, done: boolean, at: number) =>
  incidentEvent(
    'incident.check-ticked',
    { checklistId, itemId, label: itemId, done, note: `note ${at}` },
    at,
  )

type Consumer = SiteConditions['consumers'][number]
const withConsumers = (
  conditions: SiteConditions,
  changes: Record<string, Partial<Consumer>>,
): SiteConditions => ({
  ...conditions,
  consumers: conditions.consumers.map((consumer) => ({
    ...consumer,
    ...changes[consumer.plantId],
  })),
})

type Alarm = SiteConditions['alarms'][number]
const alarm = (changes: Partial<Alarm>): Alarm => ({
  id: 'plant-002.header.pressure:low-low',
  plantId: 'plant-002',
  message: 'Header pressure low low',
  priority: 'critical',
  kind: 'other',
  acknowledged: false,
  raisedAt: t0,
  ...changes,
})

describe('evaluateChecklists', () => {
  it('returns the three lists in order with stable item ids', () => {
    const checklists = evaluate()
    expect(checklists.map((checklist) => [checklist.id, checklist.items.map((i) => i.id)])).toEqual(
      [
        [
          'emergency-assessment',
          [
            'heat-loss-scope',
            'backup-heat',
            'time-to-critical',
            'sources-answering',
            'control-systems-checked',
            'recent-change',
            'critical-alarms',
            'safety-officer-informed',
          ],
        ],
        [
          'heat-restoration',
          [
            'plants-heat-normal',
            'critical-consumers-heated',
            'sources-answering',
            'safety-alarms-cleared',
            'distribution-on-reference',
            'operators-confirm',
          ],
        ],
        [
          'exit-criteria',
          [
            'heat-stable',
            'critical-alarms-acknowledged',
            'escalations-reached',
            'status-update-current',
            'heat-restoration-complete',
            'commander-agrees',
          ],
        ],
      ],
    )
    expect(checklists[0]!.when).toBe('first 10 minutes')
  })

  describe('heat status', () => {
    it('judges a site in good order', () => {
      const checklists = evaluate()
      expect(judgement(item(checklists, 'emergency-assessment', 'heat-loss-scope'))).toEqual({
        state: 'met',
        evidence: 'Plant 001 normal; Plant 002 normal; Plant 003 normal',
      })
      const normal = item(checklists, 'heat-restoration', 'plants-heat-normal')
      expect(judgement(normal)).toEqual({ state: 'met', evidence: '3 of 3 plants normal' })
      expect(normal.done).toBe(true)
    })

    it('says which plants have lost heat', () => {
      const checklists = evaluate({
        conditions: withHeat(siteConditions(), { 'plant-002': 'lost' }),
      })
      expect(item(checklists, 'emergency-assessment', 'heat-loss-scope').evidence).toBe(
        'Plant 001 normal; Plant 002 lost; Plant 003 normal',
      )
      const normal = item(checklists, 'heat-restoration', 'plants-heat-normal')
      expect(judgement(normal)).toEqual({
        state: 'not-met',
        evidence: '2 of 3 plants normal; Plant 002 lost',
      })
      expect(normal.done).toBe(false)
    })

    it('is unknown when a plant cannot be told, and not met once another is known short', () => {
      const unknown = evaluate({
        conditions: withHeat(siteConditions(), { 'plant-001': 'unknown', 'plant-003': null }),
      })
      expect(judgement(item(unknown, 'emergency-assessment', 'heat-loss-scope'))).toEqual({
        state: 'unknown',
        evidence: 'Plant 001 unknown; Plant 002 normal; Plant 003 not judged (no heat rules)',
      })
      expect(item(unknown, 'heat-restoration', 'plants-heat-normal').state).toBe('unknown')

      const short = evaluate({
        conditions: withHeat(siteConditions(), { 'plant-001': 'unknown', 'plant-002': 'degraded' }),
      })
      expect(item(short, 'heat-restoration', 'plants-heat-normal').state).toBe('not-met')
    })

    it('looks only at the incident plants', () => {
      const incident = incidentFrom([declaration({ plants: ['plant-001', 'plant-002'] })])
      const conditions = withHeat(siteConditions(), { 'plant-003': 'lost' })
      const checklists = evaluate({ incident, conditions })
      expect(judgement(item(checklists, 'heat-restoration', 'plants-heat-normal'))).toEqual({
        state: 'met',
        evidence: '2 of 2 plants normal',
      })
    })
  })

  describe('consumers', () => {
    it('gives the time to critical temperature of each consumer short of heat', () => {
      const conditions = withConsumers(siteConditions(), {
        'plant-001': { state: 'lost', value: 55, minutesToCritical: 0 },
        'plant-002': { state: 'degraded', value: 70, minutesToCritical: 14.9 },
        'plant-003': { state: 'degraded', value: 72, minutesToCritical: 15 },
      })
      expect(
        judgement(item(evaluate({ conditions }), 'emergency-assessment', 'time-to-critical')),
      ).toEqual({
        state: 'met',
        evidence:
          'Plant 001 Hospital HVAC: already below critical; ' +
          'Plant 002 Hospital HVAC: 14 min, extreme urgency; Plant 003 Hospital HVAC: 15 min',
      })
    })

    it('is unknown when the trend of a short consumer cannot be told', () => {
      const conditions = withConsumers(siteConditions(), {
        'plant-002': { state: 'degraded', minutesToCritical: null },
      })
      expect(
        judgement(item(evaluate({ conditions }), 'emergency-assessment', 'time-to-critical')),
      ).toEqual({
        state: 'unknown',
        evidence: 'Plant 002 Hospital HVAC: cannot be told yet',
      })
    })

    it('needs life-safety and product-safety consumers back to normal', () => {
      const conditions = withConsumers(siteConditions(), {
        'plant-002': { state: 'degraded', value: 71 },
        'plant-003': { priorityClass: 'production', state: 'lost', value: 40 },
      })
      expect(
        judgement(item(evaluate({ conditions }), 'heat-restoration', 'critical-consumers-heated')),
      ).toEqual({
        state: 'not-met',
        evidence: '1 of 2 receiving heat; Plant 002 Hospital HVAC degraded (71 °C)',
      })
      expect(item(evaluate(), 'heat-restoration', 'critical-consumers-heated').state).toBe('met')
    })
  })

  describe('field sources', () => {
    it('counts the sources of the incident plants that answer', () => {
      const base = siteConditions()
      const conditions = {
        ...base,
        sources: base.sources.map((source) =>
          source.id === 'source-2' ? { ...source, answering: false } : source,
        ),
      }
      const checklists = evaluate({ conditions })
      const expected = {
        state: 'not-met',
        evidence: '2 of 3 sources answering; source-2 not answering',
      }
      expect(judgement(item(checklists, 'emergency-assessment', 'sources-answering'))).toEqual(
        expected,
      )
      expect(judgement(item(checklists, 'heat-restoration', 'sources-answering'))).toEqual(expected)

      const incident = incidentFrom([declaration({ plants: ['plant-001'] })])
      expect(
        judgement(
          item(evaluate({ incident, conditions }), 'heat-restoration', 'sources-answering'),
        ),
      ).toEqual({
        state: 'met',
        evidence: '1 of 1 source answering',
      })
    })

    it('is unknown when a source of the plants is not known to the console', () => {
      const base = siteConditions()
      const conditions = {
        ...base,
        sources: base.sources.filter((source) => source.id !== 'source-3'),
      }
      expect(
        judgement(item(evaluate({ conditions }), 'heat-restoration', 'sources-answering')),
      ).toEqual({
        state: 'unknown',
        evidence: '2 of 3 sources answering; source-3 not known to the console',
      })
    })
  })

  describe('alarms', () => {
    it('lists critical and safety alarms on the incident plants and the site', () => {
      const conditions = siteConditions({
        alarms: [
          alarm({}),
          alarm({
            id: 'site.gas',
            plantId: null,
            message: 'Gas detected',
            priority: 'high',
            kind: 'other',
          }),
          alarm({
            id: 'plant-001.boiler-1.pressure:high',
            plantId: 'plant-001',
            message: 'Boiler 1 pressure high',
            priority: 'high',
            kind: 'overpressure',
            acknowledged: true,
          }),
        ],
      })
      const checklists = evaluate({ conditions })
      const expected = {
        state: 'not-met',
        evidence:
          '2 critical or safety alarms active; ' +
          'Plant 002: Header pressure low low (critical, not acknowledged); ' +
          'Plant 001: Boiler 1 pressure high (high, acknowledged)',
      }
      expect(judgement(item(checklists, 'emergency-assessment', 'critical-alarms'))).toEqual(
        expected,
      )
      expect(judgement(item(checklists, 'heat-restoration', 'safety-alarms-cleared'))).toEqual(
        expected,
      )
    })

    it('ignores alarms on plants outside the incident', () => {
      const incident = incidentFrom([declaration({ plants: ['plant-001'] })])
      const checklists = evaluate({ incident, conditions: siteConditions({ alarms: [alarm({})] }) })
      expect(item(checklists, 'heat-restoration', 'safety-alarms-cleared').state).toBe('met')
      expect(item(checklists, 'exit-criteria', 'critical-alarms-acknowledged').state).toBe('met')
    })

    it('needs every critical alarm acknowledged before exit', () => {
      const open = evaluate({ conditions: siteConditions({ alarms: [alarm({})] }) })
      expect(judgement(item(open, 'exit-criteria', 'critical-alarms-acknowledged'))).toEqual({
        state: 'not-met',
        evidence:
          '1 of 1 critical alarm not acknowledged; Plant 002: Header pressure low low (critical, not acknowledged)',
      })
      const acknowledged = evaluate({
        conditions: siteConditions({ alarms: [alarm({ acknowledged: true })] }),
      })
      expect(
        judgement(item(acknowledged, 'exit-criteria', 'critical-alarms-acknowledged')),
      ).toEqual({
        state: 'met',
        evidence: '1 active critical alarm, all acknowledged',
      })
    })
  })

  describe('distribution', () => {
    const deviating = (deviationPercent: number | null): SiteConditions => {
      const base = siteConditions()
      return {
        ...base,
        distribution: base.distribution.map((entry) =>
          entry.plantId === 'plant-002'
            ? { ...entry, reference: 'snapshot', deviationPercent }
            : entry,
        ),
      }
    }

    it('is met at 20 % and not met above it, naming the reference', () => {
      expect(
        item(
          evaluate({ conditions: deviating(20) }),
          'heat-restoration',
          'distribution-on-reference',
        ).state,
      ).toBe('met')
      const over = item(
        evaluate({ conditions: deviating(20.1) }),
        'heat-restoration',
        'distribution-on-reference',
      )
      expect(over.state).toBe('not-met')
      expect(over.evidence).toBe(
        'Plant 001 2.0 % off the configured target (plant-001.consumer-hospital-hvac.valve); ' +
          'Plant 002 20.1 % off the last-known-good snapshot (plant-002.consumer-hospital-hvac.valve); ' +
          'Plant 003 2.0 % off the configured target (plant-003.consumer-hospital-hvac.valve)',
      )
    })

    it('is unknown without distribution data or with a valve that cannot be read', () => {
      const none = item(
        evaluate({ conditions: siteConditions({ distribution: [] }) }),
        'heat-restoration',
        'distribution-on-reference',
      )
      expect(judgement(none)).toEqual({
        state: 'unknown',
        evidence: 'No distribution targets for the affected plants',
      })
      expect(
        item(
          evaluate({ conditions: deviating(null) }),
          'heat-restoration',
          'distribution-on-reference',
        ).state,
      ).toBe('unknown')
    })
  })

  describe('escalation', () => {
    it('is unknown when the plan has no safety officer level', () => {
      const found = item(evaluate(), 'emergency-assessment', 'safety-officer-informed')
      expect(found.state).toBe('unknown')
      expect(found.evidence).toMatch(/No safety-officer level/)
    })

    it('is met once a call reached the safety officer, not before', () => {
      const unanswered = incidentFrom([
        declaration(),
        call('safety-officer', 'no-answer', t0 + 3 * minute),
      ])
      expect(
        judgement(
          item(
            evaluate({ incident: unanswered, plan }),
            'emergency-assessment',
            'safety-officer-informed',
          ),
        ),
      ).toEqual({
        state: 'not-met',
        evidence: 'Plant safety officer due, 1 call, last no answer',
      })
      const reached = incidentFrom([
        declaration(),
        call('safety-officer', 'no-answer', t0 + 3 * minute),
        call('safety-officer', 'reached', t0 + 4 * minute),
      ])
      expect(
        judgement(
          item(
            evaluate({ incident: reached, plan }),
            'emergency-assessment',
            'safety-officer-informed',
          ),
        ),
      ).toEqual({
        state: 'met',
        evidence: 'Plant safety officer reached (Someone)',
      })
    })

    it('needs every level that fell due reached before exit', () => {
      const incident = incidentFrom([
        declaration(),
        call('safety-officer', 'reached', t0 + 4 * minute),
      ])
      const open = item(evaluate({ incident, plan }), 'exit-criteria', 'escalations-reached')
      expect(judgement(open)).toEqual({
        state: 'not-met',
        evidence: '1 of 2 due levels reached; Operations manager due, not called yet',
      })
      const all = incidentFrom([
        declaration(),
        call('safety-officer', 'reached', t0 + 4 * minute),
        call('operations-manager', 'reached', t0 + 5 * minute),
      ])
      // The VP is due only at 30 minutes, so it does not hold the exit up at 20.
      expect(
        judgement(item(evaluate({ incident: all, plan }), 'exit-criteria', 'escalations-reached')),
      ).toEqual({
        state: 'met',
        evidence: '2 of 2 due levels reached',
      })
    })
  })

  describe('ticked items', () => {
    it('applies the latest tick or untick', () => {
      const ticked = incidentFrom([
        declaration(),
        tick('emergency-assessment', 'backup-heat', true, t0 + 5 * minute),
      ])
      const backup = item(evaluate({ incident: ticked }), 'emergency-assessment', 'backup-heat')
      expect(backup).toEqual({
        id: 'backup-heat',
        label: 'Backup heat available (yes or no noted)',
        judged: false,
        state: null,
        evidence: null,
        tick: { done: true, at: t0 + 5 * minute, by: 'operator', note: `note ${t0 + 5 * minute}` },
        done: true,
      })
      const unticked = incidentFrom([
        declaration(),
        tick('emergency-assessment', 'backup-heat', true, t0 + 5 * minute),
        tick('emergency-assessment', 'backup-heat', false, t0 + 6 * minute),
      ])
      const undone = item(evaluate({ incident: unticked }), 'emergency-assessment', 'backup-heat')
      expect(undone.done).toBe(false)
      expect(undone.tick?.done).toBe(false)
      expect(undone.tick?.at).toBe(t0 + 6 * minute)
    })

    it('leaves an item never ticked open, and a tick on another list does not count', () => {
      const incident = incidentFrom([
        declaration(),
        tick('exit-criteria', 'operators-confirm', true, t0 + 5 * minute),
      ])
      const confirm = item(evaluate({ incident }), 'heat-restoration', 'operators-confirm')
      expect(confirm.tick).toBeNull()
      expect(confirm.done).toBe(false)
    })
  })

  describe('exit criteria', () => {
    const normalSince = (since: number | null): SiteConditions => {
      const base = siteConditions()
      return { ...base, plants: base.plants.map((plant) => ({ ...plant, heatSince: since })) }
    }

    it('calls heat stable after exactly 15 minutes normal, not a millisecond sooner', () => {
      const stable = item(
        evaluate({ conditions: normalSince(now - 15 * minute) }),
        'exit-criteria',
        'heat-stable',
      )
      expect(judgement(stable)).toEqual({
        state: 'met',
        evidence:
          'Plant 001 normal for 15 min; Plant 002 normal for 15 min; Plant 003 normal for 15 min',
      })
      const early = item(
        evaluate({ conditions: normalSince(now - 15 * minute + 1) }),
        'exit-criteria',
        'heat-stable',
      )
      expect(early.state).toBe('not-met')
      expect(early.evidence).toContain('Plant 001 normal for 14 min (needs 15)')
    })

    it('is not stable while a plant is short and unknown when the time is missing', () => {
      const lost = evaluate({ conditions: withHeat(siteConditions(), { 'plant-003': 'lost' }) })
      expect(judgement(item(lost, 'exit-criteria', 'heat-stable'))).toEqual({
        state: 'not-met',
        evidence: 'Plant 001 normal for 80 min; Plant 002 normal for 80 min; Plant 003 lost',
      })
      expect(
        item(evaluate({ conditions: normalSince(null) }), 'exit-criteria', 'heat-stable').state,
      ).toBe('unknown')
    })

    it('wants a status update within the severity cadence', () => {
      const update = (at: number) =>
        incidentEvent('incident.update-sent', { kind: 'update', text: 'x' }, at)
      const none = item(evaluate(), 'exit-criteria', 'status-update-current')
      expect(judgement(none)).toEqual({
        state: 'not-met',
        evidence: 'No status update sent yet; P0 needs one every 15 min',
      })
      const recent = incidentFrom([declaration(), update(now - 15 * minute)])
      expect(
        judgement(item(evaluate({ incident: recent }), 'exit-criteria', 'status-update-current')),
      ).toEqual({
        state: 'met',
        evidence: 'Last update 15 min ago (every 15 min)',
      })
      const stale = incidentFrom([declaration(), update(now - 15 * minute - 1)])
      expect(
        item(evaluate({ incident: stale }), 'exit-criteria', 'status-update-current').state,
      ).toBe('not-met')
      const low = incidentFrom([declaration({ severity: 'P3' })])
      expect(
        item(evaluate({ incident: low }), 'exit-criteria', 'status-update-current').state,
      ).toBe('met')
    })

    it('needs the heat restoration checklist done, including the operators’ confirmation', () => {
      const open = item(evaluate(), 'exit-criteria', 'heat-restoration-complete')
      expect(judgement(open)).toEqual({
        state: 'not-met',
        evidence: '5 of 6 done; open: Plant operators confirm their heat supply is normal',
      })
      const incident = incidentFrom([
        declaration(),
        tick('heat-restoration', 'operators-confirm', true, t0 + 10 * minute),
      ])
      const done = item(evaluate({ incident }), 'exit-criteria', 'heat-restoration-complete')
      expect(judgement(done)).toEqual({ state: 'met', evidence: '6 of 6 done' })
      expect(item(evaluate({ incident }), 'exit-criteria', 'commander-agrees').done).toBe(false)
    })
  })
})
