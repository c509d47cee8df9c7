import { z } from 'zod'
import type { SiteConditions } from './conditions'
import type { EscalationStep } from './escalation'
import type { PriorityClass } from '../heat/priority-class'
import { checkKey, checkStateSchema, type CheckState, type IncidentState } from './model'
import { severityDefinitions } from './severity'

// The runbook's checklists as live checklists: emergency assessment, heat restoration and exit
// criteria. Items live data can judge are judged, with the evidence; the operator ticks the rest.

export const evaluatedItemSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** True when the console judges the item from live data; false when the operator ticks it. */
  judged: z.boolean(),
  /** The judgement, for judged items; null for ticked ones. */
  state: checkStateSchema.nullable(),
  /** What the judgement rests on: "2 of 3 plants normal; plant-002 lost". Null for ticked items. */
  evidence: z.string().nullable(),
  /** The operator's latest tick, for ticked items. */
  tick: z
    .object({ done: z.boolean(), at: z.number(), by: z.string(), note: z.string() })
    .nullable(),
  /** met (judged) or ticked done. */
  done: z.boolean(),
})
export type EvaluatedItem = z.infer<typeof evaluatedItemSchema>

export const evaluatedChecklistSchema = z.object({
  id: z.enum(['emergency-assessment', 'heat-restoration', 'exit-criteria']),
  title: z.string(),
  /** When in the runbook the list is worked: "first 10 minutes". */
  when: z.string(),
  items: z.array(evaluatedItemSchema),
})
export type EvaluatedChecklist = z.infer<typeof evaluatedChecklistSchema>
export type ChecklistId = EvaluatedChecklist['id']

export type ChecklistContext = {
  incident: IncidentState
  conditions: SiteConditions
  escalation: readonly EscalationStep[]
  now: number
}

type Plant = SiteConditions['plants'][number]
type Alarm = SiteConditions['alarms'][number]
type Consumer = SiteConditions['consumers'][number]
type Judgement = { state: CheckState; evidence: string }
/** An incident plant, with what the console knows of it (null when the site no longer has it). */
type ScopedPlant = { id: string; name: string; plant: Plant | null }

const minutes = 60_000
/** Runbook: watch restored heat for 15 minutes before calling it stable. */
const stableMinutes = 15
/** Runbook: under 15 minutes to critical temperature is extreme urgency. */
const extremeUrgencyMinutes = 15
/** Runbook P2 threshold: distribution more than 20 % from its reference. */
const distributionLimitPercent = 20
/** Runbook "Critical Heat Priority Levels": the classes that come back first. */
const criticalClasses: readonly PriorityClass[] = ['life-safety', 'product-safety']

