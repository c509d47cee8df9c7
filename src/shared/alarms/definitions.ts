import { z } from 'zod'

// Alarm definitions as a site file states them (per tag `alarms`, site-level `alarmSettings`), and
// their normalised form, AlarmDefinition, which the engine runs. ISA-18.2 calls this the alarm
// rationalisation record: what the alarm watches, its limit, priority, deadband and delays.

/** Most urgent first; the alarm list sorts by this order (list.ts). */
export const alarmPriorities = ['critical', 'high', 'medium', 'low'] as const
export const alarmPrioritySchema = z.enum(alarmPriorities)
export type AlarmPriority = z.infer<typeof alarmPrioritySchema>

/** What an alarm watches; the last part of its id (`<tagId>:<condition>`). */
export const alarmConditionSchema = z.enum([
  'hh',
  'h',
  'l',
  'll',
  'rate-of-change',
  'deviation',
  'digital',
  'overpressure',
  'combustion-instability',
  'communication-loss',
])
export type AlarmCondition = z.infer<typeof alarmConditionSchema>

/**
 * Why an alarm is active, in the terms flood analysis groups by: HH and H on the same unit are one
 * cause (high limit), so a flood shows "boiler 1, high limit, 2 alarms" rather than two lines.
 */
export const alarmCauseSchema = z.enum([
  'high-limit',
  'low-limit',
  'rate-of-change',
  'deviation',
  'trip',
  'flame-failure',
  'digital',
  'overpressure',
  'combustion-instability',
  'communication-loss',
])
export type AlarmCause = z.infer<typeof alarmCauseSchema>

const groupId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" or "-", starting with a letter or digit',
  )

/** Delays longer than an hour are a configuration mistake, not an alarm. */
const delayMs = z.number().int().min(0).max(3_600_000)

/** What every kind of alarm may state. */
const alarmCommon = {
  /** Must stay in alarm this long before it is raised (ISA-18.2 on-delay); filters spikes. */
  onDelayMs: delayMs.default(0),
  /** Must stay clear this long before it returns (ISA-18.2 off-delay); stops chattering. */
  offDelayMs: delayMs.default(0),
  /** What the operator sees; a default is made from the tag's name and the condition. */
  message: z.string().min(1).optional(),
  /** What the operator should do (ISA-18.2 alarm response). */
  prompt: z.string().min(1).optional(),
}

const limitAlarmSchema = z.strictObject({
  limit: z.number(),
  /** Defaults: hh and ll high, h and l medium. */
  priority: alarmPrioritySchema.optional(),
  /** An active high alarm returns only below limit − deadband, a low one above limit + deadband. */
  deadband: z.number().min(0).default(0),
  ...alarmCommon,
})
export type LimitAlarmSpec = z.infer<typeof limitAlarmSchema>

const rateOfChangeAlarmSchema = z
  .strictObject({
    /** Alarm when the value changes by this much per minute or more, in the tag's unit. */
    perMinute: z.number().positive(),
    priority: alarmPrioritySchema,
    /** The rate is the change over this window divided by its length. */
    windowMs: z.number().int().min(1000).max(3_600_000).default(60_000),
    direction: z.enum(['rising', 'falling', 'either']).default('either'),
    /** Returns only below perMinute − deadband. */
    deadband: z.number().min(0).default(0),
    ...alarmCommon,
  })
  .refine((spec) => spec.deadband < spec.perMinute, {
    message: 'deadband must be smaller than perMinute, or the alarm could never return',
    path: ['deadband'],
  })

const deviationAlarmSchema = z
  .strictObject({
    /** The tag holding the setpoint this tag is compared with. */
    setpointTag: z.string().min(1),
    /** Alarm when |value − setpoint| is band or more. */
    band: z.number().positive(),
    priority: alarmPrioritySchema,
    /** Returns only below band − deadband. */
    deadband: z.number().min(0).default(0),
    ...alarmCommon,
  })
  .refine((spec) => spec.deadband < spec.band, {
    message: 'deadband must be smaller than band, or the alarm could never return',
    path: ['deadband'],
  })

const digitalAlarmSchema = z.strictObject({
  /** The value that means alarm: true for a trip flag, false for a "flame on" flag. */
  alarmWhen: z.boolean(),
  kind: z.enum(['trip', 'flame-failure', 'other']),
  priority: alarmPrioritySchema,
  ...alarmCommon,
})

