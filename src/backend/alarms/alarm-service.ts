import {
  siteAlarmDefinitions,
  type AlarmSettings,
  type SafetyAlarmSite,
} from '../../shared/alarms/definitions'
import { createAlarmEngine, type AlarmActionResult } from '../../shared/alarms/engine'
import type { AlarmEvent, AlarmSnapshot, FloodStatus } from '../../shared/alarms/model'
import type { ConnectionEvent, TagValue } from '../../shared/field/values'
import { every, type Scheduler } from '../../shared/scheduler'
import type { Logger } from '../log/logger'

// The alarm engine at work: fed by acquisition, ticked by the scheduler, every transition handed to
// the journal, and what changed pushed to the renderers. The engine itself is pure
// (src/shared/alarms/engine.ts); this is where it meets time, the journal and operators.

/** Delays, shelve expiry and floods act at least this often (the engine asks for ≤ 1 s). */
const tickMs = 1000

export type AlarmChange = { changed: AlarmSnapshot[]; flood: FloodStatus }

/** What an operator action did: the alarms it changed, and the ones it could not. */
export type AlarmActionOutcome = {
  changed: AlarmSnapshot[]
  refused: { alarmId: string; message: string }[]
}

export type AlarmService = {
  onValues: (values: readonly TagValue[]) => void
  onConnectionEvent: (event: ConnectionEvent) => void
  status: () => { alarms: AlarmSnapshot[]; flood: FloodStatus }
  acknowledge: (alarmIds: readonly string[], by: string) => AlarmActionOutcome
  shelve: (alarmId: string, by: string, reason: string, minutes: number) => AlarmActionOutcome
  unshelve: (alarmId: string, by: string) => AlarmActionOutcome
  comment: (alarmId: string, by: string, text: string) => AlarmActionOutcome
  setOutOfService: (alarmId: string, by: string, reason: string) => AlarmActionOutcome
  returnToService: (alarmId: string, by: string) => AlarmActionOutcome
  onChange: (listener: (change: AlarmChange) => void) => void
  dispose: () => void
}

export type AlarmServiceOptions = {
  site: SafetyAlarmSite & { sources: readonly { id: string }[]; alarmSettings: AlarmSettings }
  scheduler: Scheduler
  logger: Logger
  /** Journals one engine event; must not throw (the backend's record reports its own failures). */
  record: (event: AlarmEvent) => void
}

export function createAlarmService(options: AlarmServiceOptions): AlarmService {
  const { scheduler, logger } = options
  const engine = createAlarmEngine(
    siteAlarmDefinitions(options.site, options.site.alarmSettings),
    options.site.alarmSettings,
  )
  const listeners: ((change: AlarmChange) => void)[] = []
  let lastFlood = JSON.stringify(engine.floodStatus())

  /**
   * Journals the events, then pushes the alarms they touched (and the flood, when it moved). The
   * flood measures move only with an annunciation or with time, so a batch of readings that changed
   * no alarm (most of them, at 10,000 tags) skips them; the tick passes `timePassed`.
   */
  const settle = (events: readonly AlarmEvent[], timePassed = false): AlarmSnapshot[] => {
    if (events.length === 0 && !timePassed) return []
    const touched = new Set<string>()
    for (const event of events) {
      options.record(event)
      if ('alarmId' in event) touched.add(event.alarmId)
      if (event.type === 'alarm.flood-started') {
        logger.warn('alarm flood', { countInWindow: event.countInWindow })
      }
    }
    const changed = [...touched].flatMap((id) => engine.alarm(id) ?? [])
    const flood = engine.floodStatus()
    const floodText = JSON.stringify(flood)
    if (changed.length > 0 || floodText !== lastFlood) {
      lastFlood = floodText
      for (const listener of listeners) listener({ changed, flood })
    }
    return changed
  }

  const act = (alarmIds: readonly string[], action: (id: string) => AlarmActionResult) => {
    const events: AlarmEvent[] = []
    const refused: AlarmActionOutcome['refused'] = []
    for (const alarmId of alarmIds) {
      const result = action(alarmId)
      if (result.ok) events.push(...result.value)
      else refused.push({ alarmId, message: result.error.message })
    }
    return { changed: settle(events), refused }
  }

  const stopTick = every(
    scheduler,
    tickMs,
    () => void settle(engine.tick(scheduler.now()), true),
    (error) => logger.error('alarm tick failed', { error: String(error) }),
  )

  return {
    onValues: (values) => void settle(engine.onValues(values, scheduler.now())),
    onConnectionEvent: (event) =>
      void settle(
        engine.onSourceState(event.sourceId, event.type === 'source.restored', scheduler.now()),
      ),
    status: () => ({ alarms: engine.alarms(), flood: engine.floodStatus() }),
    acknowledge: (alarmIds, by) =>
      act(alarmIds, (id) => engine.acknowledge(id, by, scheduler.now())),
    shelve: (alarmId, by, reason, minutes) =>
      act([alarmId], (id) => engine.shelve(id, by, reason, minutes, scheduler.now())),
    unshelve: (alarmId, by) => act([alarmId], (id) => engine.unshelve(id, by, scheduler.now())),
    comment: (alarmId, by, text) =>
      act([alarmId], (id) => engine.comment(id, by, text, scheduler.now())),
    setOutOfService: (alarmId, by, reason) =>
      act([alarmId], (id) => engine.setOutOfService(id, by, reason, scheduler.now())),
    returnToService: (alarmId, by) =>
      act([alarmId], (id) => engine.returnToService(id, by, scheduler.now())),
    onChange: (listener) => void listeners.push(listener),
    dispose: () => {
      stopTick()
      listeners.length = 0
    },
  }
}
