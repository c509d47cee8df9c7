import { create } from 'zustand'
import type { LinkState, PilotLightApi } from '../../../shared/api/client'
import type { StorageStatus, SystemInfo, TagInfo } from '../../../shared/api/contract'
import type { SourceStatus, TagValue } from '../../../shared/field/values'
import type { DrillState } from '../../../shared/drills/drill'
import type { JournalEvent } from '../../../shared/journal/event'
import type { SyncStatus } from '../../../shared/sync/status'

export type ConsoleState = {
  link: LinkState
  info: SystemInfo | null
  plants: Array<{ id: string; name: string }>
  tags: TagInfo[]
  values: Record<string, TagValue>
  sources: SourceStatus[]
  /** The running drill, or the last one with its debrief; null before the first. */
  drill: DrillState | null
  /** The newest committed journal events, newest first (at most journalShown). */
  journal: JournalEvent[]
  /** Sync to the central system; null until the backend has said. */
  sync: SyncStatus | null
  /** The disk budget; null until the backend has said (or when it keeps none). */
  storage: StorageStatus | null
  /** The last request that failed, shown to the operator rather than swallowed. */
  loadError: string | null
}

export const useConsole = create<ConsoleState>(() => ({
  link: { status: 'connecting', detail: 'Connecting to the console backend…' },
  info: null,
  plants: [],
  tags: [],
  values: {},
  sources: [],
  drill: null,
  journal: [],
  sync: null,
  storage: null,
  loadError: null,
}))

/** How many recent journal events the renderer keeps; older ones are paged from the backend. */
export const journalShown = 200

/** True while a drill runs: the whole console says DRILL. */
export const useDrillRunning = (): boolean =>
  useConsole((state) => state.drill?.status === 'running')

/** One store update per batch (DESIGN.md §3.1): the whole batch lands in a single render. */
export function applyValueBatch(batch: TagValue[]): void {
  useConsole.setState((state) => {
    const values = { ...state.values }
    for (const value of batch) values[value.tagId] = value
    return { values }
  })
}

/** Newest first, each seq once, at most journalShown: however pushes and snapshots interleave. */
function mergeJournal(incoming: JournalEvent[], shown: JournalEvent[]): JournalEvent[] {
  const bySeq = new Map<number, JournalEvent>()
  for (const event of [...shown, ...incoming]) bySeq.set(event.seq, event)
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, journalShown)
}

async function loadEverything(api: PilotLightApi): Promise<void> {
  const [info, tags, values, sources, drill, journal, sync] = await Promise.all([
    api.getSystemInfo({}),
    api.getTags({}),
    api.getValues({}),
    api.getSources({}),
    api.getDrill({}),
    api.getJournal({ limit: journalShown }),
    api.getSyncStatus({}),
  ])
  const failed = [info, tags, values, sources, drill, journal, sync].find((result) => !result.ok)
  if (failed && !failed.ok) {
    useConsole.setState({ loadError: failed.error.message })
    return
  }
  if (!info.ok || !tags.ok || !values.ok || !sources.ok || !drill.ok || !journal.ok || !sync.ok)
    return
  useConsole.setState({
    info: info.value,
    plants: tags.value.plants,
    tags: tags.value.tags,
    values: Object.fromEntries(values.value.values.map((value) => [value.tagId, value])),
    sources: sources.value.sources,
    drill: drill.value.drill,
    // Events pushed while this snapshot was on its way are newer than it: keep them (merge by seq).
    journal: mergeJournal(journal.value.events, useConsole.getState().journal),
    sync: sync.value,
    loadError: null,
  })
  // Not every backend keeps a disk budget (tests build bare ones): its absence is not an error.
  const storage = await api.getStorage({})
  useConsole.setState({ storage: storage.ok ? storage.value : null })
}

/** Wires the client to the store: live pushes, and a full reload each time the link comes back. */
export function bindConsole(api: PilotLightApi): () => void {
  const unsubscribe = [
    api.onEvent('values', ({ values }) => applyValueBatch(values)),
    api.onEvent('sources', ({ sources }) => useConsole.setState({ sources })),
    api.onEvent('drill', ({ drill }) => useConsole.setState({ drill })),
    api.onEvent('sync', (sync) => useConsole.setState({ sync })),
    api.onEvent('storage', (storage) => useConsole.setState({ storage })),
    api.onEvent('recording', (recording) =>
      useConsole.setState((state) => ({ info: state.info && { ...state.info, recording } })),
    ),
    api.onEvent('journal', ({ events }) =>
      useConsole.setState((state) => ({ journal: mergeJournal(events, state.journal) })),
    ),
    api.onLink((link) => {
      useConsole.setState({ link })
      if (link.status === 'connected') void loadEverything(api)
    }),
  ]
  return () => unsubscribe.forEach((stop) => stop())
}