/**
 * Suppressed by design (ISA-18.2 designed suppression, state-based alarming): while `tag` equals
 * `equals`, the tag's alarms are not annunciated, e.g. a boiler's low-pressure alarm while its
 * `running` flag is false. A bad or stale value of `tag` leaves the suppression as it was.
 */
const suppressionSchema = z.strictObject({
  tag: z.string().min(1),
  equals: z.union([z.boolean(), z.number(), z.string()]),
  /**
   * Stay suppressed this long after the condition ends, so a boiler's start-up (pressure still
   * building) does not raise its low alarms. Defaults to 0.
   */
  releaseDelayMs: delayMs.default(0),
})

const limitLevels = ['hh', 'h', 'l', 'll'] as const
type LimitLevel = (typeof limitLevels)[number]

export const tagAlarmsSchema = z
  .strictObject({
    hh: limitAlarmSchema.optional(),
    h: limitAlarmSchema.optional(),
    l: limitAlarmSchema.optional(),
    ll: limitAlarmSchema.optional(),
    rateOfChange: rateOfChangeAlarmSchema.optional(),
    deviation: deviationAlarmSchema.optional(),
    digital: digitalAlarmSchema.optional(),
    suppressWhen: suppressionSchema.optional(),
    /** Alarms of one trip group share a first-out indication (the first of them to annunciate). */
    tripGroup: groupId.optional(),
  })
  .superRefine((alarms, ctx) => {
    const present = limitLevels.flatMap((level) => {
      const spec = alarms[level]
      return spec ? [{ level, limit: spec.limit }] : []
    })
    // Ordered hh ≥ h > l ≥ ll: an h above the hh would raise the HH first, which no one intends.
    present.forEach((upper, index) => {
      for (const lower of present.slice(index + 1)) {
        const crossesSides = isHighLevel(upper.level) && !isHighLevel(lower.level)
        const wrong = crossesSides ? upper.limit <= lower.limit : upper.limit < lower.limit
        if (wrong) {
          ctx.addIssue({
            code: 'custom',
            path: [lower.level, 'limit'],
            message:
              `${lower.level} (${lower.limit}) must be ${crossesSides ? 'below' : 'at or below'} ` +
              `${upper.level} (${upper.limit})`,
          })
        }
      }
    })
    if (alarms.digital) {
      const analog = [...limitLevels, 'rateOfChange', 'deviation'] as const
      for (const field of analog) {
        if (alarms[field] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message:
              'a digital alarm watches an on/off tag: it cannot have limits, a rate or a deviation',
          })
        }
      }
    }
  })
export type TagAlarms = z.infer<typeof tagAlarmsSchema>

export const alarmSettingsSchema = z.strictObject({
  /** The longest an operator may shelve an alarm; longer requests are refused. */
  maxShelveMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(480),
  /** More than `count` alarms annunciated within `windowMinutes` is a flood (ISA-18.2). */
  flood: z
    .strictObject({
      count: z.number().int().min(1).default(10),
      windowMinutes: z
        .number()
        .positive()
        .max(24 * 60)
        .default(10),
    })
    .default({ count: 10, windowMinutes: 10 }),
  communicationLossPriority: alarmPrioritySchema.default('high'),
  /**
   * The built-in combustion instability alarm's limit on the 0–1 stability index. Above the 0.25 at
   * which burner management trips on flame failure, so it warns before the trip.
   */
  combustionStabilityLimit: z.number().gt(0).lt(1).default(0.5),
})
export type AlarmSettings = z.infer<typeof alarmSettingsSchema>

export const defaultAlarmSettings: AlarmSettings = alarmSettingsSchema.parse({})

/** The normalised trigger the engine evaluates. Limits are "at or beyond" (≥ high, ≤ low). */
export type AlarmTrigger =
  | { kind: 'limit'; direction: 'high' | 'low'; limit: number; deadband: number }
  | {
      kind: 'rate-of-change'
      perMinute: number
      windowMs: number
      direction: 'rising' | 'falling' | 'either'
      deadband: number
    }
  | { kind: 'deviation'; setpointTagId: string; band: number; deadband: number }
  | { kind: 'digital'; alarmWhen: boolean }
  | { kind: 'communication-loss' }

export type AlarmSuppression = {
  tagId: string
  equals: boolean | number | string
  releaseDelayMs: number
}