export function evaluateChecklists(context: ChecklistContext): EvaluatedChecklist[] {
  const scope = scopeOf(context)
  const ticked = (checklistId: ChecklistId, id: string, label: string): EvaluatedItem => {
    const tick = context.incident.ticks[checkKey(checklistId, id)] ?? null
    return {
      id,
      label,
      judged: false,
      state: null,
      evidence: null,
      tick: tick && { done: tick.done, at: tick.at, by: tick.by, note: tick.note },
      done: tick?.done ?? false,
    }
  }

  const assessment: EvaluatedChecklist = {
    id: 'emergency-assessment',
    title: 'Emergency assessment',
    when: 'first 10 minutes',
    items: [
      judged('heat-loss-scope', 'Heat status known at every affected plant', heatKnown(scope)),
      ticked('emergency-assessment', 'backup-heat', 'Backup heat available (yes or no noted)'),
      judged(
        'time-to-critical',
        'Time to critical temperature known for each consumer short of heat',
        timeToCritical(context, scope),
      ),
      judged('sources-answering', 'Field sources answering', sourcesAnswering(context, scope)),
      ticked(
        'emergency-assessment',
        'control-systems-checked',
        'Orchestrator and SCADA status checked (running, degraded or down)',
      ),
      ticked(
        'emergency-assessment',
        'recent-change',
        'Changes in the last 2 hours checked (software, configuration, setpoints)',
      ),
      judged(
        'critical-alarms',
        'No critical or safety alarm active (any listed)',
        safetyAlarms(context, scope),
      ),
      judged(
        'safety-officer-informed',
        'Plant safety officer informed',
        safetyOfficer(context.escalation),
      ),
    ],
  }

  const restorationItems = [
    judged('plants-heat-normal', 'Heat normal at every affected plant', heatNormal(scope)),
    judged(
      'critical-consumers-heated',
      'Life-safety and product-safety consumers receiving heat',
      criticalConsumers(context, scope),
    ),
    judged('sources-answering', 'Every field source answering', sourcesAnswering(context, scope)),
    judged('safety-alarms-cleared', 'Safety alarms cleared', safetyAlarms(context, scope)),
    judged(
      'distribution-on-reference',
      `Heat distribution within ${distributionLimitPercent} % of its reference`,
      distribution(context, scope),
    ),
    ticked(
      'heat-restoration',
      'operators-confirm',
      'Plant operators confirm their heat supply is normal',
    ),
  ]
  const restoration: EvaluatedChecklist = {
    id: 'heat-restoration',
    title: 'Heat restoration',
    when: 'once heat is back, before resolving',
    items: restorationItems,
  }

  const exit: EvaluatedChecklist = {
    id: 'exit-criteria',
    title: 'Exit criteria',
    when: 'before resolving',
    items: [
      judged(
        'heat-stable',
        `Heat normal at every affected plant for ${stableMinutes} minutes`,
        heatStable(context, scope),
      ),
      judged(
        'critical-alarms-acknowledged',
        'No critical alarm left unacknowledged',
        unacknowledgedCritical(context, scope),
      ),
      judged(
        'escalations-reached',
        'Every escalation that fell due reached',
        escalationsReached(context.escalation),
      ),
      judged(
        'status-update-current',
        'Last status update sent within its cadence',
        updateCurrent(context),
      ),
      judged(
        'heat-restoration-complete',
        'Heat restoration checklist complete',
        checklistComplete(restorationItems),
      ),
      ticked('exit-criteria', 'commander-agrees', 'Incident commander agrees to close'),
    ],
  }

  return [assessment, restoration, exit]
}

function judged(id: string, label: string, judgement: Judgement): EvaluatedItem {
  return { id, label, judged: true, ...judgement, tick: null, done: judgement.state === 'met' }
}

/**
 * The incident's plants; all the site's when it names none, since such an incident concerns the
 * whole site.
 */
function scopeOf({ incident, conditions }: ChecklistContext): ScopedPlant[] {
  const ids =
    incident.plants.length > 0 ? incident.plants : conditions.plants.map((plant) => plant.id)
  return ids.map((id) => {
    const plant = conditions.plants.find((candidate) => candidate.id === id) ?? null
    return { id, name: plant?.name ?? id, plant }
  })
}

/** Any failure decides; else anything not judgeable; else met. */
function worst(states: readonly CheckState[]): CheckState {
  if (states.includes('not-met')) return 'not-met'
  return states.includes('unknown') ? 'unknown' : 'met'
}

function heatWord(scoped: ScopedPlant): string {
  if (!scoped.plant) return 'not known to the console'
  if (scoped.plant.heat === null) return 'not judged (no heat rules)'
  return scoped.plant.heat
}

const isKnownHeat = (heat: Plant['heat'] | undefined): boolean =>
  heat === 'normal' || heat === 'degraded' || heat === 'lost'

function heatKnown(scope: readonly ScopedPlant[]): Judgement {
  return {
    state: worst(scope.map((scoped) => (isKnownHeat(scoped.plant?.heat) ? 'met' : 'unknown'))),
    evidence: scope.map((scoped) => `${scoped.name} ${heatWord(scoped)}`).join('; '),
  }
}

