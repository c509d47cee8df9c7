import type { AlarmSnapshot, AlarmState } from '../../src/shared/alarms/model'

/**
 * An alarm as the engine hands it to the renderer, for tests of what is built from snapshots (list
 * order, the horn, the alarm page, the overview). A high-limit alarm of unit p1.b1 unless `changes`
 * says otherwise; active while unacknowledged or acknowledged.
 */
export function alarmSnapshot(
  id: string,
  state: AlarmState,
  changes: Partial<AlarmSnapshot> = {},
): AlarmSnapshot {
  return {
    id,
    tagId: id,
    sourceId: null,
    unit: 'p1.b1',
    condition: 'h',
    cause: 'high-limit',
    priority: 'high',
    message: id,
    prompt: null,
    builtIn: false,
    tripGroup: null,
    state,
    active: state === 'unacknowledged' || state === 'acknowledged',
    firstOut: false,
    value: null,
    threshold: null,
    raisedAt: null,
    changedAt: null,
    acknowledged: null,
    shelved: null,
    outOfService: null,
    ...changes,
  }
}
