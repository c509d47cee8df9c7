import type { TagValue } from '../../shared/field/values'
import type { Cancel, Scheduler } from '../../shared/scheduler'

/** One batch per animation frame's worth of time at most (DESIGN.md §3.1). */
export const batchIntervalMs = 16

/**
 * Coalesces value updates so the renderer gets at most one batch per frame, holding only the
 * latest value of each tag that changed since the last batch.
 */
export function createValueBatcher(
  scheduler: Scheduler,
  flush: (values: TagValue[]) => void,
): { add: (values: TagValue[]) => void; dispose: () => void } {
  let pending = new Map<string, TagValue>()
  let cancel: Cancel | null = null
  return {
    add: (values) => {
      for (const value of values) pending.set(value.tagId, value)
      if (cancel || pending.size === 0) return
      cancel = scheduler.after(batchIntervalMs, () => {
        cancel = null
        const batch = [...pending.values()]
        pending = new Map()
        flush(batch)
      })
    },
    dispose: () => {
      cancel?.()
      cancel = null
      pending.clear()
    },
  }
}
