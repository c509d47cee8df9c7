import {
  createProcessModel,
  type EndpointStatus,
  type Outcome,
  type PointValue,
  type ProcessModel,
  type Scenario,
  type ScenarioRunner,
  createScenarioRunner,
} from './process'

// The process model on the wall clock, for the protocol servers: a PLC answers with the plant as it
// is now. The model advances lazily, when a value is read, by the wall-clock time since the last
// read. There are no timers, so a server that is never disposed leaves nothing running, and a plant
// nobody reads costs nothing.

/**
 * What a protocol server needs from the plant: current values, what points there are, writes from
 * clients, and whether a plant's endpoint should answer (protocol faults).
 */
export type PlantReader = {
  /** The current value of a point; throws for an unknown point id (a programming error). */
  read: (pointId: string) => PointValue
  points: () => PlantPoint[]
  /** A client's write; refused with a reason for read-only points, wrong types and out-of-range. */
  write: (pointId: string, value: PointValue) => Outcome
  endpointStatus: (plantId: string) => EndpointStatus
}

export type PlantPoint = {
  id: string
  unit: string
  writable: boolean
  /** Span of a numeric point, where the plant knows it (for OPC UA engineering unit ranges). */
  min?: number
  max?: number
}

export type LivePlant = PlantReader & {
  /** The model underneath, for drills and tests that apply faults or writes. */
  model: ProcessModel
  /** Simulated seconds per wall-clock second. */
  readonly speed: number
  /**
   * Runs a scenario from now on: its steps fall due on the plant's own clock, each applied at its
   * exact simulated time however late the next read comes. One scenario at a time.
   */
  startScenario: (scenario: Scenario) => Outcome
  /**
   * Ends the running scenario and clears the faults it applied that are still active, so the plant
   * recovers from here under its own control. Returns the runner (its log and expectations), or
   * null when none was running.
   */
  stopScenario: () => ScenarioRunner | null
  /** The running scenario, caught up to now; null when none. */
  scenario: () => ScenarioRunner | null
  /** Brings the model up to the wall clock; the simulator calls it on a timer so time passes unread. */
  catchUp: () => void
}

export type LivePlantOptions = {
  seed?: number
  /** Wall clock, ms. Defaults to Date.now, looked up on each call so fake timers apply. */
  clock?: () => number
  /** Simulated seconds per wall-clock second (default 1): a drill rehearsed fast, a test run faster. */
  speed?: number
}

/**
 * The most wall-clock time one read catches up, ms (times the speed in simulated time). A plant left idle for hours would otherwise make
 * the next request integrate hours of 100 ms substeps before it answers; capping it means an idle
 * plant simply resumes where it was, which a reader cannot tell from a quiet night.
 */
export const maxCatchUpMs = 60_000

export function createLivePlant(options: LivePlantOptions = {}): LivePlant {
  const { seed = 1, clock = () => Date.now(), speed = 1 } = options
  if (!(Number.isFinite(speed) && speed > 0)) {
    throw new RangeError(`The simulator speed must be a positive number, got ${speed}`)
  }
  const model = createProcessModel({ seed })
  let runner: ScenarioRunner | null = null
  // null until the first read: the plant's clock starts when someone first looks at it.
  let lastMs: number | null = null

  const catchUp = (): void => {
    const now = clock()
    if (lastMs !== null && now > lastMs) {
      const simulatedMs = Math.min(now - lastMs, maxCatchUpMs) * speed
      if (runner) runner.step(simulatedMs)
      else model.step(simulatedMs)
    }
    // A clock that went backwards (an NTP correction) just restarts the count from here.
    lastMs = now
  }

  return {
    model,
    speed,
    catchUp,
    startScenario: (scenario) => {
      catchUp()
      if (runner && !runner.done()) {
        return {
          ok: false,
          error: {
            code: 'scenario-running',
            message: `scenario "${runner.scenario.id}" is still running; stop it first`,
          },
        }
      }
      runner = createScenarioRunner(model, scenario)
      return { ok: true }
    },
    stopScenario: () => {
      catchUp()
      const stopped = runner
      runner = null
      if (!stopped) return null
      const active = new Set(model.activeFaults().map(({ fault }) => fault.id))
      for (const entry of stopped.log()) {
        if (entry.action === 'fault' && entry.outcome.ok && active.has(entry.faultId)) {
          model.clearFault(entry.faultId)
        }
      }
      return stopped
    },
    scenario: () => {
      catchUp()
      return runner
    },
    read: (pointId) => {
      catchUp()
      return model.read(pointId)
    },
    write: (pointId, value) => {
      catchUp()
      return model.write(pointId, value)
    },
    endpointStatus: (plantId) => {
      catchUp()
      return model.endpointStatus(plantId)
    },
    points: () =>
      model.points().map(({ id, unit, writable, min, max }) => ({
        id,
        unit,
        writable,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
      })),
  }
}
