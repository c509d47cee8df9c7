import { z } from 'zod'
import {
  certificateInfoSchema,
  rawReadRequestSchema,
  sourceDiagnosticsSchema,
} from '../field/diagnostics'
import { sourceStatusSchema, tagValueSchema } from '../field/values'
import { fileProblemSchema } from '../file-problem'
import { drillCatalogSchema, drillStateSchema } from '../drills/drill'
import { journalEventSchema } from '../journal/event'
import { quarantineItemSchema, syncStatusSchema } from '../sync/status'
import { historyQueryResultSchema, historyQuerySchema } from '../history/series'
import { alarmSnapshotSchema, floodStatusSchema } from '../alarms/model'
import { plantHeatSchema } from '../heat/status'
import { priorityClassSchema } from '../heat/priority-class'
import { incidentSeveritySchema } from '../incidents/severity'
import {
  callOutcomeSchema,
  incidentIdSchema,
  incidentReviewSchema,
  incidentRolesSchema,
  updateKindSchema,
} from '../incidents/model'
import { incidentsStatusSchema, incidentViewSchema } from '../incidents/view'

// The one contract between renderer and backend (DESIGN.md §3.1). Each request channel has a request
// and a response schema; each push stream has an event schema. Transports (MessagePort in Electron,
// WebSocket in browser mode, direct calls in tests) all carry these and nothing else.

const empty = z.strictObject({})

export const consoleModeSchema = z.enum(['desktop', 'browser'])

/** Whether the console is recording into its journal, and what the operator must be told. */
export const recordingSchema = z.object({
  state: z.enum(['recording', 'refused']),
  file: z.string(),
  /** Why recording was refused; null while recording. */
  problem: z.string().nullable(),
  /** Set when a damaged journal was kept aside at start-up and a new one begun. */
  recovery: z.object({ keptAs: z.string(), reason: z.string(), message: z.string() }).nullable(),
})
export type Recording = z.infer<typeof recordingSchema>

/** The console's disk budget (site file storage.budgetMb): the journal and the tag history. */
export const storageStatusSchema = z.object({
  budgetBytes: z.number(),
  journalBytes: z.number(),
  /** null when the history store is not open. */
  historyBytes: z.number().nullable(),
  /** Of the budget in use; warning from 0.8. */
  fraction: z.number(),
  warning: z.boolean(),
  /** History samples pruned before the central system had them (only counted with sync on). */
  droppedUnsynced: z.number(),
  /** Why history is not being kept, or what happened to a damaged history file; null when fine. */
  historyProblem: z.string().nullable(),
})
export type StorageStatus = z.infer<typeof storageStatusSchema>

export const systemInfoSchema = z.object({
  version: z.string(),
  /** This installation's id in the central system (console.json in the data folder). */
  consoleId: z.string(),
  recording: recordingSchema,
  mode: consoleModeSchema,
  site: z.object({ id: z.string(), name: z.string() }).nullable(),
  siteFile: z.string(),
  siteProblems: z.array(fileProblemSchema),
  dataDir: z.string(),
  startedAt: z.number(),
})
export type SystemInfo = z.infer<typeof systemInfoSchema>

export const tagInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  unit: z.string(),
  sourceId: z.string(),
  plantId: z.string().nullable(),
  /** The unit of its plant the tag belongs to (`<plant>.<unit>.<point>`); null when none. */
  unitId: z.string().nullable(),
  /** Its alarm limits (from `limits` and `alarms`), for bars and trends. */
  limits: z
    .object({ hh: z.number(), h: z.number(), l: z.number(), ll: z.number() })
    .partial()
    .nullable(),
})
export type TagInfo = z.infer<typeof tagInfoSchema>

export const unitInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['boiler', 'header', 'furnace', 'consumer', 'other']),
  priorityClass: priorityClassSchema.nullable(),
  safetyValveSetpoint: z.number().nullable(),
})
export type UnitInfo = z.infer<typeof unitInfoSchema>

export const plantInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  units: z.array(unitInfoSchema),
})
export type PlantInfo = z.infer<typeof plantInfoSchema>

