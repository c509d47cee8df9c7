import type { Recording, SystemInfo } from '../../shared/api/contract'
import type { JournalEvent } from '../../shared/journal/event'
import type { Journal } from '../store/journal'
import type { SyncEngine } from '../sync/engine'
import type { History } from '../store/history'
import type { StorageStatus } from '../../shared/api/contract'
import { disabledSyncStatus } from '../../shared/sync/status'
import type { ServerEnvelope } from '../../shared/api/envelope'
import type { EventName, EventOf } from '../../shared/api/contract'
import { every, type Scheduler } from '../../shared/scheduler'
import type { FileProblem } from '../../shared/file-problem'
import type { Site } from '../../shared/site/schema'
import { proposeEncodings } from '../../shared/field/byte-order'
import { ApiFailure, createDispatcher, unwrap } from '../api/dispatcher'
import { listRejectedCertificates, trustRejectedCertificate } from '../field/opcua-pki'
import { startAcquisition, type Acquisition, type DriverFactories } from '../field/acquisition'
import { describeError, type Logger } from '../log/logger'
import { checkWriteAllowed } from '../control/write-guard'
import { createDrillService, type DrillSimulator } from '../drills/drill-service'
import type { ScenarioLoad } from '../../sim/process'
import type { Result } from '../../shared/result'
import { fail } from '../../shared/result'
import { createValueBatcher } from './value-batcher'
import { createAlarmService, type AlarmActionOutcome } from '../alarms/alarm-service'
import { createHeatService } from '../heat/heat-service'
import { alarmJournalInput } from '../../shared/alarms/model'
import { tagAlarmLimits, unitOfTag } from '../../shared/alarms/definitions'
import { consoleCode } from '../../shared/incidents/id'
import { shortfallStart } from '../../shared/incidents/clocks'
import { createIncidentService } from '../incidents/incident-service'
import { createConditionsGatherer } from '../incidents/site-conditions'
import { sha256Hex } from '../store/sha256'

/** Until operators sign in (identity issue), every action is the console operator's. */
const operator = 'operator'

/** How often the disk budget's figures are measured and pushed when they change. */
const storageCheckMs = 5_000

/** Anything that can carry messages to one renderer (a MessagePort, a WebSocket, a test). */
export type Peer = { send: (message: ServerEnvelope) => void }

export type Connection = {
  /** A message from the renderer; answered on the peer. */
  receive: (raw: unknown) => Promise<void>
  close: () => void
}

export type Backend = {
  info: SystemInfo
  connect: (peer: Peer) => Connection
  /**
   * Writes one tag, after the last check that no drill can reach a real source. The operator's
   * select → preview → confirm flow (DESIGN.md §4) is built on this by the controls feature; until
   * then only tests and the simulator's own checks call it.
   */
  writeTag: (tagId: string, value: number | boolean) => Promise<Result<void>>
  dispose: () => Promise<void>
}

export type BackendOptions = {
  mode: SystemInfo['mode']
  version: string
  dataDir: string
  siteFile: string
  /** The validated site, or null with the problems that stopped it loading. */
  site: Site | null
  siteProblems: FileProblem[]
  drivers: DriverFactories
  logger: Logger
  scheduler: Scheduler
  consoleId: string
  /** The journal, or null when it refused to open (recording says why). */
  journal: Journal | null
  recording: Recording
  /** Sync to the central system; null when the site names none or nothing is recorded. */
  sync?: SyncEngine | null
  /** The tag history; null when it could not be opened (storage() says why). */
  history?: History | null
  /** The disk budget's figures as of now (start-console measures the files). */
  storage?: () => StorageStatus
  /** The console's own simulator, which drills run against; null when there is none. */
  simulator?: DrillSimulator | null
  /** Why there is no simulator, when there is none (shown where drills would start). */
  simulatorUnavailableReason?: string
  /** The runbook scenarios drills can run. */
  scenarios?: ScenarioLoad[]
}

/**
 * The composition root of the backend: everything that matters lives here, behind the contract,
 * whatever transport the renderer uses. The console opens even with a broken site file, so the
 * operator sees what is wrong instead of a blank window.
 */
