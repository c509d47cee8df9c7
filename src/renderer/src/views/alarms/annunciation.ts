import { alarmPriorities, type AlarmPriority } from '../../../../shared/alarms/definitions'
import type { AlarmSnapshot } from '../../../../shared/alarms/model'

// What the horn should do, as pure functions of the alarms (the annunciator in annunciator.ts only
// plays it). ISA-18.2: audible annunciation calls the operator to a NEW alarm; silencing stops the
// sound and acknowledges nothing, so a silenced alarm stays unacknowledged on every screen, and the
// next alarm to annunciate sounds again.
//
// Silence is remembered as the set of annunciations it covered (alarm id + when it annunciated),
// not as a time: raisedAt is the backend's clock and an alarm reaches the screen up to a push later,
// so "raised after the silence" would silence an alarm the operator never saw. An alarm that
// returns and annunciates again has a new raisedAt, so it is a new annunciation and sounds.

/** One annunciation of one alarm: it sounds once per raise, not once per alarm. */
export const annunciationKey = (alarm: AlarmSnapshot): string => `${alarm.id}@${alarm.raisedAt}`

const awaitsAcknowledgement = (alarm: AlarmSnapshot): boolean =>
  alarm.state === 'unacknowledged' || alarm.state === 'returned-unacknowledged'

/**
 * The alarms calling for the horn: unacknowledged (an alarm that returned before anyone
 * acknowledged it still needs an operator to have seen it) and not covered by a silence.
 */
export function annunciating(
  alarms: readonly AlarmSnapshot[],
  silenced: ReadonlySet<string>,
): AlarmSnapshot[] {
  return alarms.filter(
    (alarm) => awaitsAcknowledgement(alarm) && !silenced.has(annunciationKey(alarm)),
  )
}

/** The priority whose tone sounds: the most urgent annunciating alarm's, one tone at a time. */
export function soundingPriority(
  alarms: readonly AlarmSnapshot[],
  silenced: ReadonlySet<string>,
): AlarmPriority | null {
  const calling = new Set(annunciating(alarms, silenced).map((alarm) => alarm.priority))
  return alarmPriorities.find((priority) => calling.has(priority)) ?? null
}

/**
 * What Silence covers: every annunciation awaiting acknowledgement now. Keys of alarms since
 * acknowledged fall out, so the set never grows past the alarms on screen.
 */
export function silenceAll(alarms: readonly AlarmSnapshot[]): Set<string> {
  return new Set(alarms.filter(awaitsAcknowledgement).map(annunciationKey))
}

/** One beep: when it starts in its pattern, how long, how high. */
export type TonePulse = { offsetMs: number; durationMs: number; frequencyHz: number }

/** A priority's sound: its pulses, repeated every repeatMs, or once per new alarm when null. */
export type TonePattern = { pulses: TonePulse[]; repeatMs: number | null }

const pulses = (count: number, everyMs: number, durationMs: number, frequencyHz: number) =>
  Array.from({ length: count }, (_, index) => ({
    offsetMs: index * everyMs,
    durationMs,
    frequencyHz,
  }))

/**
 * Distinct by rhythm and pitch, so an operator tells the priority without looking (the urgency
 * ladder of IEC 60601-1-8, which ISA-18.2 leaves to the site): critical a fast burst of high
 * pulses, high a slower pair, medium one tone every few seconds, low a short chirp per new alarm.
 */
export const tonePatterns: Record<AlarmPriority, TonePattern> = {
  critical: { pulses: pulses(5, 180, 110, 960), repeatMs: 1600 },
  high: { pulses: pulses(2, 350, 220, 740), repeatMs: 3000 },
  medium: { pulses: pulses(1, 0, 400, 560), repeatMs: 6000 },
  low: { pulses: [{ offsetMs: 0, durationMs: 120, frequencyHz: 1200 }], repeatMs: null },
}

/** What the horn is doing, between two looks at the alarms. */
export type HornState = {
  /** The repeating pattern playing, or null. */
  looping: AlarmPriority | null
  /** The annunciations already heard, so a once-only pattern sounds once for each. */
  heard: ReadonlySet<string>
}

export const quietHorn: HornState = { looping: null, heard: new Set() }

export type HornAction =
  | { kind: 'none' }
  | { kind: 'stop' }
  | { kind: 'loop'; priority: AlarmPriority }
  | { kind: 'once'; priority: AlarmPriority }

/**
 * The next step of the horn given what annunciates now: start (or change to) a repeating pattern,
 * stop it, sound a once-only pattern for an annunciation not heard before, or carry on.
 */
export function hornStep(
  horn: HornState,
  alarms: readonly AlarmSnapshot[],
  silenced: ReadonlySet<string>,
): { horn: HornState; action: HornAction } {
  const calling = annunciating(alarms, silenced)
  const heard = new Set(calling.map(annunciationKey))
  const priority = soundingPriority(alarms, silenced)
  if (priority === null) {
    return {
      horn: { looping: null, heard },
      action: horn.looping ? { kind: 'stop' } : { kind: 'none' },
    }
  }
  if (tonePatterns[priority].repeatMs !== null) {
    const action: HornAction =
      horn.looping === priority ? { kind: 'none' } : { kind: 'loop', priority }
    return { horn: { looping: priority, heard }, action }
  }
  const fresh = calling.some((alarm) => !horn.heard.has(annunciationKey(alarm)))
  const action: HornAction = fresh
    ? { kind: 'once', priority }
    : horn.looping
      ? { kind: 'stop' }
      : { kind: 'none' }
  return { horn: { looping: null, heard }, action }
}
