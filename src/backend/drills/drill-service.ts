import { debriefDrill } from '../../shared/drills/debrief'
import type {
  DrillAction,
  DrillActionKind,
  DrillCatalog,
  DrillState,
  HeatLoss,
  ScenarioSummary,
} from '../../shared/drills/drill'
import type { FileProblem } from '../../shared/file-problem'
import type { IncidentSeverity } from '../../shared/incidents/severity'
import { fail, ok, type Result } from '../../shared/result'
import { every, type Cancel, type Scheduler } from '../../shared/scheduler'
import type { LivePlant } from '../../sim/live-plant'
import type { Scenario, ScenarioLoad, ScenarioRunner } from '../../sim/process'
import type { Logger } from '../log/logger'

// Drills: an operator starts a runbook scenario on the console's own simulator and practises the
// response while everything says DRILL. The service runs the scenario on the live plant, watches
// which consumers lose heat and when they get it back (the simulator's truth, for the debrief),
// collects what the operator did, and at the end compares it with the runbook's targets.

/** A consumer is short of heat below this share of its demand, and has it back from the second. */
const heatLostBelow = 0.5
const heatRestoredFrom = 0.9
const tickMs = 1000

export type DrillSimulator = {
  plant: LivePlant
  /** The site's sources the simulator serves: the only ones a drill may write to. */
  sourceIds: ReadonlySet<string>
  /** The plants those sources stand for: what a drill may change and what its debrief judges. */
  plants: ReadonlySet<string>
}

/** What a drill records in the journal; every event says it belongs to a drill. */
export type DrillRecord = (type: string, data: Record<string, unknown>) => void

export type DrillServiceOptions = {
  /** null when the site has no simulated source or the simulator failed to start. */
  simulator: DrillSimulator | null
  /** Why there is no simulator, for the operator. */
  unavailableReason: string
  scenarios: ScenarioLoad[]
  scheduler: Scheduler
  logger: Logger
  record: DrillRecord
}

export type DrillService = {
  catalog: () => DrillCatalog
  /** The running drill, or the last one (with its debrief); null before the first. */
  state: () => DrillState | null
  isRunning: () => boolean
  /** When the running drill's first fault struck (wall clock); null when none has, or no drill runs. */
  firstFaultAt: () => number | null
  start: (scenarioId: string, startedBy: string) => Result<DrillState>
  stop: () => Result<DrillState>
  /** Other services report what the operator did; ignored when no drill runs. */
  recordAction: (kind: DrillActionKind, summary: string, severity?: IncidentSeverity) => void
  onChange: (listener: (state: DrillState) => void) => void
  dispose: () => void
}

/** The plants a scenario's faults name ("all plants" names none in particular). */
function plantsNamed(scenario: Scenario): string[] {
  const plants = new Set<string>()
  for (const { fault } of scenario.steps) {
    if (!fault) continue
    if ('plantId' in fault) plants.add(fault.plantId)
    if ('plantIds' in fault && fault.plantIds !== 'all')
      fault.plantIds.forEach((id) => plants.add(id))
  }
  return [...plants].sort()
}

function summarise(scenario: Scenario): ScenarioSummary {
  const { id, title, description, runbook, severity, durationSeconds } = scenario
  return { id, title, description, runbook, severity, durationSeconds }
}