function heatNormal(scope: readonly ScopedPlant[]): Judgement {
  const normal = scope.filter((scoped) => scoped.plant?.heat === 'normal')
  const others = scope.filter((scoped) => scoped.plant?.heat !== 'normal')
  return {
    state: worst(scope.map((scoped) => heatState(scoped.plant?.heat))),
    evidence: withDetails(
      `${normal.length} of ${scope.length} plants normal`,
      others.map((scoped) => `${scoped.name} ${heatWord(scoped)}`),
    ),
  }
}

function heatState(heat: Plant['heat'] | undefined): CheckState {
  if (heat === 'normal') return 'met'
  return isKnownHeat(heat) ? 'not-met' : 'unknown'
}

function heatStable({ now }: ChecklistContext, scope: readonly ScopedPlant[]): Judgement {
  const judgements = scope.map((scoped): Judgement => {
    const plant = scoped.plant
    if (plant?.heat !== 'normal') {
      return { state: heatState(plant?.heat), evidence: `${scoped.name} ${heatWord(scoped)}` }
    }
    if (plant.heatSince === null) {
      return { state: 'unknown', evidence: `${scoped.name} normal, since when not known` }
    }
    const normalFor = Math.floor((now - plant.heatSince) / minutes)
    return plant.heatSince <= now - stableMinutes * minutes
      ? { state: 'met', evidence: `${scoped.name} normal for ${normalFor} min` }
      : {
          state: 'not-met',
          evidence: `${scoped.name} normal for ${normalFor} min (needs ${stableMinutes})`,
        }
  })
  return {
    state: worst(judgements.map((judgement) => judgement.state)),
    evidence: judgements.map((judgement) => judgement.evidence).join('; '),
  }
}

const inScope = (scope: readonly ScopedPlant[], plantId: string): boolean =>
  scope.some((scoped) => scoped.id === plantId)

function consumersOf({ conditions }: ChecklistContext, scope: readonly ScopedPlant[]): Consumer[] {
  return conditions.consumers.filter((consumer) => inScope(scope, consumer.plantId))
}

function consumerName(
  consumer: SiteConditions['consumers'][number],
  scope: readonly ScopedPlant[],
) {
  const plant = scope.find((scoped) => scoped.id === consumer.plantId)
  return `${plant?.name ?? consumer.plantId} ${consumer.name}`
}

function timeToCritical(context: ChecklistContext, scope: readonly ScopedPlant[]): Judgement {
  const short = consumersOf(context, scope).filter((consumer) => consumer.state !== 'normal')
  if (short.length === 0) {
    return { state: 'met', evidence: 'No consumer of the affected plants is short of heat' }
  }
  const judgements = short.map((consumer): Judgement => {
    const name = consumerName(consumer, scope)
    if (consumer.state === 'unknown') {
      return { state: 'unknown', evidence: `${name}: supply reading missing` }
    }
    const left = consumer.minutesToCritical
    if (left === null) return { state: 'unknown', evidence: `${name}: cannot be told yet` }
    if (left === 0) return { state: 'met', evidence: `${name}: already below critical` }
    const urgency = left < extremeUrgencyMinutes ? ', extreme urgency' : ''
    return { state: 'met', evidence: `${name}: ${Math.floor(left)} min${urgency}` }
  })
  return {
    state: worst(judgements.map((judgement) => judgement.state)),
    evidence: judgements.map((judgement) => judgement.evidence).join('; '),
  }
}

function criticalConsumers(context: ChecklistContext, scope: readonly ScopedPlant[]): Judgement {
  const critical = consumersOf(context, scope).filter((consumer) =>
    criticalClasses.includes(consumer.priorityClass),
  )
  if (critical.length === 0) {
    return {
      state: 'met',
      evidence: 'No life-safety or product-safety consumer on the affected plants',
    }
  }
  const heated = critical.filter((consumer) => consumer.state === 'normal')
  return {
    state: worst(critical.map((consumer) => heatState(consumer.state))),
    evidence: withDetails(
      `${heated.length} of ${critical.length} receiving heat`,
      critical
        .filter((consumer) => consumer.state !== 'normal')
        .map((consumer) => {
          const reading = consumer.value === null ? '' : ` (${consumer.value} °C)`
          return `${consumerName(consumer, scope)} ${consumer.state}${reading}`
        }),
    ),
  }
}