/** Every alarm the console runs, and the flood measures. */
export const alarmStatusSchema = z.object({
  alarms: z.array(alarmSnapshotSchema),
  flood: floodStatusSchema,
})

const alarmIdSchema = z.string().min(1).max(500)
const reasonSchema = z.string().trim().min(1, 'say why').max(2000)

/** Free text an operator writes into the record: a note, an update, a summary. */
const recordTextSchema = z.string().trim().min(1, 'write something').max(20_000)
const plantIdsSchema = z
  .array(z.string().min(1).max(200))
  .min(1, 'name at least one plant')
  .max(100)
const incidentResponse = z.object({ incident: incidentViewSchema })

/** What one acknowledgement, shelve or comment did; refusals name the alarm and why. */
const alarmActionResponse = z.object({
  changed: z.array(alarmSnapshotSchema),
  refused: z.array(z.object({ alarmId: z.string(), message: z.string() })),
})

export const requests = {
  getSystemInfo: { request: empty, response: systemInfoSchema },
  getTags: {
    request: empty,
    response: z.object({ plants: z.array(plantInfoSchema), tags: z.array(tagInfoSchema) }),
  },
  getValues: {
    request: z.strictObject({ tagIds: z.array(z.string()).max(100_000).optional() }),
    response: z.object({ values: z.array(tagValueSchema) }),
  },
  getSources: { request: empty, response: z.object({ sources: z.array(sourceStatusSchema) }) },
  getSourceDiagnostics: {
    request: z.strictObject({ sourceId: z.string() }),
    response: sourceDiagnosticsSchema,
  },
  /** Reads registers at an address and proposes the type and byte order that give `expected`. */
  proposeByteOrder: {
    request: rawReadRequestSchema.omit({ count: true }).extend({ expected: z.number() }),
    response: z.object({
      words: z.array(z.number()),
      proposals: z.array(
        z.object({
          type: z.string(),
          order: z.string(),
          factor: z.number(),
          value: z.number(),
          error: z.number(),
        }),
      ),
    }),
  },
  listRejectedCertificates: {
    request: empty,
    response: z.object({ certificates: z.array(certificateInfoSchema) }),
  },
  /** Moves an OPC UA server certificate from pki/rejected to pki/trusted. */
  trustServerCertificate: {
    request: z.strictObject({
      thumbprint: z.string().regex(/^[0-9a-f]{40}$/i, 'a SHA-1 thumbprint in hex'),
    }),
    response: z.object({ certificate: certificateInfoSchema }),
  },
  /** The runbook scenarios a drill can run, and whether this site can run drills at all. */
  getDrillCatalog: { request: empty, response: drillCatalogSchema },
  /** The running drill, or the last one with its debrief; null before the first. */
  getDrill: { request: empty, response: z.object({ drill: drillStateSchema.nullable() }) },
  startDrill: {
    request: z.strictObject({ scenarioId: z.string().min(1).max(200) }),
    response: z.object({ drill: drillStateSchema }),
  },
  /** The newest journal events, newest first; `beforeSeq` pages back. */
  getJournal: {
    request: z.strictObject({
      beforeSeq: z.number().int().min(1).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    response: z.object({
      events: z.array(journalEventSchema),
      /** The newest event's seq and hash: what the chain stands on now; null when empty. */
      head: z.object({ seq: z.number(), hash: z.string() }).nullable(),
    }),
  },
  /** Tag history for trends and reports: per tag, from the finest tier that covers the range. */
  queryHistory: { request: historyQuerySchema, response: historyQueryResultSchema },
  getStorage: { request: empty, response: storageStatusSchema },
  /** Sync to the central system: state, backlog, last success and error, quarantine count. */
  getSyncStatus: { request: empty, response: syncStatusSchema },
  /** Tries to sync now instead of waiting for the next retry. */
  syncNow: { request: empty, response: syncStatusSchema },
  getQuarantine: {
    request: z.strictObject({ limit: z.number().int().min(1).max(5000).default(500) }),
    response: z.object({ items: z.array(quarantineItemSchema) }),
  },
  /** Every quarantined item in full, one JSON object per line, for the operator to hand on. */
  exportQuarantine: {
    request: empty,
    response: z.object({ fileName: z.string(), ndjson: z.string() }),
  },
  /** Releases quarantined items to be sent again. */
  retryQuarantined: {
    request: z.strictObject({
      ids: z.union([z.literal('all'), z.array(z.string().min(1)).min(1).max(5000)]),
    }),
    response: z.object({ released: z.number().int().nonnegative() }),
  },
  /** Ends the running drill early; its debrief comes back with it. */
  stopDrill: { request: empty, response: z.object({ drill: drillStateSchema }) },
  getAlarms: { request: empty, response: alarmStatusSchema },
  /** Acknowledges one alarm, or a page of them at once. */
  acknowledgeAlarms: {
    request: z.strictObject({ alarmIds: z.array(alarmIdSchema).min(1).max(1000) }),
    response: alarmActionResponse,
  },
  /** Takes an alarm out of annunciation for a while (never a critical one). */
  shelveAlarm: {
    request: z.strictObject({
      alarmId: alarmIdSchema,
      reason: reasonSchema,
      minutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60),
    }),
    response: alarmActionResponse,
  },
  unshelveAlarm: {
    request: z.strictObject({ alarmId: alarmIdSchema }),
    response: alarmActionResponse,
  },
  commentAlarm: {
    request: z.strictObject({ alarmId: alarmIdSchema, text: reasonSchema }),
    response: alarmActionResponse,
  },
  /** Engineering: an alarm that misbehaves is taken out of service, with a reason on the journal. */
  setAlarmOutOfService: {
    request: z.strictObject({ alarmId: alarmIdSchema, reason: reasonSchema }),
    response: alarmActionResponse,
  },
  returnAlarmToService: {
    request: z.strictObject({ alarmId: alarmIdSchema }),
    response: alarmActionResponse,
  },
  /** Each plant's heat status, for the plants whose site file states rules. */
  getHeatStatus: { request: empty, response: z.object({ plants: z.array(plantHeatSchema) }) },
  /** Every incident with its clocks, escalation and checklists; suggestions; metrics. */
  getIncidents: { request: empty, response: incidentsStatusSchema },
  /**
   * Declares an incident, by hand or from a suggestion. Declaring at another severity than the
   * suggestion's is an override and needs its reason.
   */
  declareIncident: {
    request: z.strictObject({
      severity: incidentSeveritySchema,
      title: z.string().trim().min(1, 'give the incident a title').max(300),
      plants: plantIdsSchema,
      roles: incidentRolesSchema,
      suggestionId: z.string().min(1).max(500).optional(),
      overrideReason: z.string().trim().min(1).max(2000).optional(),
      /** When the trouble began, if the operator knows it better than the console (ms). */
      startedAt: z.number().int().positive().optional(),
    }),
    response: incidentResponse,
  },
  changeIncidentSeverity: {
    request: z.strictObject({
      incidentId: incidentIdSchema,
      severity: incidentSeveritySchema,
      reason: reasonSchema,
    }),
    response: incidentResponse,
  },
  assignIncidentRoles: {
    request: z.strictObject({ incidentId: incidentIdSchema, roles: incidentRolesSchema }),
    response: incidentResponse,
  },
  setIncidentPlants: {
    request: z.strictObject({ incidentId: incidentIdSchema, plants: plantIdsSchema }),
    response: incidentResponse,
  },
  /** The first step to restore heat has begun (the runbook's action target). */
  startIncidentMitigation: {
    request: z.strictObject({ incidentId: incidentIdSchema, summary: reasonSchema }),
    response: incidentResponse,
  },
  /** A call to someone on the escalation list, and how it went. */
  recordIncidentCall: {
    request: z.strictObject({
      incidentId: incidentIdSchema,
      levelId: z.string().min(1).max(200),
      contact: z.string().trim().min(1).max(200),
      outcome: callOutcomeSchema,
      note: z.string().max(2000).default(''),
    }),
    response: incidentResponse,
  },
  /** Ticks (or unticks) a checklist item the operator answers. */
  tickIncidentItem: {
    request: z.strictObject({
      incidentId: incidentIdSchema,
      checklistId: z.string().min(1).max(100),
      itemId: z.string().min(1).max(100),
      done: z.boolean(),
      note: z.string().max(2000).default(''),
    }),
    response: incidentResponse,
  },
  /** A status update filled from live data, for the communications lead to edit. */
  draftIncidentUpdate: {
    request: z.strictObject({ incidentId: incidentIdSchema, kind: updateKindSchema }),
    response: z.object({ text: z.string() }),
  },
  /** An update as it went out (copied to the clipboard), kept in the timeline. */
  sendIncidentUpdate: {
    request: z.strictObject({
      incidentId: incidentIdSchema,
      kind: updateKindSchema,
      text: recordTextSchema,
    }),
    response: incidentResponse,
  },
  addIncidentNote: {
    request: z.strictObject({ incidentId: incidentIdSchema, text: recordTextSchema }),
    response: incidentResponse,
  },
  /** Resolves with the exit criteria as judged now; unmet criteria need a reason. */
  resolveIncident: {
    request: z.strictObject({
      incidentId: incidentIdSchema,
      summary: recordTextSchema,
      openCriteriaReason: z.string().trim().min(1).max(2000).optional(),
    }),
    response: incidentResponse,
  },
  /** The post-incident review: the saved one, or a draft filled from the record. */
  getIncidentReview: {
    request: z.strictObject({ incidentId: incidentIdSchema }),
    response: z.object({ review: incidentReviewSchema, saved: z.boolean() }),
  },
  saveIncidentReview: {
    request: z.strictObject({ incidentId: incidentIdSchema, review: incidentReviewSchema }),
    response: incidentResponse,
  },
  /** Sets a suggestion aside, with why; it comes back if the condition clears and returns. */
  dismissIncidentSuggestion: {
    request: z.strictObject({ suggestionId: z.string().min(1).max(500), reason: reasonSchema }),
    response: z.object({ dismissed: z.boolean() }),
  },
  /** The journal events of an incident's window: its own, and the site's alarms, heat and links. */
  getIncidentTimeline: {
    request: z.strictObject({ incidentId: incidentIdSchema }),
    response: z.object({ events: z.array(journalEventSchema), truncated: z.boolean() }),
  },
} as const

export const events = {
  /** Latest value per changed tag, at most one batch per frame's worth of time. */
  values: z.object({ values: z.array(tagValueSchema) }),
  sources: z.object({ sources: z.array(sourceStatusSchema) }),
  /** A drill started, moved on, or ended. */
  drill: z.object({ drill: drillStateSchema }),
  /** The disk budget, when its figures move (checked every few seconds). */
  storage: storageStatusSchema,
  /** Sync status, when it changes (at most a few times a second while a backlog drains). */
  sync: syncStatusSchema,
  /** Recording stopped (the journal refused an event) or resumed. */
  recording: recordingSchema,
  /** Events just committed to the journal (after the commit, never before). */
  journal: z.object({ events: z.array(journalEventSchema) }),
  /** Alarms whose snapshot changed, and the flood measures (at most one push per second of quiet). */
  alarms: z.object({ changed: z.array(alarmSnapshotSchema), flood: floodStatusSchema }),
  /** Heat status of every plant with rules, when any plant's status or figures change. */
  heat: z.object({ plants: z.array(plantHeatSchema) }),
  /** Incidents, suggestions and metrics, when anything in them changes (at most once a second). */
  incidents: incidentsStatusSchema,
} as const

export type RequestChannel = keyof typeof requests
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>
export type ResponseOf<C extends RequestChannel> = z.infer<(typeof requests)[C]['response']>
export type EventName = keyof typeof events
export type EventOf<E extends EventName> = z.infer<(typeof events)[E]>

export const requestChannels = Object.keys(requests) as RequestChannel[]
export const isRequestChannel = (name: string): name is RequestChannel =>
  Object.hasOwn(requests, name)
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name)
