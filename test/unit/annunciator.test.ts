import { describe, expect, it } from 'vitest'
import type { AlarmPriority } from '../../src/shared/alarms/definitions'
import type { AlarmSnapshot, AlarmState } from '../../src/shared/alarms/model'
import {
  annunciating,
  annunciationKey,
  hornStep,
  quietHorn,
  silenceAll,
  soundingPriority,
  tonePatterns,
  type HornState,
} from '../../src/renderer/src/views/alarms/annunciation'
import { alarmSnapshot } from '../support/alarm-snapshot'

// What the horn does (ISA-18.2): it sounds for unacknowledged alarms, the most urgent one's tone;
// Silence stops it without acknowledging; a new annunciation sounds again.

const t0 = Date.UTC(2026, 0, 1)
const none: ReadonlySet<string> = new Set()

function alarm(
  id: string,
  priority: AlarmPriority,
  state: AlarmState,
  raisedAt: number | null = t0,
): AlarmSnapshot {
  return alarmSnapshot(id, state, { priority, raisedAt, changedAt: raisedAt })
}

describe('what sounds', () => {
  it('sounds the most urgent unacknowledged priority, returned-unacknowledged included', () => {
    expect(soundingPriority([alarm('a', 'low', 'unacknowledged')], none)).toBe('low')
    expect(
      soundingPriority(
        [
          alarm('a', 'low', 'unacknowledged'),
          alarm('b', 'high', 'returned-unacknowledged'),
          alarm('c', 'medium', 'unacknowledged'),
        ],
        none,
      ),
    ).toBe('high')
  })

  it('is quiet for acknowledged, shelved, suppressed, out-of-service and normal alarms', () => {
    const states: AlarmState[] = [
      'acknowledged',
      'shelved',
      'suppressed',
      'out-of-service',
      'normal',
    ]
    const alarms = states.map((state) => alarm(state, 'critical', state))
    expect(soundingPriority(alarms, none)).toBeNull()
    expect(annunciating(alarms, none)).toEqual([])
  })

  it('silence stops the sound but acknowledges nothing, and a new alarm sounds again', () => {
    const critical = alarm('pressure', 'critical', 'unacknowledged')
    const silenced = silenceAll([critical])
    expect(soundingPriority([critical], silenced)).toBeNull()
    // Still unacknowledged on screen: silence changed only the horn.
    expect(critical.state).toBe('unacknowledged')
    const fresh = alarm('flame', 'medium', 'unacknowledged', t0 + 500)
    expect(soundingPriority([critical, fresh], silenced)).toBe('medium')
  })

  it('sounds again when a silenced alarm returns and annunciates anew', () => {
    const first = alarm('pressure', 'high', 'unacknowledged', t0)
    const silenced = silenceAll([first])
    const again = alarm('pressure', 'high', 'unacknowledged', t0 + 60_000)
    expect(annunciationKey(again)).not.toBe(annunciationKey(first))
    expect(soundingPriority([again], silenced)).toBe('high')
  })

  it('silence covers the alarms on screen, not one raised earlier that arrives later', () => {
    // Raised before the operator pressed Silence, but not yet pushed: it must still sound.
    const seen = alarm('seen', 'high', 'unacknowledged', t0 + 1000)
    const late = alarm('late', 'high', 'unacknowledged', t0)
    const silenced = silenceAll([seen])
    expect(annunciating([seen, late], silenced).map((a) => a.id)).toEqual(['late'])
  })

  it('silence remembers only what awaits acknowledgement', () => {
    const silenced = silenceAll([
      alarm('a', 'high', 'unacknowledged'),
      alarm('b', 'high', 'acknowledged'),
      alarm('c', 'high', 'shelved'),
    ])
    expect([...silenced]).toEqual([annunciationKey(alarm('a', 'high', 'unacknowledged'))])
  })
})

describe('the horn', () => {
  const step = (horn: HornState, alarms: AlarmSnapshot[], silenced = none) =>
    hornStep(horn, alarms, silenced)

  it('starts the repeating pattern of the most urgent priority, and changes it when that changes', () => {
    const medium = alarm('m', 'medium', 'unacknowledged')
    const first = step(quietHorn, [medium])
    expect(first.action).toEqual({ kind: 'loop', priority: 'medium' })
    expect(step(first.horn, [medium]).action, 'carries on').toEqual({ kind: 'none' })
    const critical = alarm('c', 'critical', 'unacknowledged')
    const second = step(first.horn, [medium, critical])
    expect(second.action).toEqual({ kind: 'loop', priority: 'critical' })
    const acknowledged = { ...critical, state: 'acknowledged' as const }
    expect(step(second.horn, [medium, acknowledged]).action).toEqual({
      kind: 'loop',
      priority: 'medium',
    })
  })

  it('stops when everything is acknowledged or silenced', () => {
    const high = alarm('h', 'high', 'unacknowledged')
    const playing = step(quietHorn, [high]).horn
    expect(step(playing, [{ ...high, state: 'acknowledged' }]).action).toEqual({ kind: 'stop' })
    expect(step(playing, [high], silenceAll([high])).action).toEqual({ kind: 'stop' })
    expect(step(quietHorn, []).action, 'nothing to stop').toEqual({ kind: 'none' })
  })

  it('chirps once per new low alarm, not on every look', () => {
    const low = alarm('l1', 'low', 'unacknowledged')
    const first = step(quietHorn, [low])
    expect(first.action).toEqual({ kind: 'once', priority: 'low' })
    expect(step(first.horn, [low]).action).toEqual({ kind: 'none' })
    const another = alarm('l2', 'low', 'unacknowledged', t0 + 5)
    expect(step(first.horn, [low, another]).action).toEqual({ kind: 'once', priority: 'low' })
  })

  it('does not chirp for a low alarm already heard under a louder one', () => {
    const low = alarm('l', 'low', 'unacknowledged')
    const high = alarm('h', 'high', 'unacknowledged')
    const both = step(quietHorn, [low, high])
    expect(both.action).toEqual({ kind: 'loop', priority: 'high' })
    expect(step(both.horn, [low, { ...high, state: 'acknowledged' }]).action).toEqual({
      kind: 'stop',
    })
  })

  it('gives each priority a distinct pattern, only low without repeat', () => {
    const signatures = Object.values(tonePatterns).map((pattern) =>
      JSON.stringify([pattern.pulses.length, pattern.pulses[0]?.frequencyHz, pattern.repeatMs]),
    )
    expect(new Set(signatures).size).toBe(4)
    expect(tonePatterns.critical.repeatMs).toBeLessThan(tonePatterns.high.repeatMs ?? Infinity)
    expect(tonePatterns.high.repeatMs).toBeLessThan(tonePatterns.medium.repeatMs ?? Infinity)
    expect(tonePatterns.low.repeatMs).toBeNull()
    for (const pattern of Object.values(tonePatterns)) {
      const last = pattern.pulses.at(-1)
      // A repeat must not start before the previous burst has finished.
      if (last && pattern.repeatMs !== null)
        expect(last.offsetMs + last.durationMs).toBeLessThan(pattern.repeatMs)
    }
  })
})
