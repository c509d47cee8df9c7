import { z } from 'zod'

// GL-001 severity levels, in the console's words, with the runbook's response targets. Drills,
// incident clocks, escalation and status-update cadence all read them from here.

export const incidentSeverities = ['P0', 'P1', 'P2', 'P3', 'P4'] as const
export const incidentSeveritySchema = z.enum(incidentSeverities)
export type IncidentSeverity = z.infer<typeof incidentSeveritySchema>

export type SeverityDefinition = {
  name: string
  /** What makes an incident this severe (the runbook's definition, reworded). */
  meaning: string
  /** Minutes to acknowledge; null when the severity has no response target. */
  acknowledgeMinutes: number | null
  /** Minutes until mitigation must have started; null when the runbook sets none. */
  actionMinutes: number | null
  /** Minutes between status updates until resolved; null when no updates are expected. */
  updateEveryMinutes: number | null
  /** What the runbook puts first for heat at this severity. */
  heatPriority: string
}

export const severityDefinitions: Record<IncidentSeverity, SeverityDefinition> = {
  P0: {
    name: 'Critical',
    meaning:
      'Total or multi-plant heat loss, or a safety hazard (boiler pressure, combustion, toxic gas) that needs action now',
    acknowledgeMinutes: 5,
    actionMinutes: 10,
    updateEveryMinutes: 15,
    heatPriority: 'Life-safety consumers must have heat back within 10 minutes',
  },
  P1: {
    name: 'High',
    meaning: 'One plant without heat, or a major degradation of critical operations',
    acknowledgeMinutes: 15,
    actionMinutes: 30,
    updateEveryMinutes: 30,
    heatPriority: 'The affected plant must have heat back within 30 minutes',
  },
  P2: {
    name: 'Medium',
    meaning: 'Degraded performance or efficiency; heat supply to critical consumers holds',
    acknowledgeMinutes: 60,
    actionMinutes: null,
    updateEveryMinutes: 60,
    heatPriority: 'Keep heat supplied and watch for escalation',
  },
  P3: {
    name: 'Low',
    meaning: 'A potential problem seen by monitoring; nothing affected yet',
    acknowledgeMinutes: 240,
    actionMinutes: null,
    updateEveryMinutes: null,
    heatPriority: 'None: monitoring only',
  },
  P4: {
    name: 'Informational',
    meaning: 'For the record only; no action needed',
    acknowledgeMinutes: null,
    actionMinutes: null,
    updateEveryMinutes: null,
    heatPriority: 'None',
  },
}

/** Lower number, more severe: P0 before P1. */
export const compareSeverity = (a: IncidentSeverity, b: IncidentSeverity): number =>
  incidentSeverities.indexOf(a) - incidentSeverities.indexOf(b)
