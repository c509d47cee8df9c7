import type { TagValue } from '../../shared/field/values'
import {
  createHeatMonitor,
  siteHeatRules,
  type HeatChange,
  type HeatSite,
  type PlantHeat,
} from '../../shared/heat/status'
import { every, type Scheduler } from '../../shared/scheduler'
import type { Logger } from '../log/logger'

// Each plant's heat status, re-assessed every second from the latest readings (the rules are in
// src/shared/heat/status.ts). Changes go to the journal; the figures go to the renderers.

const assessEveryMs = 1000

export type HeatService = {
  status: () => PlantHeat[]
  onStatus: (listener: (plants: PlantHeat[]) => void) => void
  dispose: () => void
}

export function createHeatService(options: {
  site: HeatSite
  scheduler: Scheduler
  logger: Logger
  /** The latest reading of a tag. */
  valueOf: (tagId: string) => TagValue | undefined
  /** Journals one change; must not throw. */
  record: (change: HeatChange) => void
}): HeatService {
  const { scheduler, logger } = options
  const monitor = createHeatMonitor(siteHeatRules(options.site), scheduler.now())
  const listeners: ((plants: PlantHeat[]) => void)[] = []
  let last = JSON.stringify(monitor.status())
  const stop = every(
    scheduler,
    assessEveryMs,
    () => {
      for (const change of monitor.update(options.valueOf, scheduler.now())) {
        const log = change.to === 'normal' ? logger.info : logger.warn
        log(`${change.plantId} heat ${change.from} → ${change.to}`, { reasons: change.reasons })
        options.record(change)
      }
      const plants = monitor.status()
      const text = JSON.stringify(plants)
      if (text === last) return
      last = text
      for (const listener of listeners) listener(plants)
    },
    (error) => logger.error('heat status assessment failed', { error: String(error) }),
  )
  return {
    status: () => monitor.status(),
    onStatus: (listener) => void listeners.push(listener),
    dispose: () => {
      stop()
      listeners.length = 0
    },
  }
}
