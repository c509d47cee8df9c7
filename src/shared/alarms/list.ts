import { z } from 'zod'
import { alarmPriorities, alarmPrioritySchema, type AlarmPriority } from './definitions'
import { alarmStates, annunciatedStates, type AlarmSnapshot, type AlarmState } from './model'

// The alarm list and the banner's summary. Order, per ISA-101 and ISA-18.2 HMI practice: highest
// priority first, so a critical alarm is never below the fold behind a flood of low ones; within a
// priority the most recent first, because the newest alarm is the one the operator has not seen.
// The list does not float unacknowledged alarms up: acknowledging would then reshuffle the rows
// under the operator's pointer. Ties fall back to the alarm id so the order never flickers.

const rank = (priority: AlarmPriority): number => alarmPriorities.indexOf(priority)

/** When the alarm last annunciated, else when its state last changed; never = oldest. */
const timeOf = (alarm: AlarmSnapshot): number => alarm.raisedAt ?? alarm.changedAt ?? -Infinity

export function compareAlarms(a: AlarmSnapshot, b: AlarmSnapshot): number {
  if (a.priority !== b.priority) return rank(a.priority) - rank(b.priority)
  const timeA = timeOf(a)
  const timeB = timeOf(b)
  if (timeA !== timeB) return timeA > timeB ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The alarm list: alarms that are active or await acknowledgement, in list order. */
export function alarmList(alarms: readonly AlarmSnapshot[]): AlarmSnapshot[] {
  return alarms.filter((alarm) => annunciatedStates.includes(alarm.state)).sort(compareAlarms)
}

const countsSchema = z.strictObject({
  /** Active or awaiting acknowledgement: the rows of the alarm list. */
  annunciated: z.number().int(),
  /** Unacknowledged, active or returned. */
  unacknowledged: z.number().int(),
})

export const alarmSummarySchema = z.strictObject({
  ...countsSchema.shape,
  byPriority: z.record(alarmPrioritySchema, countsSchema),
  byState: z.record(z.enum(alarmStates), z.number().int()),
  /** The banner's colour: the most urgent alarm still waiting for an operator. */
  highestUnacknowledgedPriority: alarmPrioritySchema.nullable(),
  highestAnnunciatedPriority: alarmPrioritySchema.nullable(),
})
export type AlarmSummary = z.infer<typeof alarmSummarySchema>

const isUnacknowledged = (state: AlarmState): boolean =>
  state === 'unacknowledged' || state === 'returned-unacknowledged'

export function alarmSummary(alarms: readonly AlarmSnapshot[]): AlarmSummary {
  const zero = () => ({ annunciated: 0, unacknowledged: 0 })
  const byPriority = {
    critical: zero(),
    high: zero(),
    medium: zero(),
    low: zero(),
  } satisfies Record<AlarmPriority, { annunciated: number; unacknowledged: number }>
  const byState: Record<AlarmState, number> = {
    normal: 0,
    unacknowledged: 0,
    acknowledged: 0,
    'returned-unacknowledged': 0,
    shelved: 0,
    suppressed: 0,
    'out-of-service': 0,
  }
  let annunciated = 0
  let unacknowledged = 0
  for (const alarm of alarms) {
    byState[alarm.state]++
    if (!annunciatedStates.includes(alarm.state)) continue
    annunciated++
    byPriority[alarm.priority].annunciated++
    if (isUnacknowledged(alarm.state)) {
      unacknowledged++
      byPriority[alarm.priority].unacknowledged++
    }
  }
  const highest = (field: 'annunciated' | 'unacknowledged'): AlarmPriority | null =>
    alarmPriorities.find((priority) => byPriority[priority][field] > 0) ?? null
  return {
    annunciated,
    unacknowledged,
    byPriority,
    byState,
    highestUnacknowledgedPriority: highest('unacknowledged'),
    highestAnnunciatedPriority: highest('annunciated'),
  }
}
