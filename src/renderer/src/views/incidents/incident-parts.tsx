import { useState } from 'react'
import type { IncidentSeverity } from '../../../../shared/incidents/severity'
import type { IncidentView } from '../../../../shared/incidents/view'
import type { Result } from '../../../../shared/result'
import { applyIncidentView } from '../../store/console-store'
import { severityLabel, type Countdown } from './incident-view'

// Pieces every incident view shares: the severity badge, a countdown, and how an action's answer
// reaches the screen.

const severityShapes: Record<IncidentSeverity, string> = {
  P0: '◆',
  P1: '▲',
  P2: '■',
  P3: '●',
  P4: '○',
}

/** Severity as colour, shape and word (ISA-101 redundant coding): never colour alone. */
export function SeverityMark({
  severity,
  compact = false,
}: {
  severity: IncidentSeverity
  /** Just the shape and "P0", where the sentence around it says the rest. */
  compact?: boolean
}): React.JSX.Element {
  return (
    <span className={`severity-mark severity-${severity}`} data-severity={severity}>
      <span aria-hidden="true">{severityShapes[severity]}</span>{' '}
      {compact ? severity : severityLabel(severity)}
    </span>
  )
}

/** A countdown; past its target it says OVERDUE in words as well as in colour. */
export function CountdownText({ countdown }: { countdown: Countdown }): React.JSX.Element {
  return (
    <span className={countdown.overdue ? 'incident-overdue' : 'incident-countdown'}>
      {countdown.text}
    </span>
  )
}

export function DrillMark(): React.JSX.Element {
  return <span className="drill-tag">DRILL</span>
}

export type Notice = { kind: 'done' | 'refused'; text: string }

/**
 * Runs an incident action: its answer lands in the store at once, a refusal is said in words. The
 * caller learns whether it went through, to clear its form only then.
 */
export function useIncidentAction() {
  const [busy, setBusy] = useState(false)
  const [notice, setNotice] = useState<Notice | null>(null)
  const run = async (
    action: string,
    call: () => Promise<Result<{ incident: IncidentView }>>,
    done: string | null = null,
  ): Promise<IncidentView | null> => {
    setBusy(true)
    try {
      const result = await call()
      if (!result.ok) {
        setNotice({ kind: 'refused', text: `${action} refused: ${result.error.message}` })
        return null
      }
      applyIncidentView(result.value.incident)
      setNotice(done === null ? null : { kind: 'done', text: done })
      return result.value.incident
    } finally {
      setBusy(false)
    }
  }
  return { run, busy, notice, setNotice }
}

export type IncidentAction = ReturnType<typeof useIncidentAction>

export function NoticeLine({
  notice,
  onDismiss,
}: {
  notice: Notice | null
  onDismiss: () => void
}): React.JSX.Element | null {
  if (!notice) return null
  return (
    <p
      className={`incident-notice-line incident-notice-${notice.kind}`}
      role={notice.kind === 'refused' ? 'alert' : 'status'}
      data-testid="incident-action-notice"
      data-kind={notice.kind}
    >
      {notice.text}{' '}
      <button type="button" onClick={onDismiss}>
        Dismiss
      </button>
    </p>
  )
}
