import { createProcessModel, type PointValue, type ProcessModel } from './process'

// The process model on the wall clock, for the protocol servers: a PLC answers with the plant as it
// is now. The model advances lazily, when a value is read, by the wall-clock time since the last
// read. There are no timers, so a server that is never disposed leaves nothing running, and a plant
// nobody reads costs nothing.

/** What a protocol server needs from the plant: current values and what points there are. */
export type PlantReader = {
  /** The current value of a point; throws for an unknown point id (a programming error). */
  read: (pointId: string) => PointValue
  points: () => PlantPoint[]
}

export type PlantPoint = {
  id: string
  unit: string
  /** Span of a numeric point, where the plant knows it (for OPC UA engineering unit ranges). */
  min?: number
  max?: number
}

export type LivePlant = PlantReader & {
  /** The model underneath, for drills and tests that apply faults or writes. */
  model: ProcessModel
}

export type LivePlantOptions = {
  seed?: number
  /** Wall clock, ms. Defaults to Date.now, looked up on each call so fake timers apply. */
  clock?: () => number
}

/**
 * The most simulated time one read catches up, ms. A plant left idle for hours would otherwise make
 * the next request integrate hours of 100 ms substeps before it answers; capping it means an idle
 * plant simply resumes where it was, which a reader cannot tell from a quiet night.
 */
export const maxCatchUpMs = 60_000

export function createLivePlant(options: LivePlantOptions = {}): LivePlant {
  const { seed = 1, clock = () => Date.now() } = options
  const model = createProcessModel({ seed })
  // null until the first read: the plant's clock starts when someone first looks at it.
  let lastMs: number | null = null

  const catchUp = (): void => {
    const now = clock()
    if (lastMs !== null && now > lastMs) model.step(Math.min(now - lastMs, maxCatchUpMs))
    // A clock that went backwards (an NTP correction) just restarts the count from here.
    lastMs = now
  }

  return {
    model,
    read: (pointId) => {
      catchUp()
      return model.read(pointId)
    },
    points: () =>
      model.points().map(({ id, unit, min, max }) => ({
        id,
        unit,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
      })),
  }
}