function sourcesAnswering(
  { conditions }: ChecklistContext,
  scope: readonly ScopedPlant[],
): Judgement {
  const ids = [...new Set(scope.flatMap((scoped) => scoped.plant?.sourceIds ?? []))]
  if (ids.length === 0) {
    return {
      state: 'unknown',
      evidence: 'The affected plants name no field source',
    }
  }
  const sources = ids.map((id) => conditions.sources.find((source) => source.id === id))
  const answering = sources.filter((source) => source?.answering).length
  const details = ids.flatMap((id, index) => {
    const source = sources[index]
    if (!source) return [`${id} not known to the console`]
    return source.answering ? [] : [`${id} not answering`]
  })
  return {
    state: worst(
      sources.map((source) => (source ? (source.answering ? 'met' : 'not-met') : 'unknown')),
    ),
    evidence: withDetails(`${answering} of ${countOf(ids.length, 'source')} answering`, details),
  }
}

/** Alarms on the affected plants, and those of the site as a whole. */
function alarmsOf({ conditions }: ChecklistContext, scope: readonly ScopedPlant[]): Alarm[] {
  return conditions.alarms.filter(
    (alarm) => alarm.plantId === null || inScope(scope, alarm.plantId),
  )
}

function describeAlarm(alarm: Alarm, scope: readonly ScopedPlant[]): string {
  const where =
    alarm.plantId === null
      ? 'site'
      : (scope.find((scoped) => scoped.id === alarm.plantId)?.name ?? alarm.plantId)
  const acknowledged = alarm.acknowledged ? 'acknowledged' : 'not acknowledged'
  return `${where}: ${alarm.message} (${alarm.priority}, ${acknowledged})`
}

/** The runbook's safety alarms (overpressure, combustion instability) and every critical alarm. */
const isSafetyAlarm = (alarm: Alarm): boolean =>
  alarm.priority === 'critical' ||
  alarm.kind === 'overpressure' ||
  alarm.kind === 'combustion-instability'

function safetyAlarms(context: ChecklistContext, scope: readonly ScopedPlant[]): Judgement {
  const active = alarmsOf(context, scope).filter(isSafetyAlarm)
  if (active.length === 0) {
    return { state: 'met', evidence: 'No critical or safety alarm active on the affected plants' }
  }
  return {
    state: 'not-met',
    evidence: withDetails(
      `${countOf(active.length, 'critical or safety alarm')} active`,
      active.map((alarm) => describeAlarm(alarm, scope)),
    ),
  }
}

function unacknowledgedCritical(
  context: ChecklistContext,
  scope: readonly ScopedPlant[],
): Judgement {
  const critical = alarmsOf(context, scope).filter((alarm) => alarm.priority === 'critical')
  const open = critical.filter((alarm) => !alarm.acknowledged)
  if (critical.length === 0) {
    return { state: 'met', evidence: 'No critical alarm active' }
  }
  if (open.length === 0) {
    return {
      state: 'met',
      evidence: `${countOf(critical.length, 'active critical alarm')}, all acknowledged`,
    }
  }
  return {
    state: 'not-met',
    evidence: withDetails(
      `${open.length} of ${countOf(critical.length, 'critical alarm')} not acknowledged`,
      open.map((alarm) => describeAlarm(alarm, scope)),
    ),
  }
}

