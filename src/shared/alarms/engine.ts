import type { TagValue } from '../field/values'
import { assertNever, fail, ok, type ApiError, type Result } from '../result'
import {
  alarmPriorities,
  communicationLossDefinition,
  type AlarmDefinition,
  type AlarmSettings,
} from './definitions'
import {
  annunciatedStates,
  type AlarmEvent,
  type AlarmSnapshot,
  type AlarmState,
  type AlarmTransition,
  type AlarmTransitionType,
  type FloodGroup,
  type FloodStatus,
} from './model'

// The alarm engine: ISA-18.2 alarm life cycle, pure and deterministic. It holds no clock: every
// call says what time it is, so tests drive it with plain numbers and the backend with its
// scheduler (DESIGN.md §6). Every transition comes back as data for the journal (§3.4).
//
// States of one alarm (ISA-18.2's alarm state transition diagram):
//
//   NORMAL ──── condition active ────▶ UNACK ──── acknowledge ────▶ ACKED
//    ▲ ▲                               │   ▲                          │
//    │ │             condition returns │   │ condition active again   │ condition returns
//    │ │              (alarm.returned) ▼   │                          │ (alarm.cleared)
//    │ └─────── acknowledge ──────── RTN-UNACK                        │
//    └────────────────────────────────────────────────────────────────┘
//
//   Overlays, from any of those: SHELVED (operator, timed), SUPPRESSED (by design, from a tag),
//   OUT OF SERVICE (engineering). Shown in that order of precedence: out of service > shelved >
//   suppressed. Underneath, the condition is still evaluated (silently: no transitions are
//   journaled while hidden, the tag history keeps the values). On leaving the last overlay the
//   alarm re-annunciates (to UNACK) if its condition is active, else goes to NORMAL.
//
// Rules this engine keeps:
// - Limits are "at or beyond": high alarms at value ≥ limit, low at ≤ limit, with a relative
//   tolerance of 1e-6 so a float32 register holding the limit (15.2 reads 15.199999809…) counts as
//   at the limit. An active alarm returns only past limit ∓ deadband.
// - On-delay: the condition must hold continuously for onDelayMs before the alarm is raised;
//   off-delay: it must stay clear for offDelayMs before the alarm returns. Delays run out on
//   onValues or tick, whichever comes first after they elapse; transitions carry that time.
// - Quality: good and uncertain values are evaluated. A bad or stale value neither raises nor
//   returns any alarm, and cancels a running delay (nobody knows the condition held): the alarm
//   holds its state, and the source's communication-loss alarm says why.
// - Rate of change = (value now − value one window ago) / window, the older value held from the
//   last sample at or before then (OPC UA reports changes only). It needs one full window of usable
//   values: at start-up and after a bad or stale gap the alarm holds until it has one.
// - Communication loss: one alarm per source, raised once per outage however often the driver
//   reports the loss.
// - First-out (per trip group): the first alarm of the group to annunciate while the whole group is
//   normal (or shelved, suppressed, out of service) is the first-out until the group is so again.
// - Floods: alarms annunciated per console (ISA-18.2 counts per operator; until consoles have
//   identities, one console is one operator position). More than flood.count within the last
//   flood.windowMinutes (window (now − window, now]) starts a flood; it ends when the count in the
//   window falls to flood.count or below, checked on every call (tick at least once a second).
// - Shelving: refused beyond alarmSettings.maxShelveMinutes, and refused for critical alarms: they
//   are the runbook's safety alarms, and hiding one defeats the protocol. A misbehaving critical
//   alarm goes out of service, which is an engineering decision with a reason on the journal.
// - Time never runs backwards: a call with an earlier time than the last is treated as no time
//   having passed (a wall clock stepped back must not replay delays or shelves).

/** Operator actions cross the process boundary as Results (DESIGN.md §8). */
export type AlarmActionResult = Result<AlarmEvent[]>