export function createDrillService(options: DrillServiceOptions): DrillService {
  const { simulator, scheduler, logger, record } = options
  const scenarios = options.scenarios.flatMap((load) => (load.ok ? [load.scenario] : []))
  const problems: FileProblem[] = options.scenarios.flatMap((load) =>
    load.ok ? [] : load.problems,
  )
  const listeners: Array<(state: DrillState) => void> = []

  type Running = {
    state: DrillState
    runner: ScenarioRunner
    stopTicking: Cancel
    /** Consumers short of heat right now, by point prefix, with their index in heatLosses. */
    shortOfHeat: Map<string, number>
  }
  let running: Running | null = null
  let last: DrillState | null = null

  const publish = (state: DrillState): void => {
    last = state
    for (const listener of listeners) listener(state)
  }

  // Only plants the simulator serves: on a mixed site the others are real and not part of the drill.
  const consumers = simulator
    ? simulator.plant.model.layout.plants
        .filter((plant) => simulator.plants.has(plant.id))
        .flatMap((plant) =>
          plant.consumers.map((consumer) => ({
            prefix: `${plant.id}.${consumer.id}`,
            plantId: plant.id,
            consumerId: consumer.id,
            name: consumer.name,
            priorityClass: consumer.priorityClass,
          })),
        )
    : []

  /** Follows every consumer's steam against its demand: losses open, restorations close them. */
  const watchHeat = (drill: Running, plant: LivePlant, now: number): HeatLoss[] => {
    const losses = [...drill.state.heatLosses]
    for (const consumer of consumers) {
      const demand = plant.read(`${consumer.prefix}.demand`)
      const flow = plant.read(`${consumer.prefix}.steam-flow`)
      if (typeof demand !== 'number' || typeof flow !== 'number' || demand <= 0) continue
      const share = flow / demand
      const open = drill.shortOfHeat.get(consumer.prefix)
      if (open === undefined && share < heatLostBelow) {
        drill.shortOfHeat.set(consumer.prefix, losses.length)
        const { consumerId, name, plantId, priorityClass } = consumer
        losses.push({ consumerId, name, plantId, priorityClass, lostAt: now, restoredAt: null })
      } else if (open !== undefined && share >= heatRestoredFrom) {
        drill.shortOfHeat.delete(consumer.prefix)
        const loss = losses[open]
        if (loss) losses[open] = { ...loss, restoredAt: now }
      }
    }
    return losses
  }

  const logOf = (runner: ScenarioRunner): DrillState['log'] =>
    runner.log().map((entry) => ({
      atSeconds: entry.atSeconds,
      action: entry.action,
      faultId: entry.faultId,
      error: entry.outcome.ok ? null : entry.outcome.error.message,
    }))

  const tick = (): void => {
    const drill = running
    if (!drill || !simulator) return
    const now = scheduler.now()
    const runner = simulator.plant.scenario()
    if (runner !== drill.runner) {
      // Someone else stopped or replaced the scenario on the plant: the drill cannot go on.
      finish('stopped', now)
      return
    }
    const log = logOf(runner)
    for (const entry of log.slice(drill.state.log.length)) {
      record('drill.step', { drill: true, drillId: drill.state.id, ...entry })
    }
    drill.state = { ...drill.state, log, heatLosses: watchHeat(drill, simulator.plant, now) }
    if (runner.done()) finish('finished', now)
    else publish(drill.state)
  }

  /** Wall-clock time of the drill's first fault that struck; null before it has. */
  const firstFaultAt = (state: DrillState): number | null => {
    const firstFault = state.log.find((entry) => entry.action === 'fault' && !entry.error)
    const speed = simulator?.plant.speed ?? 1
    return firstFault ? state.startedAt + (firstFault.atSeconds * 1000) / speed : null
  }

  const finish = (status: 'finished' | 'stopped', now: number): DrillState => {
    const drill = running
    if (!drill) throw new Error('no drill is running')
    running = null
    drill.stopTicking()
    // Only our own scenario: if something else replaced it on the plant, it is not ours to stop.
    if (simulator?.plant.scenario() === drill.runner) simulator.plant.stopScenario()
    const debrief = debriefDrill({
      severity: drill.state.scenario.severity,
      firstFaultAt: firstFaultAt(drill.state),
      endedAt: now,
      actions: drill.state.actions,
      heatLosses: drill.state.heatLosses,
    })
    const state: DrillState = { ...drill.state, status, endedAt: now, debrief }
    record('drill.ended', {
      drill: true,
      drillId: state.id,
      status,
      debrief: debrief.map(({ target, outcome, detail }) => ({ target, outcome, detail })),
    })
    logger.info('drill ended', { id: state.id, status })
    publish(state)
    return state
  }

  return {
    catalog: () => ({
      available: simulator !== null,
      reason: simulator ? null : options.unavailableReason,
      scenarios: scenarios.map(summarise),
      problems,
    }),
    state: () => running?.state ?? last,
    isRunning: () => running !== null,
    firstFaultAt: () => (running ? firstFaultAt(running.state) : null),
    start: (scenarioId, startedBy) => {
      if (!simulator) return fail('no-simulator', options.unavailableReason)
      if (running) {
        return fail(
          'drill-running',
          `The drill "${running.state.scenario.title}" is still running; end it first`,
        )
      }
      const scenario = scenarios.find((candidate) => candidate.id === scenarioId)
      if (!scenario) return fail('unknown-scenario', `There is no scenario "${scenarioId}"`)
      const unserved = plantsNamed(scenario).filter((plantId) => !simulator.plants.has(plantId))
      if (unserved.length > 0) {
        return fail(
          'scenario-needs-real-plant',
          `The scenario "${scenario.title}" changes ${unserved.join(', ')}, which this site reads from real PLCs, not from the simulator`,
        )
      }
      const started = simulator.plant.startScenario(scenario)
      if (!started.ok) return started
      const runner = simulator.plant.scenario()
      if (!runner) return fail('scenario-not-started', 'The simulator did not start the scenario')
      const startedAt = scheduler.now()
      const state: DrillState = {
        id: `DRILL-${new Date(startedAt).toISOString().replace(/[-:]/g, '').slice(0, 15)}-${scenario.id}`,
        scenario: summarise(scenario),
        startedAt,
        endedAt: null,
        status: 'running',
        startedBy,
        simulatedPlants: [...simulator.plants].sort(),
        log: [],
        actions: [],
        heatLosses: [],
        debrief: null,
      }
      const stopTicking = every(scheduler, tickMs, tick, (error) =>
        logger.error('drill tick failed', { error: String(error) }),
      )
      running = { state, runner, stopTicking, shortOfHeat: new Map() }
      record('drill.started', {
        drill: true,
        drillId: state.id,
        scenarioId: scenario.id,
        severity: scenario.severity,
        startedBy,
      })
      logger.info('drill started', { id: state.id, scenario: scenario.id })
      publish(state)
      return ok(state)
    },
    stop: () => {
      if (!running) return fail('no-drill', 'No drill is running')
      return ok(finish('stopped', scheduler.now()))
    },
    recordAction: (kind, summary, severity) => {
      const drill = running
      if (!drill) return
      const action: DrillAction = {
        kind,
        at: scheduler.now(),
        summary,
        ...(severity ? { severity } : {}),
      }
      drill.state = { ...drill.state, actions: [...drill.state.actions, action] }
      publish(drill.state)
    },
    onChange: (listener) => void listeners.push(listener),
    dispose: () => {
      if (running) finish('stopped', scheduler.now())
    },
  }
}