/** One alarm the engine runs. Built from the site file by siteAlarmDefinitions. */
export type AlarmDefinition = {
  /** `<tagId>:<condition>`, or `<sourceId>:communication-loss`; ids never contain ":". */
  id: string
  tagId: string | null
  /** Set for communication loss only. */
  sourceId: string | null
  /** `<plant>.<unit>` from the tag id (unitOfTag), null for a source. */
  unit: string | null
  condition: AlarmCondition
  cause: AlarmCause
  priority: AlarmPriority
  message: string
  prompt: string | null
  trigger: AlarmTrigger
  onDelayMs: number
  offDelayMs: number
  suppressWhen: AlarmSuppression | null
  tripGroup: string | null
  /** One of the runbook's safety alarms, built in rather than configured. */
  builtIn: boolean
}

/**
 * Tag ids follow `<plant>.<unit>.<point>` (the demo site and the simulator do): the unit is
 * everything before the last dot. A tag id without a dot is its own unit.
 */
export function unitOfTag(tagId: string): string {
  const lastDot = tagId.lastIndexOf('.')
  return lastDot > 0 ? tagId.slice(0, lastDot) : tagId
}

function isHighLevel(level: LimitLevel): boolean {
  return level === 'hh' || level === 'h'
}

const defaultLimitPriority: Record<LimitLevel, AlarmPriority> = {
  hh: 'high',
  h: 'medium',
  l: 'medium',
  ll: 'high',
}

const limitWords: Record<LimitLevel, string> = {
  hh: 'high high',
  h: 'high',
  l: 'low',
  ll: 'low low',
}

const digitalCause = {
  trip: 'trip',
  'flame-failure': 'flame-failure',
  other: 'digital',
} as const satisfies Record<z.infer<typeof digitalAlarmSchema>['kind'], AlarmCause>

const digitalWords: Record<z.infer<typeof digitalAlarmSchema>['kind'], string> = {
  trip: 'trip',
  'flame-failure': 'flame failure',
  other: 'alarm',
}

/** A tag as far as alarms care: the site schema's tag with its `limits` and `alarms` blocks. */
export type AlarmTag = {
  id: string
  name?: string | undefined
  limits?: Partial<Record<LimitLevel, number>> | undefined
  alarms?: TagAlarms | undefined
}

/** A level's limit alarm: from the `alarms` block, else from the short `limits` form. */
function limitSpec(tag: AlarmTag, level: LimitLevel): LimitAlarmSpec | undefined {
  const limit = tag.limits?.[level]
  return (
    tag.alarms?.[level] ??
    (limit === undefined ? undefined : { limit, deadband: 0, onDelayMs: 0, offDelayMs: 0 })
  )
}

/** The alarm limits of a tag, as a trend or a bar draws them. */
export function tagAlarmLimits(tag: AlarmTag): Partial<Record<LimitLevel, number>> {
  const limits: Partial<Record<LimitLevel, number>> = {}
  for (const level of limitLevels) {
    const spec = limitSpec(tag, level)
    if (spec) limits[level] = spec.limit
  }
  return limits
}

/** The alarms one tag's `limits` and `alarms` blocks configure. */
export function tagAlarmDefinitions(tag: AlarmTag): AlarmDefinition[] {
  const alarms = tag.alarms ?? {}
  if (!tag.alarms && !tag.limits) return []
  const label = tag.name ?? tag.id
  const suppressWhen: AlarmSuppression | null = alarms.suppressWhen
    ? {
        tagId: alarms.suppressWhen.tag,
        equals: alarms.suppressWhen.equals,
        releaseDelayMs: alarms.suppressWhen.releaseDelayMs,
      }
    : null
  const base = (
    condition: AlarmCondition,
    cause: AlarmCause,
    priority: AlarmPriority,
    words: string,
    spec: { onDelayMs: number; offDelayMs: number; message?: string; prompt?: string },
  ) => ({
    id: `${tag.id}:${condition}`,
    tagId: tag.id,
    sourceId: null,
    unit: unitOfTag(tag.id),
    condition,
    cause,
    priority,
    message: spec.message ?? `${label} ${words}`,
    prompt: spec.prompt ?? null,
    onDelayMs: spec.onDelayMs,
    offDelayMs: spec.offDelayMs,
    suppressWhen,
    tripGroup: alarms.tripGroup ?? null,
    builtIn: false,
  })
  const definitions: AlarmDefinition[] = []
  for (const level of limitLevels) {
    const spec = limitSpec(tag, level)
    if (!spec) continue
    const high = isHighLevel(level)
    definitions.push({
      ...base(
        level,
        high ? 'high-limit' : 'low-limit',
        spec.priority ?? defaultLimitPriority[level],
        limitWords[level],
        spec,
      ),
      trigger: {
        kind: 'limit',
        direction: high ? 'high' : 'low',
        limit: spec.limit,
        deadband: spec.deadband,
      },
    })
  }
  if (alarms.rateOfChange) {
    const spec = alarms.rateOfChange
    definitions.push({
      ...base('rate-of-change', 'rate-of-change', spec.priority, 'changing too fast', spec),
      trigger: {
        kind: 'rate-of-change',
        perMinute: spec.perMinute,
        windowMs: spec.windowMs,
        direction: spec.direction,
        deadband: spec.deadband,
      },
    })
  }
  if (alarms.deviation) {
    const spec = alarms.deviation
    definitions.push({
      ...base('deviation', 'deviation', spec.priority, 'away from its setpoint', spec),
      trigger: {
        kind: 'deviation',
        setpointTagId: spec.setpointTag,
        band: spec.band,
        deadband: spec.deadband,
      },
    })
  }
  if (alarms.digital) {
    const spec = alarms.digital
    definitions.push({
      ...base('digital', digitalCause[spec.kind], spec.priority, digitalWords[spec.kind], spec),
      trigger: { kind: 'digital', alarmWhen: spec.alarmWhen },
    })
  }
  return definitions
}