export type AlarmEngine = {
  /** One tag reading; see onValues. */
  onValue: (value: TagValue, nowMs: number) => AlarmEvent[]
  /**
   * A batch of readings. Suppression tags are applied before conditions are evaluated, so a boiler
   * that stops and loses pressure in one batch does not raise its low-pressure alarm first.
   */
  onValues: (values: readonly TagValue[], nowMs: number) => AlarmEvent[]
  /** A source connected or lost (DESIGN.md §4): its communication-loss alarm. */
  onSourceState: (sourceId: string, connected: boolean, nowMs: number) => AlarmEvent[]
  /** Lets time act: delays, rates over time, shelve expiry, suppression release, flood end. */
  tick: (nowMs: number) => AlarmEvent[]
  acknowledge: (alarmId: string, by: string, nowMs: number) => AlarmActionResult
  shelve: (
    alarmId: string,
    by: string,
    reason: string,
    minutes: number,
    nowMs: number,
  ) => AlarmActionResult
  unshelve: (alarmId: string, by: string, nowMs: number) => AlarmActionResult
  setOutOfService: (alarmId: string, by: string, reason: string, nowMs: number) => AlarmActionResult
  returnToService: (alarmId: string, by: string, nowMs: number) => AlarmActionResult
  comment: (alarmId: string, by: string, text: string, nowMs: number) => AlarmActionResult
  /** Every alarm, in definition order. */
  alarms: () => AlarmSnapshot[]
  alarm: (alarmId: string) => AlarmSnapshot | undefined
  /** As of the last call. */
  floodStatus: () => FloodStatus
}

type Measure = AlarmSnapshot['value']

type AlarmRecord = {
  definition: AlarmDefinition
  /** The process condition after delays. */
  active: boolean
  /** Unacknowledged: set when the alarm annunciates, cleared by acknowledgement. */
  awaitingAcknowledgement: boolean
  /** Since when the condition has differed from `active`: a delay is running. */
  pendingSince: number | null
  suppressed: boolean
  /** The suppression condition ended; the alarm is released at this time. */
  suppressionReleaseAt: number | null
  shelved: { by: string; reason: string; at: number; until: number } | null
  outOfService: { by: string; reason: string; at: number } | null
  acknowledged: { by: string; at: number } | null
  raisedAt: number | null
  /** Order of annunciation across the engine, for first-out ties within one millisecond. */
  raiseOrder: number
  changedAt: number | null
  value: Measure
}

type Sample = { at: number; value: number }

/** Unknown condition: hold the alarm where it is. */
type Decision = { active: boolean; value: Measure } | null

const maximumCommentLength = 2000
const ratePeriodMs = 10 * 60_000
const quietStates: ReadonlySet<AlarmState> = new Set([
  'normal',
  'shelved',
  'suppressed',
  'out-of-service',
])

function toleranceOf(threshold: number): number {
  return Math.abs(threshold) * 1e-6
}

const atOrAbove = (value: number, threshold: number): boolean =>
  value >= threshold - toleranceOf(threshold)
const atOrBelow = (value: number, threshold: number): boolean =>
  value <= threshold + toleranceOf(threshold)

function usable(reading: TagValue | undefined): reading is TagValue {
  return reading !== undefined && (reading.quality === 'good' || reading.quality === 'uncertain')
}

function numeric(reading: TagValue | undefined): number | null {
  if (!usable(reading)) return null
  return typeof reading.value === 'number' && Number.isFinite(reading.value) ? reading.value : null
}

/** Flags arrive as booleans, or as numbers from registers where non-zero means true. */
function flag(reading: TagValue | undefined): boolean | null {
  if (!usable(reading)) return null
  if (typeof reading.value === 'boolean') return reading.value
  if (typeof reading.value === 'number') return reading.value !== 0
  return null
}

function matches(reading: TagValue | undefined, equals: boolean | number | string): boolean | null {
  if (typeof equals === 'boolean') {
    const value = flag(reading)
    return value === null ? null : value === equals
  }
  return usable(reading) ? reading.value === equals : null
}

