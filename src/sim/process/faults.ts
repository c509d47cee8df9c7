import { z } from 'zod'

// Faults the simulator can inject, as data: scenario files (scenario.ts) and drills use the same
// shapes. Process faults change the physics; protocol faults (source-down, plc-restart, link-flap)
// are only recorded by the model, and the OPC UA and Modbus servers act on them through
// `endpointStatus`.

const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" or "-", starting with a letter or digit',
  )

const base = { id: identifier }

export const fuelLossSchema = z.strictObject({
  ...base,
  kind: z.literal('fuel-loss'),
  plantId: identifier,
  /** Without a boiler, the whole plant loses fuel (its gas supply, say). */
  boilerId: identifier.optional(),
})

export const demandDropSchema = z.strictObject({
  ...base,
  kind: z.literal('demand-drop'),
  plantId: identifier,
  /** Without a list, every consumer of the plant draws less. */
  consumerIds: z.array(identifier).min(1).optional(),
  /** How much less steam the consumers draw, % of their demand. */
  dropPercent: z.number().gt(0).max(100),
})

export const firingStuckSchema = z.strictObject({
  ...base,
  kind: z.literal('firing-stuck'),
  plantId: identifier,
  boilerId: identifier,
  /** The firing rate the boiler is held at, %; without it, the firing rate when the fault starts. */
  percent: z.number().min(0).max(100).optional(),
})

export const combustionInstabilitySchema = z.strictObject({
  ...base,
  kind: z.literal('combustion-instability'),
  plantId: identifier,
  boilerId: identifier,
  /**
   * How far the stability index swings down from normal (0.95), 0–1. The index oscillates between
   * 0.95 − 0.2·depth and 0.95 − depth; below 0.25 the burner management trips the boiler.
   */
  depth: z.number().gt(0).max(1).default(0.5),
  /** Period of the oscillation, s. */
  periodSeconds: z.number().min(1).max(600).default(8),
})

export const sourceDownSchema = z.strictObject({
  ...base,
  kind: z.literal('source-down'),
  /** The plants whose protocol endpoints stop answering, or every plant. */
  plantIds: z.union([z.literal('all'), z.array(identifier).min(1)]),
})

export const plcRestartSchema = z.strictObject({
  ...base,
  kind: z.literal('plc-restart'),
  plantId: identifier,
  /** How long the OPC UA server is down before it accepts sessions again, s. */
  downSeconds: z.number().gt(0).max(3600),
})

export const linkFlapSchema = z.strictObject({
  ...base,
  kind: z.literal('link-flap'),
  plantId: identifier,
  /** The Modbus link is down for this long, then up for this long, and so on, s. */
  periodSeconds: z.number().gt(0).max(3600),
  /** How long the flapping lasts before the link stays up, s. */
  durationSeconds: z.number().gt(0).max(86_400),
})

export const driftSchema = z.strictObject({
  ...base,
  kind: z.literal('drift'),
  plantId: identifier,
  /**
   * How fast each distribution valve moves away from its optimal opening, in % of that opening per
   * minute. Valves alternate direction in layout order (first opens, second closes, …).
   */
  percentPerMinute: z.number().gt(0).max(100),
})

export const faultSchema = z.discriminatedUnion('kind', [
  fuelLossSchema,
  demandDropSchema,
  firingStuckSchema,
  combustionInstabilitySchema,
  sourceDownSchema,
  plcRestartSchema,
  linkFlapSchema,
  driftSchema,
])

/** A fault as written in a scenario file (defaults not yet filled in). */
export type FaultInput = z.input<typeof faultSchema>
export type Fault = z.output<typeof faultSchema>
export type FaultKind = Fault['kind']
