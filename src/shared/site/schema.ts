import { z } from 'zod'
import { escalationPlanSchema } from '../incidents/escalation'
import {
  alarmReferenceProblems,
  alarmSettingsSchema,
  defaultAlarmSettings,
  tagAlarmsSchema,
} from '../alarms/definitions'
import { consumerSupplySchema, plantHeatRulesSchema } from '../heat/status'
import { priorityClassSchema } from '../heat/priority-class'

// The site file contract of DESIGN.md §3.2. Field names are relied on by site files in the field:
// extend them, never rename them.

const id = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" or "-", starting with a letter or digit',
  )

const positiveMs = z.number().int().positive().max(3_600_000)
const port = z.number().int().min(1).max(65535)

const modbusTcpSource = z.strictObject({
  id,
  protocol: z.literal('modbus-tcp'),
  host: z.string().min(1),
  port: port.default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  pollMs: positiveMs.default(1000),
  timeoutMs: positiveMs.default(1000),
  /** The built-in simulator serves this endpoint (demo sites and drills only). */
  simulated: z.boolean().default(false),
})

const modbusRtuSource = z.strictObject({
  id,
  protocol: z.literal('modbus-rtu'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(19200),
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId: z.number().int().min(0).max(255).default(1),
  pollMs: positiveMs.default(1000),
  timeoutMs: positiveMs.default(1000),
  simulated: z.boolean().default(false),
})

const opcuaSource = z
  .strictObject({
    id,
    protocol: z.literal('opcua'),
    endpoint: z.string().regex(/^opc\.tcp:\/\/.+/, 'must start with opc.tcp://'),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    securityPolicy: z
      .enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'])
      .default('None'),
    samplingMs: positiveMs.default(1000),
    publishingMs: positiveMs.optional(),
    /**
     * Sign in with a user name (OPC UA Part 4 §7.36.4 UserNameIdentityToken) instead of anonymously.
     * The password comes from `passwordEnv`, the name of an environment variable that holds it
     * (preferred), or from `password`. A password written in a site file can be read by anyone who
     * can read the file (and its copies, backups and version history): use `passwordEnv`.
     */
    userName: z.string().min(1).optional(),
    password: z.string().optional(),
    passwordEnv: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*$/,
        'use the name of an environment variable, e.g. PLANT_UA_PASSWORD',
      )
      .optional(),
    /**
     * Values the server keeps per tag between two publishes (Part 4 §5.12.1.5); 1 keeps only the
     * latest, which is what a display needs. More keeps short changes a slower publish would hide.
     * Defaults to 1.
     */
    queueSize: z.number().int().min(1).max(1000).optional(),
    /**
     * Report a change only when it exceeds this much (Part 4 §7.17.2 DataChangeFilter): `absolute` in
     * the tag's raw unit, `percent` of the item's EURange (Part 8 §6.2; servers refuse it on items
     * without one).
     */
    deadband: z
      .strictObject({
        type: z.enum(['absolute', 'percent']),
        value: z.number().min(0),
      })
      .refine((deadband) => deadband.type !== 'percent' || deadband.value <= 100, {
        message: 'a percent deadband is at most 100',
        path: ['value'],
      })
      .optional(),
    simulated: z.boolean().default(false),
  })
  .superRefine((source, ctx) => {
    if (source.password !== undefined && source.passwordEnv !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'give either password or passwordEnv, not both (passwordEnv is preferred)',
      })
    }
    if (source.userName === undefined) {
      for (const field of ['password', 'passwordEnv'] as const) {
        if (source[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `${field} needs a userName` })
        }
      }
    }
  })

export const sourceSchema = z.discriminatedUnion('protocol', [
  modbusTcpSource,
  modbusRtuSource,
  opcuaSource,
])
export type Source = z.infer<typeof sourceSchema>
export type ModbusTcpSource = z.infer<typeof modbusTcpSource>
export type ModbusRtuSource = z.infer<typeof modbusRtuSource>
export type OpcUaSource = z.infer<typeof opcuaSource>

export const registerTypes = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
  'string',
] as const
export type RegisterType = (typeof registerTypes)[number]

export const modbusAddressSchema = z.strictObject({
  unitId: z.number().int().min(0).max(255).optional(),
  table: z.enum(['coil', 'discrete', 'input', 'holding']),
  offset: z.number().int().min(0).max(65535),
  type: z.enum(registerTypes).default('uint16'),
  /** Byte order as letters: ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA little-endian. */
  order: z
    .string()
    .regex(
      /^(AB|BA|ABCD|CDAB|BADC|DCBA|[A-H]{8})$/,
      'use ABCD, CDAB, BADC, DCBA or an eight-letter form',
    )
    .default('ABCD'),
  bit: z.number().int().min(0).max(15).optional(),
  length: z.number().int().min(1).max(250).optional(),
})
export type ModbusAddress = z.infer<typeof modbusAddressSchema>

const limitsSchema = z
  .strictObject({ hh: z.number(), h: z.number(), l: z.number(), ll: z.number() })
  .partial()

export const tagSchema = z
  .strictObject({
    id,
    name: z.string().optional(),
    source: id,
    address: modbusAddressSchema.optional(),
    nodeId: z.string().min(1).optional(),
    unit: z.string().default(''),
    scale: z
      .strictObject({ factor: z.number().default(1), offset: z.number().default(0) })
      .optional(),
    /**
     * Alarm limits, short form: each becomes a limit alarm with its default priority and no deadband
     * or delays. The `alarms` block states the same with every option; a level goes in one or the
     * other.
     */
    limits: limitsSchema.optional(),
    /** The tag's alarms (ISA-18.2 rationalisation): limits, rate, deviation, digital, suppression. */
    alarms: tagAlarmsSchema.optional(),
  })
  .superRefine((tag, ctx) => {
    for (const level of ['hh', 'h', 'l', 'll'] as const) {
      if (tag.limits?.[level] !== undefined && tag.alarms?.[level] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['limits', level],
          message: `${level} is given in both limits and alarms: keep one`,
        })
      }
    }
  })