/**
 * GL-001 Safety Protocols, Immediate Safety Actions 1: boiler pressure at or above 95 % of the
 * safety-valve setpoint.
 */
export const overpressurePrompt =
  'Notify the plant safety officer; consider emergency shutdown (GL-001 safety protocol)'
/** GL-001 Safety Protocols, Immediate Safety Actions 2: combustion instability (explosion risk). */
export const combustionInstabilityPrompt =
  'Immediate fuel cutoff; notify the plant safety officer (GL-001 safety protocol)'

/** The site as the built-in safety alarms read it (a structural slice of the site schema). */
export type SafetyAlarmSite = {
  plants: readonly {
    id: string
    name?: string | undefined
    units: readonly {
      id: string
      name?: string | undefined
      safetyValveSetpoint?: number | undefined
    }[]
  }[]
  tags: readonly AlarmTag[]
}

/**
 * The runbook's safety alarms, built in for every unit by naming convention, whatever the site file
 * configures (they cannot be left out by mistake):
 *
 * - `<plant>.<unit>.pressure` on a unit with `safetyValveSetpoint` → `overpressure`, critical,
 *   at or above 95 % of the setpoint, returning below 94 % (deadband 1 % of the setpoint). Never
 *   suppressed by design: a boiler that is off can still hold pressure.
 * - `<plant>.<unit>.combustion-stability` (the 0–1 index) → `combustion-instability`, critical,
 *   at or below `alarmSettings.combustionStabilityLimit` (0.5), returning above it + 0.05 after
 *   30 s stable (instability oscillates; the off-delay keeps one alarm per episode). Suppressed by
 *   design while `<plant>.<unit>.running` is false when that tag exists: an unlit burner reads 0,
 *   and a lost flame is the flame-failure alarm's business. No release delay: light-off is
 *   exactly when instability is most dangerous.
 *
 * Both carry the runbook's prompt and join the tag's trip group, if its `alarms` block names one.
 */