function distribution(context: ChecklistContext, scope: readonly ScopedPlant[]): Judgement {
  const entries = context.conditions.distribution.filter((entry) => inScope(scope, entry.plantId))
  if (entries.length === 0) {
    return { state: 'unknown', evidence: 'No distribution targets for the affected plants' }
  }
  const judgements = entries.map((entry): Judgement => {
    const name = scope.find((scoped) => scoped.id === entry.plantId)?.name ?? entry.plantId
    const reference =
      entry.reference === 'snapshot' ? 'last-known-good snapshot' : 'configured target'
    if (entry.deviationPercent === null) {
      return { state: 'unknown', evidence: `${name}: a valve cannot be read` }
    }
    const valve = entry.worstTagId === null ? '' : ` (${entry.worstTagId})`
    return {
      state: entry.deviationPercent > distributionLimitPercent ? 'not-met' : 'met',
      evidence: `${name} ${entry.deviationPercent.toFixed(1)} % off the ${reference}${valve}`,
    }
  })
  return {
    state: worst(judgements.map((judgement) => judgement.state)),
    evidence: judgements.map((judgement) => judgement.evidence).join('; '),
  }
}

function safetyOfficer(escalation: readonly EscalationStep[]): Judgement {
  const steps = escalation.filter((step) => step.levelId.includes('safety'))
  if (steps.length === 0) {
    return {
      state: 'unknown',
      evidence:
        'No safety-officer level is due for this incident in the escalation plan: ' +
        'inform the officer and note it',
    }
  }
  const reached = steps.find((step) => step.state === 'reached')
  if (reached) {
    return {
      state: 'met',
      evidence: `${reached.name} reached${reached.lastCall ? ` (${reached.lastCall.contact})` : ''}`,
    }
  }
  return {
    state: 'not-met',
    evidence: steps.map((step) => `${step.name} ${describeStep(step)}`).join('; '),
  }
}

function describeStep(step: EscalationStep): string {
  const calls =
    step.attempts === 0
      ? 'not called yet'
      : `${countOf(step.attempts, 'call')}, last ${step.lastCall?.outcome.replaceAll('-', ' ') ?? ''}`
  return `${step.state}, ${calls}`
}

function escalationsReached(escalation: readonly EscalationStep[]): Judgement {
  const fallen = escalation.filter((step) => step.state !== 'upcoming')
  if (fallen.length === 0) return { state: 'met', evidence: 'No escalation has fallen due yet' }
  const open = fallen.filter((step) => step.state !== 'reached')
  return {
    state: open.length === 0 ? 'met' : 'not-met',
    evidence: withDetails(
      `${fallen.length - open.length} of ${countOf(fallen.length, 'due level')} reached`,
      open.map((step) => `${step.name} ${describeStep(step)}`),
    ),
  }
}

function updateCurrent({ incident, now }: ChecklistContext): Judgement {
  const every = severityDefinitions[incident.severity].updateEveryMinutes
  if (every === null) {
    return { state: 'met', evidence: `No regular status updates at ${incident.severity}` }
  }
  const last = incident.updates.at(-1)
  if (!last) {
    return {
      state: 'not-met',
      evidence: `No status update sent yet; ${incident.severity} needs one every ${every} min`,
    }
  }
  const ago = Math.floor((now - last.at) / minutes)
  return now - last.at <= every * minutes
    ? { state: 'met', evidence: `Last update ${ago} min ago (every ${every} min)` }
    : {
        state: 'not-met',
        evidence: `Last update ${ago} min ago; ${incident.severity} needs one every ${every} min`,
      }
}

function checklistComplete(items: readonly EvaluatedItem[]): Judgement {
  const open = items.filter((item) => !item.done)
  return {
    state: open.length === 0 ? 'met' : 'not-met',
    evidence: withDetails(
      `${items.length - open.length} of ${items.length} done`,
      open.length === 0 ? [] : [`open: ${open.map((item) => item.label).join(', ')}`],
    ),
  }
}

/** "2 of 3 plants normal; Plant 002 lost". */
function withDetails(summary: string, details: readonly string[]): string {
  return [summary, ...details].join('; ')
}

const countOf = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`