export type Tag = z.infer<typeof tagSchema>

const unitSchema = z.strictObject({
  id,
  name: z.string().optional(),
  kind: z.enum(['boiler', 'header', 'furnace', 'consumer', 'other']),
  /** bar(g): the safety rules compare pressure with it. */
  safetyValveSetpoint: z.number().positive().optional(),
  /** A consumer's critical-heat priority class (GL-001): how soon it must have heat back. */
  priorityClass: priorityClassSchema.optional(),
  /** A consumer's supply temperature thresholds, for its plant's heat status. */
  supply: consumerSupplySchema.optional(),
  /**
   * A consumer's distribution valve and its optimal opening: the reference the P2 "distribution
   * more than 20 % from optimal" suggestion compares with, until a last-known-good snapshot replaces it.
   */
  distribution: z
    .strictObject({
      /** Defaults to `<plant>.<unit>.valve`. */
      tag: id.optional(),
      /** % of travel. */
      target: z.number().gt(0).max(100),
    })
    .optional(),
})

const plantSchema = z.strictObject({
  id,
  name: z.string().min(1),
  units: z.array(unitSchema).default([]),
  /** How the console judges this plant's heat: normal, degraded or lost. */
  heatStatus: plantHeatRulesSchema.optional(),
})

export const siteSchema = z
  .strictObject({
    site: z.strictObject({ id, name: z.string().min(1) }),
    /** The central system the journal and history sync to (DESIGN.md §3.5, docs/sync-protocol.md). */
    central: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: 'central.url must be an http or https URL' }),
        /**
         * The bearer token, named by environment variable rather than written in the file, so site
         * files can be shared without the secret.
         */
        tokenEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
          .optional(),
        /** PEM bundle of the plant PKI's certificate authorities, relative to the site file. */
        caFile: z.string().min(1).optional(),
      })
      .optional(),
    /** What the console may keep on this machine's disk. */
    storage: z
      .strictObject({
        /** Journal plus history, MB. History prunes its oldest data to stay inside; the journal never does. */
        budgetMb: z.number().int().min(64).max(1_000_000).default(4096),
      })
      .default({ budgetMb: 4096 }),
    sources: z.array(sourceSchema).min(1, 'a site needs at least one source'),
    plants: z.array(plantSchema).default([]),
    tags: z.array(tagSchema).default([]),
    /** CSV tag lists, relative to the site file; their rows are added to `tags` (docs/site-file.md). */
    tagLists: z.array(z.string().min(1)).default([]),
    /** Site-wide alarm rules: shelving limit, flood threshold, built-in alarm settings. */
    alarmSettings: alarmSettingsSchema.default(defaultAlarmSettings),
    /** Who incidents escalate to, how to reach them, and when each severity must (GL-001). */
    escalation: escalationPlanSchema.default({ levels: [], triggers: [] }),
  })
  .superRefine((site, ctx) => {
    const sourceById = new Map(site.sources.map((source) => [source.id, source]))
    const seen = new Set<string>()
    site.tags.forEach((tag, index) => {
      if (seen.has(tag.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', index, 'id'],
          message: `duplicate tag id "${tag.id}"`,
        })
      }
      seen.add(tag.id)
      const source = sourceById.get(tag.source)
      if (!source) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', index, 'source'],
          message: `no source with id "${tag.source}"`,
        })
        return
      }
      if (source.protocol === 'opcua' && !tag.nodeId) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', index, 'nodeId'],
          message: 'an OPC UA tag needs a nodeId',
        })
      }
      if (source.protocol !== 'opcua' && !tag.address) {
        ctx.addIssue({
          code: 'custom',
          path: ['tags', index, 'address'],
          message: 'a Modbus tag needs an address',
        })
      }
    })
    const sourceIds = new Set<string>()
    site.sources.forEach((source, index) => {
      if (sourceIds.has(source.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'id'],
          message: `duplicate source id "${source.id}"`,
        })
      }
      sourceIds.add(source.id)
    })
    for (const problem of alarmReferenceProblems(site.tags))
      ctx.addIssue({ code: 'custom', ...problem })
    site.plants.forEach((plant, plantIndex) => {
      const headerTag = plant.heatStatus?.header.tag
      if (headerTag !== undefined && !seen.has(headerTag)) {
        ctx.addIssue({
          code: 'custom',
          path: ['plants', plantIndex, 'heatStatus', 'header', 'tag'],
          message: `no tag with id "${headerTag}"`,
        })
      }
      plant.units.forEach((unit, unitIndex) => {
        const path = ['plants', plantIndex, 'units', unitIndex]
        if (unit.supply && !unit.priorityClass) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'priorityClass'],
            message: 'a consumer with supply thresholds needs its priorityClass',
          })
        }
        const valveTag = unit.distribution?.tag ?? `${plant.id}.${unit.id}.valve`
        if (unit.distribution && !seen.has(valveTag)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'distribution', 'tag'],
            message: `no tag with id "${valveTag}"`,
          })
        }
        const supplyTag = unit.supply?.tag ?? `${plant.id}.${unit.id}.supply-temperature`
        if (unit.supply && plant.heatStatus && !seen.has(supplyTag)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'supply', 'tag'],
            message: `no tag with id "${supplyTag}"`,
          })
        }
      })
    })
  })
export type Site = z.infer<typeof siteSchema>