export function safetyAlarmDefinitions(
  site: SafetyAlarmSite,
  settings: AlarmSettings,
): AlarmDefinition[] {
  const tagById = new Map(site.tags.map((tag) => [tag.id, tag]))
  const definitions: AlarmDefinition[] = []
  for (const plant of site.plants) {
    for (const unit of plant.units) {
      const unitKey = `${plant.id}.${unit.id}`
      const unitLabel = `${plant.name ?? plant.id} ${unit.name ?? unit.id}`
      const common = {
        sourceId: null,
        unit: unitKey,
        priority: 'critical' as const,
        onDelayMs: 0,
        builtIn: true,
      }
      const pressureTag = tagById.get(`${unitKey}.pressure`)
      if (pressureTag && unit.safetyValveSetpoint !== undefined) {
        const setpoint = unit.safetyValveSetpoint
        // 0.95 has no exact binary form (3 × 0.95 = 2.8499999999999996): round to 12 significant
        // digits so the limit is the decimal an engineer writes, in the message and the journal.
        const limit = Number((setpoint * 0.95).toPrecision(12))
        definitions.push({
          ...common,
          id: `${pressureTag.id}:overpressure`,
          tagId: pressureTag.id,
          condition: 'overpressure',
          cause: 'overpressure',
          message:
            `${unitLabel} pressure at or above 95 % of its safety valve setpoint ` +
            `(${limit} of ${setpoint})`,
          prompt: overpressurePrompt,
          trigger: { kind: 'limit', direction: 'high', limit, deadband: setpoint / 100 },
          offDelayMs: 0,
          suppressWhen: null,
          tripGroup: pressureTag.alarms?.tripGroup ?? null,
        })
      }
      const stabilityTag = tagById.get(`${unitKey}.combustion-stability`)
      if (stabilityTag) {
        const runningTagId = `${unitKey}.running`
        definitions.push({
          ...common,
          id: `${stabilityTag.id}:combustion-instability`,
          tagId: stabilityTag.id,
          condition: 'combustion-instability',
          cause: 'combustion-instability',
          message:
            `${unitLabel} combustion instability ` +
            `(stability at or below ${settings.combustionStabilityLimit})`,
          prompt: combustionInstabilityPrompt,
          trigger: {
            kind: 'limit',
            direction: 'low',
            limit: settings.combustionStabilityLimit,
            deadband: 0.05,
          },
          offDelayMs: 30_000,
          suppressWhen: tagById.has(runningTagId)
            ? { tagId: runningTagId, equals: false, releaseDelayMs: 0 }
            : null,
          tripGroup: stabilityTag.alarms?.tripGroup ?? null,
        })
      }
    }
  }
  return definitions
}

/** The communication-loss alarm of one source (DESIGN.md §4: one per outage). */
export function communicationLossDefinition(
  sourceId: string,
  settings: AlarmSettings,
): AlarmDefinition {
  return {
    id: `${sourceId}:communication-loss`,
    tagId: null,
    sourceId,
    unit: null,
    condition: 'communication-loss',
    cause: 'communication-loss',
    priority: settings.communicationLossPriority,
    message: `Communication lost with ${sourceId}`,
    prompt: 'Values from this source are stale: check the link and the PLC; read the plant locally',
    trigger: { kind: 'communication-loss' },
    onDelayMs: 0,
    offDelayMs: 0,
    suppressWhen: null,
    tripGroup: null,
    builtIn: true,
  }
}

/**
 * Every alarm of a site: the tags' configured alarms, the built-in safety alarms, and one
 * communication-loss alarm per source (listed from the start, so it can be taken out of service
 * before its first outage).
 */
export function siteAlarmDefinitions(
  site: SafetyAlarmSite & { sources: readonly { id: string }[] },
  settings: AlarmSettings,
): AlarmDefinition[] {
  return [
    ...site.tags.flatMap(tagAlarmDefinitions),
    ...safetyAlarmDefinitions(site, settings),
    ...site.sources.map((source) => communicationLossDefinition(source.id, settings)),
  ]
}

/** A reference from one tag's alarms to another tag that does not hold, for the site schema. */
export type AlarmReferenceProblem = { path: (string | number)[]; message: string }

/**
 * The references a zod schema of one tag cannot check: the deviation's setpoint tag and the
 * suppression tag must exist. Paths are relative to the site file's root.
 */
export function alarmReferenceProblems(tags: readonly AlarmTag[]): AlarmReferenceProblem[] {
  const known = new Set(tags.map((tag) => tag.id))
  const problems: AlarmReferenceProblem[] = []
  tags.forEach((tag, index) => {
    const setpointTag = tag.alarms?.deviation?.setpointTag
    if (setpointTag !== undefined) {
      if (!known.has(setpointTag)) {
        problems.push({
          path: ['tags', index, 'alarms', 'deviation', 'setpointTag'],
          message: `no tag with id "${setpointTag}"`,
        })
      } else if (setpointTag === tag.id) {
        problems.push({
          path: ['tags', index, 'alarms', 'deviation', 'setpointTag'],
          message: 'a tag cannot be its own setpoint',
        })
      }
    }
    const suppressionTag = tag.alarms?.suppressWhen?.tag
    if (suppressionTag !== undefined && !known.has(suppressionTag)) {
      problems.push({
        path: ['tags', index, 'alarms', 'suppressWhen', 'tag'],
        message: `no tag with id "${suppressionTag}"`,
      })
    }
  })
  return problems
}
