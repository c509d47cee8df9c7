import type { AlarmPriority } from '../../../../shared/alarms/definitions'
import { tonePatterns, type HornAction, type TonePattern } from './annunciation'

// The horn: audible annunciation generated on this machine with the Web Audio API, an oscillator
// and a gain envelope per pulse. No audio files and no network (DESIGN.md §5: fully offline), and
// nothing to go missing from an install. What to sound is decided in annunciation.ts; this only
// plays it.
//
// Browsers start an AudioContext suspended until the page has had a user gesture (Chromium's
// autoplay policy). A horn that cannot sound must say so: the audio state is reported, and the
// first click or key press anywhere resumes it.

/** running: the horn can sound; suspended: blocked until a click or key; unavailable: no Web Audio. */
export type AudioState = 'running' | 'suspended' | 'unavailable'

export type Annunciator = {
  /** Carries out one step of the horn (hornStep). */
  perform: (action: HornAction) => void
  audioState: () => AudioState
  /** Stops the sound, closes the AudioContext and lets go of the page's events. */
  dispose: () => void
}

/** Loud enough to be heard over a control room, below clipping when pulses overlap. */
const volume = 0.25
/** Ramps at each end of a pulse: a hard edge clicks. */
const rampS = 0.008

export function createAnnunciator(onAudioState: (state: AudioState) => void): Annunciator {
  let context: AudioContext | null = null
  try {
    context = new AudioContext()
  } catch {
    // No audio device or no Web Audio: the summary bar says the horn cannot sound.
    context = null
  }
  let loop: ReturnType<typeof setInterval> | null = null
  // Pulses already handed to the audio clock, so Silence cuts a burst short instead of finishing it.
  const scheduled = new Set<OscillatorNode>()

  const audioState = (): AudioState =>
    context === null ? 'unavailable' : context.state === 'running' ? 'running' : 'suspended'

  const play = (pattern: TonePattern): void => {
    // A suspended context would queue the pulses and blurt them all out on resume.
    if (context === null || context.state !== 'running') return
    const start = context.currentTime + 0.02
    for (const pulse of pattern.pulses) {
      const at = start + pulse.offsetMs / 1000
      const end = at + pulse.durationMs / 1000
      const oscillator = context.createOscillator()
      const gain = context.createGain()
      oscillator.type = 'square'
      oscillator.frequency.value = pulse.frequencyHz
      gain.gain.setValueAtTime(0, at)
      gain.gain.linearRampToValueAtTime(volume, at + rampS)
      gain.gain.setValueAtTime(volume, end - rampS)
      gain.gain.linearRampToValueAtTime(0, end)
      oscillator.connect(gain).connect(context.destination)
      oscillator.start(at)
      oscillator.stop(end)
      scheduled.add(oscillator)
      oscillator.onended = () => {
        scheduled.delete(oscillator)
        gain.disconnect()
      }
    }
  }

  const stop = (): void => {
    if (loop !== null) clearInterval(loop)
    loop = null
    for (const oscillator of scheduled) oscillator.stop()
    scheduled.clear()
  }

  const startLoop = (priority: AlarmPriority): void => {
    stop()
    const pattern = tonePatterns[priority]
    play(pattern)
    if (pattern.repeatMs !== null) loop = setInterval(() => play(pattern), pattern.repeatMs)
  }

  const resume = (): void => {
    if (context?.state === 'suspended') void context.resume()
  }
  const report = (): void => onAudioState(audioState())
  if (context) context.onstatechange = report
  // Capture phase: a handler that stops propagation must not keep the horn blocked.
  window.addEventListener('pointerdown', resume, true)
  window.addEventListener('keydown', resume, true)
  report()

  return {
    perform: (action) => {
      switch (action.kind) {
        case 'none':
          return
        case 'stop':
          stop()
          return
        case 'loop':
          startLoop(action.priority)
          return
        case 'once':
          stop()
          play(tonePatterns[action.priority])
          return
      }
    },
    audioState,
    dispose: () => {
      stop()
      window.removeEventListener('pointerdown', resume, true)
      window.removeEventListener('keydown', resume, true)
      if (context) {
        context.onstatechange = null
        void context.close()
      }
      context = null
    },
  }
}
