import type { AlarmSnapshot } from '../../shared/alarms/model'
import type { DrillActionKind } from '../../shared/drills/drill'
import {
  evaluateChecklists,
  type EvaluatedChecklist,
  type EvaluatedItem,
} from '../../shared/incidents/checklists'
import { incidentClocks } from '../../shared/incidents/clocks'
import type { SiteConditions } from '../../shared/incidents/conditions'
import { draftStatusUpdate } from '../../shared/incidents/drafts'
import { escalationSteps, type EscalationPlan } from '../../shared/incidents/escalation'
import { incidentDay, nextIncidentId } from '../../shared/incidents/id'
import { incidentMetrics } from '../../shared/incidents/metrics'
import {
  checkKey,
  incidentEventData,
  suggestionEventData,
  type CallOutcome,
  type IncidentEventDataOf,
  type IncidentEventType,
  type IncidentReview,
  type IncidentRoles,
  type IncidentState,
  type UpdateKind,
} from '../../shared/incidents/model'
import {
  acceptsAfterResolution,
  applyIncidentEvent,
  IncidentEventError,
} from '../../shared/incidents/reducer'
import { draftReview } from '../../shared/incidents/review'
import { compareSeverity, type IncidentSeverity } from '../../shared/incidents/severity'
import { suggestSeverities, type SeveritySuggestion } from '../../shared/incidents/suggestions'
import { timelineEntry } from '../../shared/incidents/timeline'
import type { IncidentsStatus, IncidentView, PendingSuggestion } from '../../shared/incidents/view'
import type { JournalEvent, JournalEventInput } from '../../shared/journal/event'
import { every, type Scheduler } from '../../shared/scheduler'
import type { Site } from '../../shared/site/schema'
import { ApiFailure } from '../api/dispatcher'
import type { Logger } from '../log/logger'
import type { Journal } from '../store/journal'
import type { ConditionsGatherer } from './site-conditions'

// The incident workspace's backend (GL-001 incident response, offline). Every change is a journal
// event; the in-memory incidents are only the fold of those events, rebuilt from the journal at
// start-up, so every clock comes back as it was after a restart. Once a second it gathers the site's
// conditions, keeps severity suggestions and consumer restoration clocks up to date, journals live
// checklist items whose judgement changed, and pushes the workspace to the renderers.

const tickMs = 1_000
/** Alarms this long before a suggestion or declaration count as the incident's first sign. */
const lookbackMs = 30 * 60_000
/** The timeline shows this much lead-up before the incident's start. */
const timelineLeadMs = 5 * 60_000
const timelineLimit = 5_000
/**
 * Resolved incidents pushed to the renderers, newest first: every screen gets the whole status once
 * a second, which must not grow with the site's history. The metrics still count them all.
 */
const resolvedShown = 50
/** Events whose data names no plant stay in every incident's timeline (floods, drills). */
const timelineTypes = ['alarm.', 'heat.', 'source.', 'control.', 'drill.', 'incident.suggestion-']

export type IncidentServiceOptions = {
  site: Site
  consoleId: string
  /** This console's part of incident ids (consoleCode of a digest of the console id). */
  consoleCode: string
  scheduler: Scheduler
  logger: Logger
  /** Null when the journal did not open: incidents cannot be declared then (nothing would keep them). */
  journal: Journal | null
  /** Appends one event; null when it could not be recorded (recording has said why). */
  record: (input: JournalEventInput) => JournalEvent | null
  conditions: ConditionsGatherer
  alarms: () => AlarmSnapshot[]
  drill: () => { running: boolean; firstFaultAt: number | null; plants: readonly string[] }
  /**
   * When a consumer found short at start-up fell short, from its tag history; null when the history
   * cannot say (not kept, or short for longer than it looks back).
   */
  shortfallStart: (consumer: SiteConditions['consumers'][number], now: number) => number | null
  /** Tells a running drill what the operator did, for its debrief. */
  drillAction: (kind: DrillActionKind, summary: string, severity?: IncidentSeverity) => void
}

export type DeclareRequest = {
  severity: IncidentSeverity
  title: string
  plants: string[]
  roles: IncidentRoles
  suggestionId?: string | undefined
  overrideReason?: string | undefined
  startedAt?: number | undefined
}

