import type { DebriefRow, DrillAction, DrillActionKind, HeatLoss, Severity } from './drill'
import { heatRestorationMinutes, priorityClassNames } from '../heat/priority-class'
import { severityDefinitions } from '../incidents/severity'

// The drill debrief: what the operator did, against the GL-001 runbook's targets. Pure, so the same
// rules judge a live drill, a replayed journal and the tests.

export type DebriefInput = {
  /** The severity the runbook gives the scenario. */
  severity: Severity
  /** When the scenario's first fault struck, ms since the epoch; null if the drill ended before it. */
  firstFaultAt: number | null
  endedAt: number
  actions: DrillAction[]
  heatLosses: HeatLoss[]
}

/**
 * One target: met or late once done; when not done, "open" while the drill ended inside the window
 * (an early stop cannot be held against the operator) and "not done" once the window had passed.
 */
function judge(
  target: string,
  limitSeconds: number,
  from: number,
  endedAt: number,
  done: number | null,
  what: string,
  missing = `no ${what} during the drill`,
): DebriefRow {
  if (done === null) {
    const open = (endedAt - from) / 1000 < limitSeconds
    return {
      target,
      limitSeconds,
      tookSeconds: null,
      outcome: open ? 'open' : 'not-done',
      detail: open ? `${missing}; the drill ended inside the window` : missing,
    }
  }
  const tookSeconds = Math.max(0, Math.round((done - from) / 1000))
  return {
    target,
    limitSeconds,
    tookSeconds,
    outcome: tookSeconds <= limitSeconds ? 'met' : 'late',
    detail: `${what} after ${formatDuration(tookSeconds)}`,
  }
}

/** 75 → "1 min 15 s"; 3600 → "60 min". */
export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  if (minutes === 0) return `${rest} s`
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`
}

/**
 * One row per runbook target that applies to the scenario's severity and to what happened: acknowledge,
 * start mitigation, declare at the right severity, escalate (P0), and restore heat to each consumer
 * that lost it within its priority class's window. Only actions after the first fault count.
 */
export function debriefDrill(input: DebriefInput): DebriefRow[] {
  const { severity, firstFaultAt, actions, endedAt } = input
  if (firstFaultAt === null) return []
  const first = (kind: DrillActionKind): DrillAction | null =>
    actions
      .filter((action) => action.kind === kind && action.at >= firstFaultAt)
      .reduce<DrillAction | null>(
        (earliest, action) => (earliest === null || action.at < earliest.at ? action : earliest),
        null,
      )

  // Every drill severity (P0–P3) has an acknowledgement target; only P0 and P1 a mitigation one.
  const definition = severityDefinitions[severity]
  const targets = {
    acknowledge: definition.acknowledgeMinutes ?? 0,
    mitigate: definition.actionMinutes,
  }
  const rows: DebriefRow[] = []
  const acknowledged = first('acknowledged')
  rows.push(
    judge(
      `Acknowledge within ${targets.acknowledge} minutes (${severity})`,
      targets.acknowledge * 60,
      firstFaultAt,
      endedAt,
      acknowledged?.at ?? null,
      'acknowledgement',
    ),
  )
  if (targets.mitigate !== null) {
    const mitigation = first('mitigation')
    rows.push(
      judge(
        `Start mitigation within ${targets.mitigate} minutes (${severity})`,
        targets.mitigate * 60,
        firstFaultAt,
        endedAt,
        mitigation?.at ?? null,
        'mitigation',
      ),
    )
  }

  const declared = first('incident-declared')
  const declareLimit = targets.acknowledge * 60
  const declaredRow = judge(
    `Declare the incident as ${severity}`,
    declareLimit,
    firstFaultAt,
    endedAt,
    declared?.at ?? null,
    `declared as ${declared?.severity ?? 'unknown severity'}`,
    'no incident declared during the drill',
  )
  rows.push(
    declared === null || declared.severity === severity
      ? declaredRow
      : {
          ...declaredRow,
          outcome: 'wrong',
          detail: `${declaredRow.detail}; the runbook calls this ${severity}`,
        },
  )

  if (severity === 'P0') {
    // Runbook P0 escalation: the plant safety officer and operations manager, immediately.
    const escalated = first('escalation')
    rows.push(
      judge(
        `Call the plant safety officer and operations manager at once (within ${targets.acknowledge} minutes)`,
        targets.acknowledge * 60,
        firstFaultAt,
        endedAt,
        escalated?.at ?? null,
        'escalation call',
      ),
    )
  }

  for (const loss of input.heatLosses) {
    const minutes = heatRestorationMinutes[loss.priorityClass]
    rows.push(
      judge(
        `Restore heat to ${loss.plantId} ${loss.name} (${priorityClassNames[loss.priorityClass]}) within ${minutes} minutes`,
        minutes * 60,
        loss.lostAt,
        endedAt,
        loss.restoredAt,
        'heat restored',
        'still short of heat when the drill ended',
      ),
    )
  }
  return rows
}