export function createBackend(options: BackendOptions): Backend {
  const { site, logger, scheduler } = options
  const peers = new Set<Peer>()
  const info: SystemInfo = {
    version: options.version,
    consoleId: options.consoleId,
    recording: options.recording,
    mode: options.mode,
    site: site ? { id: site.site.id, name: site.site.name } : null,
    siteFile: options.siteFile,
    siteProblems: options.siteProblems,
    dataDir: options.dataDir,
    startedAt: scheduler.now(),
  }

  const broadcast = <E extends EventName>(event: E, payload: EventOf<E>): void => {
    for (const peer of peers) {
      try {
        peer.send({ kind: 'event', event, payload })
      } catch (error) {
        logger.warn('could not push to a renderer', { event, error: String(error) })
      }
    }
  }

  const batcher = createValueBatcher(scheduler, (values) => broadcast('values', { values }))
  const acquisition: Acquisition | null = site
    ? startAcquisition(site, options.drivers, {
        logger: logger.child('field'),
        scheduler,
        dataDir: options.dataDir,
      })
    : null
  acquisition?.onValues((values) => batcher.add(values))
  acquisition?.onSources((sources) => broadcast('sources', { sources }))

  const { journal } = options
  const setRecording = (recording: Recording): void => {
    info.recording = recording
    broadcast('recording', recording)
  }
  /**
   * Appends one event and tells every renderer once it is committed (DESIGN.md §3.4: nothing is
   * shown as saved before the commit). Without a journal the event goes to the log, and the
   * banner already says the console is not recording.
   */
  const record = (
    type: string,
    data: Record<string, unknown>,
    actor = 'system',
    incidentId: string | null = null,
  ): JournalEvent | null => {
    if (!journal) {
      logger.warn(`not recorded (no journal): ${type}`, data)
      return null
    }
    let event: JournalEvent
    try {
      event = journal.append({ type, actor, data, incidentId })
    } catch (error) {
      // A full disk or an I/O error mid-run: every page must say at once that recording stopped.
      logger.error(`not recorded: ${type}`, { ...data, error: describeError(error) })
      setRecording({
        ...info.recording,
        state: 'refused',
        problem: `Recording stopped: the journal could not take an event (${describeError(error)}).`,
      })
      return null
    }
    if (info.recording.state !== 'recording') {
      setRecording({ ...info.recording, state: 'recording', problem: null })
    }
    broadcast('journal', { events: [event] })
    sync?.notify()
    return event
  }

  const history = options.history ?? null
  acquisition?.onValues((values) => history?.record(values))
  const storage = options.storage
  let lastStorage = ''
  let lastWarning = false
  const stopStorageWatch = storage
    ? every(
        scheduler,
        storageCheckMs,
        () => {
          const status = storage()
          const text = JSON.stringify(status)
          if (text === lastStorage) return
          if (status.warning && !lastWarning) {
            logger.warn('disk budget at 80 % or more', { ...status })
          }
          lastStorage = text
          lastWarning = status.warning
          broadcast('storage', status)
        },
        (error) => logger.error('storage check failed', { error: String(error) }),
      )
    : null

  const sync = options.sync ?? null
  const stopSyncStatus = sync?.onStatus((status) => broadcast('sync', status))
  const syncStatus = () => sync?.status() ?? disabledSyncStatus
  const syncing = (): SyncEngine => {
    if (!sync) throw new ApiFailure('sync-disabled', 'This site names no central system to sync to')
    return sync
  }

  acquisition?.onConnectionEvent((event) => {
    const { type, ...data } = event
    if (type === 'source.lost') logger.warn('source lost', data)
    else logger.info('source restored', data)
    try {
      record(type, data)
    } catch (error) {
      logger.error('could not record a connection change', { type, error: String(error) })
    }
  })

  const tagIndex = new Map((site?.tags ?? []).map((tag) => [tag.id, tag]))
  const plantOf = (tagId: string): string | null =>
    site?.plants.find((plant) => tagId.startsWith(`${plant.id}.`))?.id ?? null
  /** `<plant>.<unit>.<point>`: the unit, when the plant has one by that id. */
  const unitInPlant = (plantId: string, tagId: string): string | null => {
    const unitId = unitOfTag(tagId).slice(plantId.length + 1)
    return site?.plants
      .find((plant) => plant.id === plantId)
      ?.units.some((unit) => unit.id === unitId)
      ? unitId
      : null
  }

  const drills = createDrillService({
    simulator: options.simulator ?? null,
    unavailableReason:
      options.simulatorUnavailableReason ??
      'Drills need the built-in simulator, and this site has no simulated source',
    scenarios: options.scenarios ?? [],
    scheduler,
    logger: logger.child('drill'),
    // Drill events carry `drill: true` in their data, so a review can tell rehearsal from reality.
    record: (type, data) => void record(type, data, 'operator'),
  })
  drills.onChange((drill) => broadcast('drill', { drill }))

  const alarms = site
    ? createAlarmService({
        site,
        scheduler,
        logger: logger.child('alarms'),
        record: (event) => {
          const input = alarmJournalInput(event)
          record(input.type, input.data ?? {}, input.actor)
        },
      })
    : null
  acquisition?.onValues((values) => alarms?.onValues(values))
  acquisition?.onConnectionEvent((event) => alarms?.onConnectionEvent(event))
  alarms?.onChange((change) => broadcast('alarms', change))
  const alarmService = () => {
    if (!alarms) throw new ApiFailure('no-site', 'No site is loaded: fix the site file first')
    return alarms
  }
  /** Acknowledging in a drill is the debrief's acknowledgement (first one counts). */
  const acknowledged = (outcome: AlarmActionOutcome): AlarmActionOutcome => {
    for (const alarm of outcome.changed)
      drills.recordAction('acknowledged', `${alarm.message} acknowledged`)
    return outcome
  }

  const heat = site
    ? createHeatService({
        site,
        scheduler,
        logger: logger.child('heat'),
        valueOf: (tagId) => acquisition?.valueOf(tagId),
        record: ({ plantId, from, to, reasons }) =>
          void record('heat.status-changed', { plantId, from, to, reasons }),
      })
    : null
  heat?.onStatus((plants) => broadcast('heat', { plants }))

  const alarmSnapshots = () => alarms?.status().alarms ?? []
  const incidents = site
    ? createIncidentService({
        site,
        consoleId: options.consoleId,
        consoleCode: consoleCode(sha256Hex(options.consoleId)),
        scheduler,
        logger: logger.child('incidents'),
        journal,
        record: ({ type, incidentId, actor, data }) =>
          record(type, data ?? {}, actor, incidentId ?? null),
        conditions: createConditionsGatherer(site, {
          valueOf: (tagId) => acquisition?.valueOf(tagId),
          sources: () => acquisition?.sources() ?? [],
          heat: () => heat?.status() ?? [],
          alarms: alarmSnapshots,
        }),
        alarms: alarmSnapshots,
        drill: () => ({
          running: drills.isRunning(),
          firstFaultAt: drills.firstFaultAt(),
          plants: drills.state()?.simulatedPlants ?? [],
        }),
        drillAction: (kind, summary, severity) => drills.recordAction(kind, summary, severity),
        shortfallStart: (consumer, now) => {
          if (!history) return null
          try {
            // Two hours at 15 s a point: enough for any restoration window but production's.
            const [series] = history.query({
              tagIds: [consumer.tagId],
              from: now - 2 * 3_600_000,
              to: now,
              maxPoints: 480,
            }).series
            return shortfallStart(series?.points ?? [], consumer.degradedBelow)
          } catch (error) {
            logger.warn('no shortfall start from history', {
              tagId: consumer.tagId,
              error: String(error),
            })
            return null
          }
        },
      })
    : null
  incidents?.onStatus((status) => broadcast('incidents', status))
  const incidentService = () => {
    if (!incidents) throw new ApiFailure('no-site', 'No site is loaded: fix the site file first')
    return incidents
  }

  const sourceById = new Map((site?.sources ?? []).map((source) => [source.id, source]))
  const writeTag = async (tagId: string, value: number | boolean): Promise<Result<void>> => {
    const source = sourceById.get(tagIndex.get(tagId)?.source ?? '')
    if (!acquisition || !source) return fail('unknown-tag', `There is no tag "${tagId}"`)
    const allowed = checkWriteAllowed(source, {
      drill: drills.isRunning(),
      simulatedSourceIds: options.simulator?.sourceIds ?? new Set(),
    })
    // Every write attempt is on the record (the incident timeline shows it), refused ones too.
    const recordWrite = (message: string | null): void =>
      void record(
        'control.written',
        { tagId, value, ok: message === null, message, drill: drills.isRunning() },
        operator,
      )
    if (!allowed.ok) {
      logger.warn('write refused', { tagId, reason: allowed.error.message })
      recordWrite(allowed.error.message)
      return fail(allowed.error.code, `${tagId} was not written: ${allowed.error.message}`)
    }
    const written = await acquisition.write(tagId, value)
    recordWrite(written.ok ? null : written.error.message)
    // A write in a drill is the operator acting on the situation: the debrief's mitigation.
    if (written.ok) drills.recordAction('mitigation', `${tagId} set to ${String(value)}`)
    return written
  }

  const field = (): Acquisition => {
    if (!acquisition) throw new ApiFailure('no-site', 'No site is loaded: fix the site file first')
    return acquisition
  }

  const dispatch = createDispatcher(
    {
      getSystemInfo: () => info,
      getTags: () => ({
        plants: (site?.plants ?? []).map((plant) => ({
          id: plant.id,
          name: plant.name,
          units: plant.units.map((unit) => ({
            id: unit.id,
            name: unit.name ?? unit.id,
            kind: unit.kind,
            priorityClass: unit.priorityClass ?? null,
            safetyValveSetpoint: unit.safetyValveSetpoint ?? null,
          })),
        })),
        tags: [...tagIndex.values()].map((tag) => {
          const plantId = plantOf(tag.id)
          const limits = tagAlarmLimits(tag)
          return {
            id: tag.id,
            name: tag.name ?? tag.id,
            unit: tag.unit,
            sourceId: tag.source,
            plantId,
            unitId: plantId ? unitInPlant(plantId, tag.id) : null,
            limits: Object.keys(limits).length > 0 ? limits : null,
          }
        }),
      }),
      getValues: ({ tagIds }) => {
        const all = acquisition?.values() ?? []
        if (!tagIds) return { values: all }
        const wanted = new Set(tagIds)
        return { values: all.filter((value) => wanted.has(value.tagId)) }
      },
      getSources: () => ({ sources: acquisition?.sources() ?? [] }),
      getSourceDiagnostics: ({ sourceId }) => unwrap(field().diagnostics(sourceId)),
      proposeByteOrder: async ({ expected, ...address }) => {
        // Four registers cover every type up to 64 bits. Near the end of a device's map (or of the
        // address space) fewer exist: try 2, then 1, so the 16- and 32-bit answers still come.
        let words: number[] | null = null
        let refusal: ApiFailure | null = null
        for (const count of [4, 2, 1].filter((n) => address.offset + n <= 65536)) {
          const read = await field().readRegisters({ ...address, count })
          if (read.ok) {
            words = read.value
            break
          }
          refusal = new ApiFailure(read.error.code, read.error.message)
          if (read.error.code !== 'modbus-exception') break
        }
        if (!words) throw refusal ?? new ApiFailure('no-answer', 'no registers could be read')
        return { words, proposals: proposeEncodings(words, expected) }
      },
      listRejectedCertificates: async () => ({
        certificates: await listRejectedCertificates(options.dataDir),
      }),
      trustServerCertificate: async ({ thumbprint }) => {
        const certificate = unwrap(await trustRejectedCertificate(options.dataDir, thumbprint))
        logger.warn('server certificate trusted by the operator', {
          thumbprint,
          subject: certificate.subject,
        })
        return { certificate }
      },
      getDrillCatalog: () => drills.catalog(),
      getDrill: () => ({ drill: drills.state() }),
      // The operator is not identified until accounts exist (identity issue).
      startDrill: ({ scenarioId }) => {
        // A drill the journal cannot hold could not be reviewed: refuse it rather than run it blind.
        if (!journal) {
          throw new ApiFailure(
            'not-recording',
            `Drills are recorded in the journal, which is not recording: ${options.recording.problem ?? 'unknown reason'}`,
          )
        }
        return { drill: unwrap(drills.start(scenarioId, 'operator')) }
      },
      queryHistory: (query) => {
        if (!history) throw new ApiFailure('no-history', 'Tag history is not being kept')
        return history.query(query)
      },
      getStorage: () => {
        if (!storage) throw new ApiFailure('no-storage', 'No disk budget is configured')
        return storage()
      },
      getSyncStatus: () => syncStatus(),
      syncNow: () => {
        syncing().kick()
        return syncStatus()
      },
      getQuarantine: ({ limit }) => ({ items: sync?.quarantined(limit) ?? [] }),
      exportQuarantine: () => ({
        fileName: `quarantine-${info.consoleId}-${new Date(scheduler.now()).toISOString().replace(/[:.]/g, '-')}.ndjson`,
        ndjson: syncing().exportQuarantined(),
      }),
      retryQuarantined: ({ ids }) => {
        const released = syncing().retryQuarantined(ids)
        logger.warn('quarantined items released by the operator', { ids, released })
        return { released }
      },
      getJournal: ({ beforeSeq, limit }) => {
        const head = journal?.head() ?? null
        if (!journal || !head) return { events: [], head: null }
        const to = Math.min((beforeSeq ?? head.seq + 1) - 1, head.seq)
        const events = to < 1 ? [] : journal.range(Math.max(1, to - limit + 1), to).reverse()
        return { events, head: { seq: head.seq, hash: head.hash } }
      },
      stopDrill: () => ({ drill: unwrap(drills.stop()) }),
      getAlarms: () => alarmService().status(),
      acknowledgeAlarms: ({ alarmIds }) =>
        acknowledged(alarmService().acknowledge(alarmIds, operator)),
      shelveAlarm: ({ alarmId, reason, minutes }) =>
        alarmService().shelve(alarmId, operator, reason, minutes),
      unshelveAlarm: ({ alarmId }) => alarmService().unshelve(alarmId, operator),
      commentAlarm: ({ alarmId, text }) => alarmService().comment(alarmId, operator, text),
      setAlarmOutOfService: ({ alarmId, reason }) =>
        alarmService().setOutOfService(alarmId, operator, reason),
      returnAlarmToService: ({ alarmId }) => alarmService().returnToService(alarmId, operator),
      getHeatStatus: () => ({ plants: heat?.status() ?? [] }),
      getIncidents: () => incidentService().status(),
      declareIncident: ({ suggestionId, overrideReason, startedAt, ...request }) => ({
        incident: incidentService().declare(
          { ...request, suggestionId, overrideReason, startedAt },
          operator,
        ),
      }),
      changeIncidentSeverity: ({ incidentId, severity, reason }) => ({
        incident: incidentService().changeSeverity(incidentId, severity, reason, operator),
      }),
      assignIncidentRoles: ({ incidentId, roles }) => ({
        incident: incidentService().assignRoles(incidentId, roles, operator),
      }),
      setIncidentPlants: ({ incidentId, plants }) => ({
        incident: incidentService().setPlants(incidentId, plants, operator),
      }),
      startIncidentMitigation: ({ incidentId, summary }) => ({
        incident: incidentService().startMitigation(incidentId, summary, operator),
      }),
      recordIncidentCall: ({ incidentId, ...call }) => ({
        incident: incidentService().recordCall(incidentId, call, operator),
      }),
      tickIncidentItem: ({ incidentId, ...item }) => ({
        incident: incidentService().tick(incidentId, item, operator),
      }),
      draftIncidentUpdate: ({ incidentId, kind }) => ({
        text: incidentService().draftUpdate(incidentId, kind),
      }),
      sendIncidentUpdate: ({ incidentId, kind, text }) => ({
        incident: incidentService().sendUpdate(incidentId, kind, text, operator),
      }),
      addIncidentNote: ({ incidentId, text }) => ({
        incident: incidentService().addNote(incidentId, text, operator),
      }),
      resolveIncident: ({ incidentId, summary, openCriteriaReason }) => ({
        incident: incidentService().resolve(incidentId, { summary, openCriteriaReason }, operator),
      }),
      getIncidentReview: ({ incidentId }) => incidentService().review(incidentId),
      saveIncidentReview: ({ incidentId, review }) => ({
        incident: incidentService().saveReview(incidentId, review, operator),
      }),
      dismissIncidentSuggestion: ({ suggestionId, reason }) => ({
        dismissed: incidentService().dismissSuggestion(suggestionId, reason, operator),
      }),
      getIncidentTimeline: ({ incidentId }) => incidentService().timeline(incidentId),
    },
    logger.child('api'),
  )

  return {
    info,
    connect: (peer) => {
      peers.add(peer)
      return {
        receive: async (raw) => {
          const response = await dispatch(raw)
          if (peers.has(peer)) peer.send(response)
        },
        close: () => void peers.delete(peer),
      }
    },
    writeTag,
    dispose: async () => {
      stopStorageWatch?.()
      stopSyncStatus?.()
      drills.dispose()
      alarms?.dispose()
      heat?.dispose()
      incidents?.dispose()
      peers.clear()
      batcher.dispose()
      await acquisition?.dispose()
    },
  }
}
