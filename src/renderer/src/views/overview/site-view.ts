import { useMemo } from 'react'
import type { PlantInfo, TagInfo } from '../../../../shared/api/contract'
import type { AlarmSnapshot } from '../../../../shared/alarms/model'
import type { SourceStatus, TagValue } from '../../../../shared/field/values'
import type { PlantHeat } from '../../../../shared/heat/status'
import { useConsole } from '../../store/console-store'
import { indexAlarms, indexTags, type AlarmIndex, type TagIndex } from './overview-model'
import { useShownValues } from './readings'

/** Everything the overview, plant and unit pages read, indexed once per change of the store. */
export type SiteView = {
  plants: PlantInfo[]
  tags: TagIndex
  alarms: AlarmIndex
  sources: SourceStatus[]
  heat: Record<string, PlantHeat>
  values: Record<string, TagValue>
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
  const values = useShownValues()
  const tags = useMemo(() => indexTags(tagList), [tagList])
  const alarms = useMemo(() => indexAlarms(alarmRecord), [alarmRecord])
  return { plants, tags, alarms, sources, heat, values, live }
}

/** Shared empty lists, so a unit without alarms or tags does not get a new array each render. */
export const noAlarms: readonly AlarmSnapshot[] = []
export const noTags: readonly TagInfo[] = []