export type IncidentService = {
  status: () => IncidentsStatus
  onStatus: (listener: (status: IncidentsStatus) => void) => void
  declare: (request: DeclareRequest, actor: string) => IncidentView
  changeSeverity: (
    id: string,
    severity: IncidentSeverity,
    reason: string,
    actor: string,
  ) => IncidentView
  assignRoles: (id: string, roles: IncidentRoles, actor: string) => IncidentView
  setPlants: (id: string, plants: string[], actor: string) => IncidentView
  startMitigation: (id: string, summary: string, actor: string) => IncidentView
  recordCall: (
    id: string,
    call: { levelId: string; contact: string; outcome: CallOutcome; note: string },
    actor: string,
  ) => IncidentView
  tick: (
    id: string,
    item: { checklistId: string; itemId: string; done: boolean; note: string },
    actor: string,
  ) => IncidentView
  draftUpdate: (id: string, kind: UpdateKind) => string
  sendUpdate: (id: string, kind: UpdateKind, text: string, actor: string) => IncidentView
  addNote: (id: string, text: string, actor: string) => IncidentView
  resolve: (
    id: string,
    request: { summary: string; openCriteriaReason?: string | undefined },
    actor: string,
  ) => IncidentView
  review: (id: string) => { review: IncidentReview; saved: boolean }
  saveReview: (id: string, review: IncidentReview, actor: string) => IncidentView
  dismissSuggestion: (suggestionId: string, reason: string, actor: string) => boolean
  timeline: (id: string) => { events: JournalEvent[]; truncated: boolean }
  dispose: () => void
}

type Suggestion = PendingSuggestion & { dismissed: boolean }

