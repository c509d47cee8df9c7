// Every piece of timing logic (polling, timeouts, staleness, backoff) takes a Scheduler, so tests can
// drive it with fake time instead of sleeping (DESIGN.md §6).

/** Cancels what `after` scheduled; calling it twice is harmless. */
export type Cancel = () => void

export type Scheduler = {
  /** Milliseconds since the epoch. */
  now: () => number
  /** Runs `task` once after `ms` milliseconds. */
  after: (ms: number, task: () => void) => Cancel
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  after: (ms, task) => {
    const timer = setTimeout(task, ms)
    return () => clearTimeout(timer)
  },
}

/** Runs `task` every `ms` until cancelled; a slow task never overlaps itself, a failing one never stops it. */
export function every(
  scheduler: Scheduler,
  ms: number,
  task: () => void | Promise<void>,
  /** Told when a run fails; the schedule goes on regardless. */
  onError: (error: unknown) => void,
): Cancel {
  let cancelled = false
  let cancelNext: Cancel = () => {}
  const tick = async (): Promise<void> => {
    if (cancelled) return
    try {
      await task()
    } finally {
      // A task that throws must not end the schedule: a staleness check that stopped silently
      // would let frozen values look live. onError reports it.
      if (!cancelled) cancelNext = scheduler.after(ms, () => void tick().catch(onError))
    }
  }
  cancelNext = scheduler.after(ms, () => void tick().catch(onError))
  return () => {
    cancelled = true
    cancelNext()
  }
}
