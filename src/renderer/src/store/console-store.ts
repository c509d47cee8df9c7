import { create } from 'zustand'
import type { LinkState, PilotLightApi } from '../../../shared/api/client'
import type { PlantInfo, StorageStatus, SystemInfo, TagInfo } from '../../../shared/api/contract'
import type { AlarmSnapshot, FloodStatus } from '../../../shared/alarms/model'
import type { PlantHeat } from '../../../shared/heat/status'
import type { SourceStatus, TagValue } from '../../../shared/field/values'
import type { DrillState } from '../../../shared/drills/drill'
import type { JournalEvent } from '../../../shared/journal/event'
import type { SyncStatus } from '../../../shared/sync/status'
import type { IncidentsStatus, IncidentView } from '../../../shared/incidents/view'

export type ConsoleState = {
  link: LinkState
  info: SystemInfo | null
  plants: PlantInfo[]
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
  /** Every alarm the console runs, by id (the alarm list picks the annunciated ones). */
  alarms: Record<string, AlarmSnapshot>
  /** Flood measures; null until the backend has said (or when no site is loaded). */
  flood: FloodStatus | null
  /** Heat status per plant with rules, by plant id. */
  heat: Record<string, PlantHeat>
  /** Incidents, severity suggestions and metrics; null until the backend has said (or no site). */
  incidents: IncidentsStatus | null
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
  alarms: {},
  flood: null,
  heat: {},
  incidents: null,
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
    // The same state back tells no subscriber: an empty batch costs no 10k-entry copy, no render.
    if (batch.length === 0) return state
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
  // Nor alarms and heat status without a site: the site problems already say why.
  const [storage, alarms, heat, incidents] = await Promise.all([
    api.getStorage({}),
    api.getAlarms({}),
    api.getHeatStatus({}),
    api.getIncidents({}),
  ])
  useConsole.setState({
    storage: storage.ok ? storage.value : null,
    alarms: alarms.ok ? byId(alarms.value.alarms) : {},
    flood: alarms.ok ? alarms.value.flood : null,
    heat: heat.ok ? byPlant(heat.value.plants) : {},
    incidents: incidents.ok ? incidents.value : null,
  })
}

const byId = (alarms: AlarmSnapshot[]): Record<string, AlarmSnapshot> =>
  Object.fromEntries(alarms.map((alarm) => [alarm.id, alarm]))
const byPlant = (plants: PlantHeat[]): Record<string, PlantHeat> =>
  Object.fromEntries(plants.map((plant) => [plant.plantId, plant]))

/** Merges alarms that changed (a push, or an action's answer) into the store. */
export function applyAlarmChanges(changed: AlarmSnapshot[], flood?: FloodStatus): void {
  useConsole.setState((state) => ({
    alarms: changed.length > 0 ? { ...state.alarms, ...byId(changed) } : state.alarms,
    flood: flood ?? state.flood,
  }))
}

/**
 * Puts one incident as an action answered it into the store, so the operator sees the change at once
 * rather than at the next push (which carries the same view).
 */
export function applyIncidentView(view: IncidentView): void {
  useConsole.setState((state) => {
    if (!state.incidents) return state
    // In place, so the list keeps the backend's order (open by severity, then resolved); a new
    // incident goes first until the next push puts it where it belongs.
    const known = state.incidents.incidents
    const incidents = known.some((shown) => shown.incident.id === view.incident.id)
      ? known.map((shown) => (shown.incident.id === view.incident.id ? view : shown))
      : [view, ...known]
    return { incidents: { ...state.incidents, incidents } }
  })
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
    api.onEvent('alarms', ({ changed, flood }) => applyAlarmChanges(changed, flood)),
    api.onEvent('heat', ({ plants }) => useConsole.setState({ heat: byPlant(plants) })),
    api.onEvent('incidents', (incidents) => useConsole.setState({ incidents })),
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
