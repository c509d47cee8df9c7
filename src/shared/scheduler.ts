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

/** Runs `task` every `ms` until cancelled; a slow task never overlaps itself. */
export function every(scheduler: Scheduler, ms: number, task: () => void | Promise<void>): Cancel {
  let cancelled = false
  let cancelNext: Cancel = () => {}
  const tick = async (): Promise<void> => {
    if (cancelled) return
    await task()
    if (!cancelled) cancelNext = scheduler.after(ms, () => void tick())
  }
  cancelNext = scheduler.after(ms, () => void tick())
  return () => {
    cancelled = true
    cancelNext()
  }
}
