import type { SyncStatus } from '../../../../shared/sync/status'
import { formatAge } from '../use-now'

/** The one line the banner shows about sync, so the backlog and the last error are always visible. */
export function syncSummary(sync: SyncStatus | null, now: number): string {
  if (!sync) return 'Sync: …'
  if (sync.state === 'disabled') return 'Sync: no central system configured'
  const waiting =
    sync.backlog.count === 0
      ? 'nothing waiting'
      : `${sync.backlog.count.toLocaleString('en-US')} waiting${
          sync.backlog.oldestTs === null ? '' : `, oldest ${formatAge(now - sync.backlog.oldestTs)}`
        }`
  const quarantine = sync.quarantineCount > 0 ? ` · ${sync.quarantineCount} in quarantine` : ''
  const state = sync.state === 'backing-off' ? 'retrying' : sync.state
  return `Sync: ${state} · ${waiting}${quarantine}`
}
