import { useMemo } from 'react'
import type { PlantInfo, TagInfo } from '../../../../shared/api/contract'
import type { AlarmSnapshot } from '../../../../shared/alarms/model'
import type { SourceStatus } from '../../../../shared/field/values'
import type { PlantHeat } from '../../../../shared/heat/status'
import { useConsole } from '../../store/console-store'
import { indexAlarms, indexTags, type AlarmIndex, type TagIndex } from './overview-model'

/**
 * Everything the overview, plant and unit pages read but the values, indexed once per change of the
 * store. Values are not in it: each unit picks its own (useShownValues), so a batch does not render
 * every plant.
 */
export type SiteView = {
  plants: PlantInfo[]
  tags: TagIndex
  alarms: AlarmIndex
  sources: SourceStatus[]
  heat: Record<string, PlantHeat>
  /** False while the backend is lost: heat status and values on screen are frozen. */
  live: boolean
}

export function useSiteView(): SiteView {
  // Stable references only: deriving inside a selector would hand zustand a new object each time.
  const plants = useConsole((state) => state.plants)
  const tagList = useConsole((state) => state.tags)
  const alarmRecord = useConsole((state) => state.alarms)
  const sources = useConsole((state) => state.sources)
  const heat = useConsole((state) => state.heat)
  const live = useConsole((state) => state.link.status === 'connected')
  const tags = useMemo(() => indexTags(tagList), [tagList])
  const alarms = useMemo(() => indexAlarms(alarmRecord), [alarmRecord])
  // One object while nothing in it changes, so memoised panels and units can skip a render.
  return useMemo(
    () => ({ plants, tags, alarms, sources, heat, live }),
    [plants, tags, alarms, sources, heat, live],
  )
}

/** Shared empty lists, so a unit without alarms or tags does not get a new array each render. */
export const noAlarms: readonly AlarmSnapshot[] = []
export const noTags: readonly TagInfo[] = []