function thresholdOf(definition: AlarmDefinition): number | null {
  const trigger = definition.trigger
  switch (trigger.kind) {
    case 'limit':
      return trigger.limit
    case 'rate-of-change':
      return trigger.perMinute
    case 'deviation':
      return trigger.band
    case 'digital':
    case 'communication-loss':
      return null
    default:
      return assertNever(trigger, 'alarm trigger')
  }
}

function stateOf(record: AlarmRecord): AlarmState {
  if (record.outOfService) return 'out-of-service'
  if (record.shelved) return 'shelved'
  if (record.suppressed) return 'suppressed'
  if (record.active) return record.awaitingAcknowledgement ? 'unacknowledged' : 'acknowledged'
  return record.awaitingAcknowledgement ? 'returned-unacknowledged' : 'normal'
}

function hidden(record: AlarmRecord): boolean {
  return record.outOfService !== null || record.shelved !== null || record.suppressed
}

/** Leaving an overlay: an active condition must be acknowledged afresh, a clear one is normal. */
function reveal(record: AlarmRecord): void {
  record.awaitingAcknowledgement = record.active
}

function addToIndex<K>(index: Map<K, AlarmRecord[]>, key: K, record: AlarmRecord): void {
  const list = index.get(key)
  if (list) list.push(record)
  else index.set(key, [record])
}

