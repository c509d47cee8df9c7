import type { HistoryFeed } from '../../src/backend/sync/history-feed'
import type { HistorySample } from '../../src/shared/sync/protocol'

/**
 * A history store in memory, with the contract sync relies on: pendingForSync returns the oldest
 * unsynced samples (the same ones until markSynced moves past them) and a cursor for them.
 */
export type MemoryHistoryFeed = HistoryFeed<number> & {
  backlog: () => { count: number; oldestTs: number | null }
  add: (samples: readonly HistorySample[]) => void
  /** Samples marked synced so far, oldest first. */
  synced: () => HistorySample[]
  /** How often each of pendingForSync and markSynced was called. */
  calls: { pending: number; marked: number }
}

export function createMemoryHistoryFeed(initial: readonly HistorySample[] = []): MemoryHistoryFeed {
  const samples = [...initial]
  /** Index of the first unsynced sample. */
  let head = 0
  const calls = { pending: 0, marked: 0 }
  return {
    add: (more) => {
      samples.push(...more)
    },
    pendingForSync: (limit) => {
      calls.pending += 1
      const slice = samples.slice(head, head + limit)
      return { samples: slice, cursor: head + slice.length }
    },
    markSynced: (cursor) => {
      calls.marked += 1
      head = Math.max(head, cursor)
    },
    backlog: () => ({ count: samples.length - head, oldestTs: samples[head]?.ts ?? null }),
    synced: () => samples.slice(0, head),
    calls,
  }
}

/** `count` samples over `tags` tags at 1 Hz from `start`, values and qualities of every kind. */
export function sampleSeries(count: number, tags = 20, start = Date.UTC(2026, 10, 22, 8)) {
  return Array.from({ length: count }, (_, index): HistorySample => {
    const tag = index % tags
    const kind = tag % 5
    return {
      tagId: `plant-00${1 + (tag % 3)}.unit-${tag}.${kind === 3 ? 'running' : 'pressure'}`,
      ts: start + Math.floor(index / tags) * 1000,
      value:
        kind === 3 ? index % 2 === 0 : kind === 4 && index % 7 === 0 ? null : (index % 1000) / 10,
      quality: kind === 4 && index % 7 === 0 ? 'bad' : index % 11 === 0 ? 'uncertain' : 'good',
    }
  })
}