export function createIncidentService(options: IncidentServiceOptions): IncidentService {
  const { site, scheduler, logger, journal } = options
  const plan: EscalationPlan = site.escalation
  const plantNames = new Map(site.plants.map((plant) => [plant.id, plant.name]))
  const incidents = new Map<string, IncidentState>()
  const suggestions = new Map<string, Suggestion>()
  /** Per incident, each live item's judgement when last looked at (see recordJudgements). */
  const judged = new Map<string, Map<string, EvaluatedItem['state']>>()
  const listeners = new Set<(status: IncidentsStatus) => void>()
  let conditions: SiteConditions = options.conditions.gather(scheduler.now())

  // Rebuild from the journal: incidents from their events, suggestions from raised/cleared/dismissed.
  for (const event of journal?.byTypePrefix('incident.') ?? []) {
    try {
      if (event.incidentId) {
        const state = applyIncidentEvent(incidents.get(event.incidentId) ?? null, event)
        if (state) incidents.set(state.id, state)
        continue
      }
      restoreSuggestion(event)
    } catch (error) {
      // One unreadable event must not cost the operator every other incident: log it and go on.
      logger.error('an incident event could not be read back', {
        seq: event.seq,
        type: event.type,
        error: error instanceof IncidentEventError ? error.message : String(error),
      })
    }
  }

  // After a restart, what was last journalled is what the flips are judged against.
  for (const incident of incidents.values()) {
    judged.set(
      incident.id,
      new Map(Object.entries(incident.evaluations).map(([key, kept]) => [key, kept.state])),
    )
  }

  function restoreSuggestion(event: JournalEvent): void {
    if (event.type === 'incident.suggestion-raised') {
      const { suggestionId, ...raised } = suggestionEventData[event.type].parse(event.data)
      suggestions.set(suggestionId, { ...raised, id: suggestionId, dismissed: false })
    } else if (event.type === 'incident.suggestion-cleared') {
      suggestions.delete(suggestionEventData[event.type].parse(event.data).suggestionId)
    } else if (event.type === 'incident.suggestion-dismissed') {
      const known = suggestions.get(suggestionEventData[event.type].parse(event.data).suggestionId)
      if (known) known.dismissed = true
    }
  }

  const incidentOf = (id: string): IncidentState => {
    const incident = incidents.get(id)
    if (!incident) throw new ApiFailure('unknown-incident', `There is no incident ${id}`)
    return incident
  }

  /** Records an incident event and folds it in; refuses when the journal cannot take it. */
  const append = <T extends IncidentEventType>(
    incidentId: string,
    type: T,
    data: IncidentEventDataOf<T>,
    actor: string,
  ): IncidentState => {
    const known = incidents.get(incidentId) ?? null
    if (known?.resolved && !acceptsAfterResolution.has(type)) {
      throw new ApiFailure(
        'incident-resolved',
        `${incidentId} is resolved: reopen it by declaring a new incident`,
      )
    }
    // Checked before it is written: an event the reducer would refuse must never reach the journal,
    // which cannot take it back.
    incidentEventData[type].parse(data)
    const event = options.record({ type, incidentId, actor, data })
    if (!event) {
      throw new ApiFailure(
        'not-recording',
        'The journal is not recording, so the incident record cannot be kept: nothing was changed',
      )
    }
    const state = applyIncidentEvent(known, event)
    if (!state) throw new Error(`${type} left no incident state`)
    incidents.set(incidentId, state)
    return state
  }

  const liveChecklists = (incident: IncidentState, now: number): EvaluatedChecklist[] => {
    const escalation = escalationSteps(plan, incident, now)
    const checklists = evaluateChecklists({ incident, conditions, escalation, now })
    if (!incident.resolved) return checklists
    // A resolved incident shows its checklists as they stood when it closed, not today's readings.
    return checklists.map((list) => ({
      ...list,
      items: list.items.map((item) => {
        if (!item.judged) return item
        const kept = incident.evaluations[checkKey(list.id, item.id)]
        return kept
          ? { ...item, state: kept.state, evidence: kept.evidence, done: kept.state === 'met' }
          : item
      }),
    }))
  }

  /** A resolved incident's view changes only with its own events (notes, reviews): kept by seq. */
  const resolvedViews = new Map<string, IncidentView>()
  const viewOf = (incident: IncidentState, now = scheduler.now()): IncidentView => {
    const kept = resolvedViews.get(incident.id)
    if (kept?.incident.lastSeq === incident.lastSeq) return kept
    const view = {
      incident,
      clocks: incidentClocks(incident),
      escalation: escalationSteps(plan, incident, now),
      checklists: liveChecklists(incident, now),
    }
    if (incident.resolved) resolvedViews.set(incident.id, view)
    return view
  }

  const openIncidents = (): IncidentState[] =>
    [...incidents.values()].filter((incident) => !incident.resolved)

  /**
   * A suggestion is covered once an open incident holds all its plants at its severity or worse, or
   * was declared from it (an override is the operator's answer to it).
   */
  const covered = (suggestion: SeveritySuggestion): boolean =>
    openIncidents().some(
      (incident) =>
        (incident.basis.kind === 'suggestion' && incident.basis.suggestionId === suggestion.id) ||
        (compareSeverity(incident.severity, suggestion.severity) <= 0 &&
          suggestion.plants.every((plantId) => incident.plants.includes(plantId))),
    )

  const status = (): IncidentsStatus => {
    const now = scheduler.now()
    const all = [...incidents.values()]
    const order = (a: IncidentState, b: IncidentState): number => {
      if (!a.resolved !== !b.resolved) return a.resolved ? 1 : -1
      if (!a.resolved) return compareSeverity(a.severity, b.severity) || a.declaredAt - b.declaredAt
      return b.declaredAt - a.declaredAt
    }
    const sorted = all.sort(order)
    const open = sorted.filter((incident) => !incident.resolved)
    const resolved = sorted.filter((incident) => incident.resolved).slice(0, resolvedShown)
    return {
      incidents: [...open, ...resolved].map((incident) => viewOf(incident, now)),
      suggestions: [...suggestions.values()]
        .filter((suggestion) => !suggestion.dismissed && !covered(suggestion))
        .sort((a, b) => compareSeverity(a.severity, b.severity) || a.since - b.since)
        .map(({ dismissed: _dismissed, ...suggestion }) => suggestion),
      // Drills are rehearsals: the metrics are about real incidents.
      metrics: incidentMetrics(all.filter((incident) => !incident.drill)),
      escalationPlan: plan,
      conditions,
    }
  }

  let lastPushed = ''
  const push = (): void => {
    const current = status()
    const text = JSON.stringify(current)
    if (text === lastPushed) return
    lastPushed = text
    for (const listener of listeners) listener(current)
  }

  const recordSystem = (input: Omit<JournalEventInput, 'actor'>): void =>
    void options.record({ ...input, actor: 'system' })

  /** Raises new suggestions and clears those whose condition has gone (both journalled). */
  const refreshSuggestions = (now: number): void => {
    const live = suggestSeverities(conditions)
    const liveIds = new Set(live.map((suggestion) => suggestion.id))
    for (const [id] of suggestions) {
      if (liveIds.has(id)) continue
      suggestions.delete(id)
      recordSystem({
        type: 'incident.suggestion-cleared',
        incidentId: null,
        data: { suggestionId: id },
      })
    }
    for (const suggestion of live) {
      const known = suggestions.get(suggestion.id)
      if (known) {
        // The figures move on; the first sighting (the acknowledge clock) stays.
        suggestions.set(suggestion.id, {
          ...suggestion,
          since: known.since,
          dismissed: known.dismissed,
        })
        continue
      }
      suggestions.set(suggestion.id, { ...suggestion, since: now, dismissed: false })
      recordSystem({
        type: 'incident.suggestion-raised',
        incidentId: null,
        data: {
          suggestionId: suggestion.id,
          rule: suggestion.rule,
          severity: suggestion.severity,
          title: suggestion.title,
          reason: suggestion.reason,
          plants: suggestion.plants,
          prompt: suggestion.prompt,
          since: now,
        },
      })
    }
  }

  /** Starts and stops the restoration clock of each consumer of an open incident's plants. */
  const followConsumers = (incident: IncidentState, now: number): IncidentState => {
    let state = incident
    for (const consumer of conditions.consumers) {
      if (!state.plants.includes(consumer.plantId)) continue
      const short = consumer.state === 'degraded' || consumer.state === 'lost'
      const open = state.consumers.find(
        (known) =>
          known.plantId === consumer.plantId &&
          known.unitId === consumer.unitId &&
          known.restoredAt === null,
      )
      if (short && !open) {
        state = append(
          state.id,
          'incident.consumer-short',
          {
            plantId: consumer.plantId,
            unitId: consumer.unitId,
            name: consumer.name,
            priorityClass: consumer.priorityClass,
            since: shortSince.get(`${consumer.plantId}/${consumer.unitId}`) ?? now,
          },
          'system',
        )
      } else if (consumer.state === 'normal' && open) {
        state = append(
          state.id,
          'incident.consumer-restored',
          { plantId: consumer.plantId, unitId: consumer.unitId },
          'system',
        )
      }
    }
    return state
  }

  /** When each consumer fell short, seen every tick, so a later declaration knows the real start. */
  const shortSince = new Map<string, number>()
  /** Consumers seen at least once since start: a shortfall of one of these began while we watched. */
  const watched = new Set<string>()
  const watchShortfalls = (now: number): void => {
    for (const consumer of conditions.consumers) {
      const key = `${consumer.plantId}/${consumer.unitId}`
      const short = consumer.state === 'degraded' || consumer.state === 'lost'
      if (!short) shortSince.delete(key)
      else if (!shortSince.has(key)) {
        // Short at the first look after a start: the tag history knows when it began, the console
        // does not; a clock from the restart would flatter the restoration.
        const fromHistory = watched.has(key) ? null : options.shortfallStart(consumer, now)
        shortSince.set(key, fromHistory ?? now)
      }
      watched.add(key)
    }
  }

  /**
   * The judgement each live item had when last looked at, per incident. An item is journalled when
   * its judgement flips ("all plants normal: met at 10:32"), not when the incident opens, so the
   * timeline tells what changed rather than repeating the checklist. Seeded from the journal after a
   * restart, otherwise from the first look.
   */
  const recordJudgements = (
    incident: IncidentState,
    now: number,
    which: 'flips' | 'final',
  ): IncidentState => {
    let state = incident
    const seen = judged.get(incident.id)
    const current = new Map<string, EvaluatedItem['state']>()
    for (const list of liveChecklists(incident, now)) {
      for (const item of list.items) {
        if (!item.judged || item.state === null) continue
        const key = checkKey(list.id, item.id)
        current.set(key, item.state)
        // At resolution the record must hold every final judgement; in between, only the flips.
        const changed =
          which === 'final'
            ? state.evaluations[key]?.state !== item.state
            : (seen?.get(key) ?? item.state) !== item.state
        if (!changed) continue
        state = append(
          state.id,
          'incident.check-evaluated',
          {
            checklistId: list.id,
            itemId: item.id,
            label: item.label,
            state: item.state,
            evidence: item.evidence ?? '',
          },
          'system',
        )
      }
    }
    judged.set(incident.id, current)
    return state
  }

  const followLive = (incident: IncidentState, now: number): void => {
    recordJudgements(followConsumers(incident, now), now, 'flips')
  }

  const tick = (): void => {
    const now = scheduler.now()
    conditions = options.conditions.gather(now)
    watchShortfalls(now)
    // Without a journal nothing could be kept, and suggestions would re-raise on every start.
    if (journal) {
      // One incident the journal refused (a full disk) must not stop the others, nor the push that
      // keeps every screen's clocks and conditions current.
      const attempt = (what: string, step: () => void): void => {
        try {
          step()
        } catch (error) {
          logger.error(`incident tick: ${what} not recorded`, { error: String(error) })
        }
      }
      attempt('suggestions', () => refreshSuggestions(now))
      for (const incident of openIncidents()) attempt(incident.id, () => followLive(incident, now))
    }
    push()
  }
  const stopTicking = every(scheduler, tickMs, tick, (error) =>
    logger.error('incident tick failed', { error: String(error) }),
  )

  const requireOpen = (id: string): IncidentState => {
    const incident = incidentOf(id)
    if (incident.resolved) {
      throw new ApiFailure('incident-resolved', `${id} is already resolved`)
    }
    return incident
  }

  const checkPlants = (plants: readonly string[]): string[] => {
    const unknown = plants.filter((plantId) => !plantNames.has(plantId))
    if (unknown.length > 0) {
      throw new ApiFailure('unknown-plant', `This site has no plant ${unknown.join(', ')}`)
    }
    return [...new Set(plants)].sort()
  }

  const onPlants = (plants: readonly string[], unit: string | null): boolean =>
    unit !== null && plants.some((plantId) => unit.startsWith(`${plantId}.`))

  const after = <T>(result: T): T => {
    push()
    return result
  }

  return {
    status,
    onStatus: (listener) => void listeners.add(listener),

    declare: (request, actor) => {
      if (!journal) {
        throw new ApiFailure(
          'not-recording',
          'Incidents are kept in the journal, which is not recording: nothing was declared',
        )
      }
      const now = scheduler.now()
      const plants = checkPlants(request.plants)
      const suggestion = request.suggestionId ? suggestions.get(request.suggestionId) : undefined
      if (request.suggestionId && !suggestion) {
        throw new ApiFailure(
          'unknown-suggestion',
          `The suggestion ${request.suggestionId} is no longer standing: declare by hand`,
        )
      }
      const overridden = suggestion !== undefined && suggestion.severity !== request.severity
      if (overridden && !request.overrideReason) {
        throw new ApiFailure(
          'override-reason',
          `The console suggests ${suggestion.severity}; say why this is ${request.severity}`,
        )
      }
      const alarms = options.alarms().filter((alarm) => onPlants(plants, alarm.unit))
      const since = suggestion?.since ?? now
      const firstAlarm = Math.min(
        ...alarms
          .map((alarm) => alarm.raisedAt ?? Number.POSITIVE_INFINITY)
          .filter((at) => at >= since - lookbackMs),
      )
      const detectedAt = Math.min(since, firstAlarm, now)
      const firstAcknowledgement = Math.min(
        ...alarms
          .map((alarm) => alarm.acknowledged?.at ?? Number.POSITIVE_INFINITY)
          .filter((at) => at >= detectedAt),
      )
      // An incident is a drill when every plant it names is one the running drill simulates; a real
      // plant during a drill is a real incident, and the two cannot share one record.
      const drill = options.drill()
      const inDrill = plants.filter((plantId) => drill.running && drill.plants.includes(plantId))
      if (inDrill.length > 0 && inDrill.length < plants.length) {
        throw new ApiFailure(
          'drill-and-real',
          `${inDrill.join(', ')} ${inDrill.length === 1 ? 'is' : 'are'} in a drill and the other plants are not: declare the drill and the real incident separately`,
        )
      }
      const isDrill = inDrill.length > 0
      const drillStart = isDrill ? drill.firstFaultAt : null
      const id = nextIncidentId(incidents.keys(), incidentDay(now), options.consoleCode)
      const state = append(
        id,
        'incident.declared',
        {
          severity: request.severity,
          title: request.title,
          plants,
          roles: request.roles,
          basis: suggestion
            ? {
                kind: 'suggestion',
                suggestionId: suggestion.id,
                rule: suggestion.rule,
                suggestedSeverity: suggestion.severity,
                reason: suggestion.reason,
                confirmed: !overridden,
                overrideReason: overridden ? (request.overrideReason ?? null) : null,
              }
            : { kind: 'operator' },
          startedAt: Math.min(request.startedAt ?? drillStart ?? detectedAt, detectedAt),
          detectedAt,
          acknowledgedAt: Math.min(firstAcknowledgement, now),
          drill: isDrill,
          consoleId: options.consoleId,
        },
        actor,
      )
      // Declaring is taking the incident on: for a drill's debrief it is also the acknowledgement.
      if (isDrill) {
        options.drillAction('acknowledged', `${id} declared`)
        options.drillAction(
          'incident-declared',
          `${id} declared: ${request.title}`,
          request.severity,
        )
      }
      followLive(state, now)
      return after(viewOf(incidentOf(id)))
    },

    changeSeverity: (id, severity, reason, actor) => {
      const incident = requireOpen(id)
      if (incident.severity === severity) {
        throw new ApiFailure('same-severity', `${id} is already ${severity}`)
      }
      append(
        id,
        'incident.severity-changed',
        { from: incident.severity, to: severity, reason },
        actor,
      )
      return after(viewOf(incidentOf(id)))
    },

    assignRoles: (id, roles, actor) => {
      requireOpen(id)
      append(id, 'incident.roles-assigned', { roles }, actor)
      return after(viewOf(incidentOf(id)))
    },

    setPlants: (id, plants, actor) => {
      requireOpen(id)
      const state = append(id, 'incident.plants-changed', { plants: checkPlants(plants) }, actor)
      followLive(state, scheduler.now())
      return after(viewOf(incidentOf(id)))
    },

    startMitigation: (id, summary, actor) => {
      requireOpen(id)
      append(id, 'incident.mitigation-started', { summary }, actor)
      if (incidentOf(id).drill) options.drillAction('mitigation', summary)
      return after(viewOf(incidentOf(id)))
    },

    recordCall: (id, call, actor) => {
      requireOpen(id)
      const level = plan.levels.find((known) => known.id === call.levelId)
      if (!level) {
        throw new ApiFailure(
          'unknown-level',
          `The site's escalation plan has no level ${call.levelId}`,
        )
      }
      const contact = level.contacts.find((known) => known.name === call.contact)
      append(
        id,
        'incident.call-recorded',
        {
          levelId: level.id,
          levelName: level.name,
          contact: call.contact,
          phone: contact?.phone ?? '',
          outcome: call.outcome,
          note: call.note,
        },
        actor,
      )
      if (incidentOf(id).drill) {
        options.drillAction('escalation', `${level.name} (${call.contact}): ${call.outcome}`)
      }
      return after(viewOf(incidentOf(id)))
    },

    tick: (id, item, actor) => {
      const incident = requireOpen(id)
      const list = liveChecklists(incident, scheduler.now()).find(
        (known) => known.id === item.checklistId,
      )
      const known = list?.items.find((candidate) => candidate.id === item.itemId)
      if (!list || !known) {
        throw new ApiFailure(
          'unknown-item',
          `There is no checklist item ${item.checklistId}/${item.itemId}`,
        )
      }
      if (known.judged) {
        throw new ApiFailure(
          'judged-item',
          `"${known.label}" is judged from live data (${known.evidence ?? 'no evidence yet'}); it cannot be ticked`,
        )
      }
      append(id, 'incident.check-ticked', { ...item, label: known.label }, actor)
      return after(viewOf(incidentOf(id)))
    },

    draftUpdate: (id, kind) => {
      const incident = incidentOf(id)
      const now = scheduler.now()
      const view = viewOf(incident, now)
      return draftStatusUpdate(kind, {
        incident,
        conditions,
        clocks: view.clocks,
        checklists: view.checklists,
        escalation: view.escalation,
        plantNames,
        now,
      })
    },

    sendUpdate: (id, kind, text, actor) => {
      incidentOf(id)
      append(id, 'incident.update-sent', { kind, text }, actor)
      return after(viewOf(incidentOf(id)))
    },

    addNote: (id, text, actor) => {
      incidentOf(id)
      append(id, 'incident.note-added', { text }, actor)
      return after(viewOf(incidentOf(id)))
    },

    resolve: (id, request, actor) => {
      const incident = requireOpen(id)
      const now = scheduler.now()
      const exit = liveChecklists(incident, now).find((list) => list.id === 'exit-criteria')
      const criteria = (exit?.items ?? []).map((item) => ({
        itemId: item.id,
        label: item.label,
        state: item.done ? ('met' as const) : (item.state ?? ('not-met' as const)),
        evidence: item.evidence ?? (item.tick?.done ? `ticked by ${item.tick.by}` : 'not ticked'),
      }))
      const open = criteria.filter((criterion) => criterion.state !== 'met')
      if (open.length > 0 && !request.openCriteriaReason) {
        throw new ApiFailure(
          'exit-criteria-open',
          `Exit criteria not met: ${open.map((criterion) => criterion.label).join('; ')}. Say why the incident is resolved anyway`,
        )
      }
      // The record keeps the final judgement of every live item, for the review.
      recordJudgements(incident, now, 'final')
      append(
        id,
        'incident.resolved',
        {
          summary: request.summary,
          exitCriteria: criteria,
          openCriteriaReason: open.length > 0 ? (request.openCriteriaReason ?? null) : null,
        },
        actor,
      )
      return after(viewOf(incidentOf(id)))
    },

    review: (id) => {
      const incident = incidentOf(id)
      if (incident.review) return { review: incident.review.review, saved: true }
      const view = viewOf(incident)
      const timeline = timelineEvents(incident).events.flatMap((event) => {
        const entry = timelineEntry(event)
        return entry ? [entry] : []
      })
      return {
        review: draftReview({
          incident,
          clocks: view.clocks,
          escalation: view.escalation,
          timeline,
          plantNames,
        }),
        saved: false,
      }
    },

    saveReview: (id, review, actor) => {
      const incident = incidentOf(id)
      if (!incident.resolved) {
        throw new ApiFailure('incident-open', `${id} is still open: resolve it before its review`)
      }
      append(id, 'incident.review-saved', { review }, actor)
      return after(viewOf(incidentOf(id)))
    },

    dismissSuggestion: (suggestionId, reason, actor) => {
      const suggestion = suggestions.get(suggestionId)
      if (!suggestion) {
        throw new ApiFailure(
          'unknown-suggestion',
          `The suggestion ${suggestionId} is no longer standing: its condition has cleared`,
        )
      }
      if (suggestion.dismissed) return false
      const event = options.record({
        type: 'incident.suggestion-dismissed',
        incidentId: null,
        actor,
        data: { suggestionId, reason },
      })
      if (!event) {
        throw new ApiFailure('not-recording', 'The journal is not recording: nothing was dismissed')
      }
      suggestion.dismissed = true
      return after(true)
    },

    timeline: (id) => timelineEvents(incidentOf(id)),

    dispose: () => {
      stopTicking()
      listeners.clear()
    },
  }

  /**
   * The incident's own events, and the site's alarms, heat, connection, control and drill events
   * of its window (from a little before it started until it was resolved) for its plants.
   */
  function timelineEvents(incident: IncidentState): { events: JournalEvent[]; truncated: boolean } {
    if (!journal) return { events: [], truncated: false }
    const own = journal.byIncident(incident.id)
    const from = Math.min(incident.startedAt, incident.detectedAt) - timelineLeadMs
    const to = incident.resolved?.at ?? scheduler.now()
    const window = journal.between(from, to, timelineLimit)
    const sourceIds = new Set(
      conditions.plants
        .filter((plant) => incident.plants.includes(plant.id))
        .flatMap((plant) => plant.sourceIds),
    )
    const concerns = (event: JournalEvent): boolean => {
      if (event.incidentId !== null) return false
      if (!timelineTypes.some((prefix) => event.type.startsWith(prefix))) return false
      const data = event.data as Record<string, unknown>
      if (Array.isArray(data.plants)) {
        return data.plants.some((plantId) => incident.plants.includes(String(plantId)))
      }
      const named = [data.plantId, data.unit, data.tagId].find((value) => typeof value === 'string')
      if (typeof named === 'string') {
        return incident.plants.some(
          (plantId) => named === plantId || named.startsWith(`${plantId}.`),
        )
      }
      if (typeof data.sourceId === 'string') return sourceIds.has(data.sourceId)
      return true
    }
    const events = [...own, ...window.filter(concerns)].sort((a, b) => a.seq - b.seq)
    return { events, truncated: window.length >= timelineLimit }
  }
}