export function createAlarmEngine(
  definitions: readonly AlarmDefinition[],
  settings: AlarmSettings,
): AlarmEngine {
  const records = new Map<string, AlarmRecord>()
  /** Tags whose readings a condition uses: the alarm's own tag and a deviation's setpoint tag. */
  const byInputTag = new Map<string, AlarmRecord[]>()
  const bySuppressionTag = new Map<string, AlarmRecord[]>()
  const byTripGroup = new Map<string, AlarmRecord[]>()
  const firstOutByTripGroup = new Map<string, string>()
  const latest = new Map<string, TagValue>()
  /** Rate-of-change tags: their samples, and the longest window any of their alarms looks back. */
  const histories = new Map<string, { samples: Sample[]; windowMs: number }>()

  const floodWindowMs = settings.flood.windowMinutes * 60_000
  const annunciationKeepMs = Math.max(floodWindowMs, ratePeriodMs)
  /** Times of annunciation, oldest first, as far back as the flood window or rate period needs. */
  const annunciations: number[] = []
  let floodSince: number | null = null
  let floods = 0
  let completedFloodMs = 0

  let now = -Infinity
  let annunciationCount = 0
  let emitted: AlarmEvent[] = []

  const addRecord = (definition: AlarmDefinition): AlarmRecord => {
    if (records.has(definition.id)) throw new Error(`duplicate alarm id "${definition.id}"`)
    const record: AlarmRecord = {
      definition,
      active: false,
      awaitingAcknowledgement: false,
      pendingSince: null,
      suppressed: false,
      suppressionReleaseAt: null,
      shelved: null,
      outOfService: null,
      acknowledged: null,
      raisedAt: null,
      raiseOrder: 0,
      changedAt: null,
      value: null,
    }
    records.set(definition.id, record)
    const trigger = definition.trigger
    if (definition.tagId !== null) addToIndex(byInputTag, definition.tagId, record)
    if (trigger.kind === 'deviation') addToIndex(byInputTag, trigger.setpointTagId, record)
    if (trigger.kind === 'rate-of-change' && definition.tagId !== null) {
      const history = histories.get(definition.tagId)
      if (history) history.windowMs = Math.max(history.windowMs, trigger.windowMs)
      else histories.set(definition.tagId, { samples: [], windowMs: trigger.windowMs })
    }
    if (definition.suppressWhen) addToIndex(bySuppressionTag, definition.suppressWhen.tagId, record)
    if (definition.tripGroup !== null) addToIndex(byTripGroup, definition.tripGroup, record)
    return record
  }
  for (const definition of definitions) addRecord(definition)

  /** Runs one call at its time and returns what it emitted, flood changes last. */
  const run = (nowMs: number, work: () => void): AlarmEvent[] => {
    if (nowMs > now) now = nowMs
    emitted = []
    work()
    updateFlood()
    return emitted
  }

  const transition = (
    record: AlarmRecord,
    type: AlarmTransitionType,
    actor: string,
    mutate: () => void,
    details: Partial<Pick<AlarmTransition, 'reason' | 'until' | 'comment'>> = {},
  ): void => {
    const from = stateOf(record)
    mutate()
    const to = stateOf(record)
    if (to !== from) record.changedAt = now
    if (to === 'unacknowledged' && from !== 'unacknowledged') annunciate(record)
    const definition = record.definition
    emitted.push({
      type,
      at: now,
      actor,
      alarmId: definition.id,
      tagId: definition.tagId,
      sourceId: definition.sourceId,
      unit: definition.unit,
      condition: definition.condition,
      cause: definition.cause,
      priority: definition.priority,
      message: definition.message,
      prompt: definition.prompt,
      from,
      to,
      value: record.value,
      threshold: thresholdOf(definition),
      firstOut: isFirstOut(record),
      reason: details.reason ?? null,
      until: details.until ?? null,
      comment: details.comment ?? null,
    })
    settleTripGroup(record)
  }

  const annunciate = (record: AlarmRecord): void => {
    record.raisedAt = now
    record.raiseOrder = ++annunciationCount
    record.acknowledged = null
    annunciations.push(now)
    const group = record.definition.tripGroup
    // No first-out held means the group was quiet: this alarm is the first out of it.
    if (group !== null && !firstOutByTripGroup.has(group)) {
      firstOutByTripGroup.set(group, record.definition.id)
    }
  }

  const isFirstOut = (record: AlarmRecord): boolean => {
    const group = record.definition.tripGroup
    return group !== null && firstOutByTripGroup.get(group) === record.definition.id
  }

  /** Checked after every transition, so an alarm that starts the next episode is its first-out. */
  const settleTripGroup = (record: AlarmRecord): void => {
    const group = record.definition.tripGroup
    if (group === null) return
    const members = byTripGroup.get(group) ?? []
    if (members.every((member) => quietStates.has(stateOf(member)))) {
      firstOutByTripGroup.delete(group)
    }
  }

  const setActive = (record: AlarmRecord, active: boolean): void => {
    if (hidden(record)) {
      record.active = active
      return
    }
    const type = active
      ? 'alarm.raised'
      : record.awaitingAcknowledgement
        ? 'alarm.returned'
        : 'alarm.cleared'
    transition(record, type, 'system', () => {
      record.active = active
      if (active) record.awaitingAcknowledgement = true
    })
  }

  const rateOf = (tagId: string, windowMs: number): number | null => {
    const current = numeric(latest.get(tagId))
    if (current === null) return null
    const start = now - windowMs
    let base: Sample | undefined
    for (const sample of histories.get(tagId)?.samples ?? []) {
      if (sample.at > start) break
      base = sample
    }
    return base === undefined ? null : (current - base.value) / (windowMs / 60_000)
  }

  const decide = (record: AlarmRecord): Decision => {
    const { trigger, tagId } = record.definition
    switch (trigger.kind) {
      case 'limit': {
        const value = numeric(tagId === null ? undefined : latest.get(tagId))
        if (value === null) return null
        if (trigger.direction === 'high') {
          const threshold = record.active ? trigger.limit - trigger.deadband : trigger.limit
          return { active: atOrAbove(value, threshold), value }
        }
        const threshold = record.active ? trigger.limit + trigger.deadband : trigger.limit
        return { active: atOrBelow(value, threshold), value }
      }
      case 'rate-of-change': {
        const rate = tagId === null ? null : rateOf(tagId, trigger.windowMs)
        if (rate === null) return null
        const magnitude =
          trigger.direction === 'rising'
            ? rate
            : trigger.direction === 'falling'
              ? -rate
              : Math.abs(rate)
        const threshold = record.active ? trigger.perMinute - trigger.deadband : trigger.perMinute
        return { active: atOrAbove(magnitude, threshold), value: rate }
      }
      case 'deviation': {
        const value = numeric(tagId === null ? undefined : latest.get(tagId))
        const setpoint = numeric(latest.get(trigger.setpointTagId))
        if (value === null || setpoint === null) return null
        const deviation = value - setpoint
        const threshold = record.active ? trigger.band - trigger.deadband : trigger.band
        return { active: atOrAbove(Math.abs(deviation), threshold), value: deviation }
      }
      case 'digital': {
        const value = flag(tagId === null ? undefined : latest.get(tagId))
        return value === null ? null : { active: value === trigger.alarmWhen, value }
      }
      case 'communication-loss':
        return null // driven by onSourceState, never by readings
      default:
        return assertNever(trigger, 'alarm trigger')
    }
  }

  const evaluate = (record: AlarmRecord): void => {
    const decision = decide(record)
    if (decision === null) {
      record.pendingSince = null
      return
    }
    record.value = decision.value
    if (decision.active === record.active) {
      record.pendingSince = null
      return
    }
    const delay = decision.active ? record.definition.onDelayMs : record.definition.offDelayMs
    record.pendingSince ??= now
    if (now - record.pendingSince < delay) return
    record.pendingSince = null
    setActive(record, decision.active)
  }

  const recordSample = (reading: TagValue): void => {
    const history = histories.get(reading.tagId)
    if (!history) return
    const value = numeric(reading)
    if (value === null) {
      // A gap: what the value did meanwhile is unknown, so no rate spans it.
      history.samples = []
      return
    }
    history.samples.push({ at: now, value })
    // Keep the newest sample at or before the window's start: it is the held value there.
    const start = now - history.windowMs
    const firstNeeded = history.samples.findLastIndex((sample) => sample.at <= start)
    if (firstNeeded > 0) history.samples.splice(0, firstNeeded)
  }

  const releaseSuppressionIfDue = (record: AlarmRecord): void => {
    if (record.suppressionReleaseAt === null || now < record.suppressionReleaseAt) return
    transition(record, 'alarm.unsuppressed', 'system', () => {
      record.suppressed = false
      record.suppressionReleaseAt = null
      reveal(record)
    })
  }

  const updateSuppression = (record: AlarmRecord): void => {
    const rule = record.definition.suppressWhen
    if (rule === null) return
    const matched = matches(latest.get(rule.tagId), rule.equals)
    if (matched === null) return
    if (matched) {
      record.suppressionReleaseAt = null
      if (!record.suppressed) {
        transition(record, 'alarm.suppressed', 'system', () => {
          record.suppressed = true
        })
      }
      return
    }
    if (record.suppressed && record.suppressionReleaseAt === null) {
      record.suppressionReleaseAt = now + rule.releaseDelayMs
      releaseSuppressionIfDue(record)
    }
  }

  const updateFlood = (): void => {
    for (;;) {
      const oldest = annunciations[0]
      if (oldest === undefined || oldest > now - annunciationKeepMs) break
      annunciations.shift()
    }
    const count = countSince(now - floodWindowMs)
    const threshold = settings.flood.count
    const common = {
      at: now,
      actor: 'system' as const,
      countInWindow: count,
      threshold,
      windowMinutes: settings.flood.windowMinutes,
    }
    if (floodSince === null && count > threshold) {
      floodSince = now
      floods++
      emitted.push({
        ...common,
        type: 'alarm.flood-started',
        startedAt: now,
        durationMs: null,
        timeInFloodMs: completedFloodMs,
      })
    } else if (floodSince !== null && count <= threshold) {
      const durationMs = now - floodSince
      completedFloodMs += durationMs
      emitted.push({
        ...common,
        type: 'alarm.flood-ended',
        startedAt: floodSince,
        durationMs,
        timeInFloodMs: completedFloodMs,
      })
      floodSince = null
    }
  }

  const countSince = (start: number): number => annunciations.filter((at) => at > start).length

  const snapshot = (record: AlarmRecord): AlarmSnapshot => {
    const definition = record.definition
    return {
      id: definition.id,
      tagId: definition.tagId,
      sourceId: definition.sourceId,
      unit: definition.unit,
      condition: definition.condition,
      cause: definition.cause,
      priority: definition.priority,
      message: definition.message,
      prompt: definition.prompt,
      builtIn: definition.builtIn,
      tripGroup: definition.tripGroup,
      state: stateOf(record),
      active: record.active,
      firstOut: isFirstOut(record),
      value: record.value,
      threshold: thresholdOf(definition),
      raisedAt: record.raisedAt,
      changedAt: record.changedAt,
      acknowledged: record.acknowledged,
      shelved: record.shelved,
      outOfService: record.outOfService,
    }
  }

  /** Grouped in order of annunciation, so each group's first alarm is its first-out. */
  const floodGroups = (): FloodGroup[] => {
    const annunciated = [...records.values()]
      .filter((record) => annunciatedStates.includes(stateOf(record)))
      .sort((a, b) => a.raiseOrder - b.raiseOrder)
    const groups = new Map<string, FloodGroup>()
    for (const record of annunciated) {
      const { id, unit, sourceId, cause, priority } = record.definition
      const key = `${unit ?? ''}|${sourceId ?? ''}|${cause}`
      const group = groups.get(key)
      if (!group) {
        groups.set(key, {
          unit,
          sourceId,
          cause,
          alarmIds: [id],
          firstOutAlarmId: id,
          highestPriority: priority,
        })
        continue
      }
      group.alarmIds.push(id)
      if (alarmPriorities.indexOf(priority) < alarmPriorities.indexOf(group.highestPriority)) {
        group.highestPriority = priority
      }
    }
    return [...groups.values()]
  }

  type Refusal = { ok: false; error: ApiError }

  /** An operator action: checked against the alarm first, applied only when allowed. */
  const act = (
    alarmId: string,
    actor: string,
    nowMs: number,
    check: (record: AlarmRecord) => Refusal | (() => void),
  ): AlarmActionResult => {
    const record = records.get(alarmId)
    if (!record) return fail('unknown-alarm', `no alarm with id "${alarmId}"`)
    if (actor.trim() === '') return fail('actor-required', 'say who takes the action')
    const apply = check(record)
    return typeof apply === 'function' ? ok(run(nowMs, apply)) : apply
  }

  const onValues = (values: readonly TagValue[], nowMs: number): AlarmEvent[] =>
    run(nowMs, () => {
      const affected = new Set<AlarmRecord>()
      for (const reading of values) {
        const dependants = byInputTag.get(reading.tagId)
        const suppressions = bySuppressionTag.get(reading.tagId)
        if (!dependants && !suppressions) continue
        latest.set(reading.tagId, reading)
        recordSample(reading)
        for (const record of dependants ?? []) affected.add(record)
      }
      for (const reading of values) {
        for (const record of bySuppressionTag.get(reading.tagId) ?? []) updateSuppression(record)
      }
      for (const record of affected) evaluate(record)
    })

  return {
    onValue: (value, nowMs) => onValues([value], nowMs),
    onValues,
    onSourceState: (sourceId, connected, nowMs) =>
      run(nowMs, () => {
        // Sources the definitions did not list still get their alarm: a lost link is never silent.
        const definition = communicationLossDefinition(sourceId, settings)
        const record = records.get(definition.id) ?? addRecord(definition)
        // Once per outage: a driver retrying reports the loss again and again.
        if (record.active !== connected) return
        setActive(record, !connected)
      }),
    tick: (nowMs) =>
      run(nowMs, () => {
        for (const record of records.values()) {
          if (record.pendingSince !== null || record.definition.trigger.kind === 'rate-of-change') {
            evaluate(record)
          }
          releaseSuppressionIfDue(record)
          if (record.shelved && now >= record.shelved.until) {
            transition(
              record,
              'alarm.unshelved',
              'system',
              () => {
                record.shelved = null
                reveal(record)
              },
              { reason: 'shelve time ended' },
            )
          }
        }
      }),
    acknowledge: (alarmId, by, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        const state = stateOf(record)
        if (state !== 'unacknowledged' && state !== 'returned-unacknowledged') {
          return fail('nothing-to-acknowledge', `${alarmId} is ${state}: nothing to acknowledge`)
        }
        return () =>
          transition(record, 'alarm.acknowledged', by, () => {
            record.awaitingAcknowledgement = false
            record.acknowledged = { by, at: now }
          })
      }),
    shelve: (alarmId, by, reason, minutes, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        const why = reason.trim()
        if (why === '') return fail('reason-required', 'shelving needs a reason')
        if (!Number.isFinite(minutes) || minutes <= 0) {
          return fail('invalid-duration', 'shelve for a positive number of minutes')
        }
        if (minutes > settings.maxShelveMinutes) {
          return fail(
            'shelve-too-long',
            `this site shelves alarms for at most ${settings.maxShelveMinutes} minutes`,
          )
        }
        if (record.definition.priority === 'critical') {
          return fail(
            'shelve-not-allowed',
            'critical alarms cannot be shelved; an engineer can take one out of service',
          )
        }
        const state = stateOf(record)
        if (state === 'shelved') return fail('already-shelved', `${alarmId} is already shelved`)
        if (state === 'out-of-service' || state === 'suppressed') {
          return fail('not-annunciating', `${alarmId} is ${state}: there is nothing to shelve`)
        }
        return () => {
          const until = now + minutes * 60_000
          transition(
            record,
            'alarm.shelved',
            by,
            () => {
              record.shelved = { by, reason: why, at: now, until }
            },
            { reason: why, until },
          )
        }
      }),
    unshelve: (alarmId, by, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        if (!record.shelved) return fail('not-shelved', `${alarmId} is not shelved`)
        return () =>
          transition(record, 'alarm.unshelved', by, () => {
            record.shelved = null
            reveal(record)
          })
      }),
    setOutOfService: (alarmId, by, reason, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        const why = reason.trim()
        if (why === '')
          return fail('reason-required', 'taking an alarm out of service needs a reason')
        if (record.outOfService) {
          return fail('already-out-of-service', `${alarmId} is already out of service`)
        }
        return () =>
          transition(
            record,
            'alarm.out-of-service',
            by,
            () => {
              record.outOfService = { by, reason: why, at: now }
              // Out of service outranks a shelve; the shelve does not come back afterwards.
              record.shelved = null
            },
            { reason: why },
          )
      }),
    returnToService: (alarmId, by, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        if (!record.outOfService) {
          return fail('not-out-of-service', `${alarmId} is not out of service`)
        }
        return () =>
          transition(record, 'alarm.in-service', by, () => {
            record.outOfService = null
            reveal(record)
          })
      }),
    comment: (alarmId, by, text, nowMs) =>
      act(alarmId, by, nowMs, (record) => {
        const comment = text.trim()
        if (comment === '') return fail('comment-required', 'the comment is empty')
        if (comment.length > maximumCommentLength) {
          return fail(
            'comment-too-long',
            `keep comments to ${maximumCommentLength} characters (this one has ${comment.length})`,
          )
        }
        return () => transition(record, 'alarm.commented', by, () => {}, { comment })
      }),
    alarms: () => [...records.values()].map(snapshot),
    alarm: (alarmId) => {
      const record = records.get(alarmId)
      return record ? snapshot(record) : undefined
    },
    floodStatus: () => ({
      inFlood: floodSince !== null,
      since: floodSince,
      countInWindow: countSince(now - floodWindowMs),
      threshold: settings.flood.count,
      windowMinutes: settings.flood.windowMinutes,
      ratePer10Minutes: countSince(now - ratePeriodMs),
      timeInFloodMs: completedFloodMs + (floodSince === null ? 0 : now - floodSince),
      floods,
      groups: floodGroups(),
    }),
  }
}
