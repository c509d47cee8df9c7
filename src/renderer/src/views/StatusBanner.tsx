import { useEffect, useState } from 'react'
import { useConsole, useDrillRunning } from '../store/console-store'
import { syncSummary } from './sync/sync-summary'
import { useNow } from './use-now'

/**
 * The persistent banner of DESIGN.md §5: which site, how the console gets its data, and whether the
 * backend is there at all. The window title says the same, for the taskbar.
 */
export function StatusBanner(): React.JSX.Element {
  const info = useConsole((state) => state.info)
  const link = useConsole((state) => state.link)
  const drill = useDrillRunning()
  const sync = useConsole((state) => state.sync)
  const now = useNow()
  // Select the array itself: a fresh `?? []` each render would make zustand re-render forever.
  const simulatedPlants = useConsole((state) => state.drill?.simulatedPlants)
  const siteName = info?.site?.name ?? 'No site loaded'
  // The console always reads the plants itself (the simulated ones in a drill); whether the central
  // system has its journal is the sync part, in the title and beside it in the banner.
  const dataPath = drill
    ? `In a drill (simulated: ${(simulatedPlants ?? []).join(', ')})`
    : 'Reading plants directly'

  useEffect(() => {
    const state = link.status === 'connected' ? dataPath : 'backend lost'
    const central =
      !sync || sync.state === 'disabled'
        ? ''
        : ` — central system ${sync.state === 'backing-off' ? 'retrying' : sync.state}`
    document.title = `${drill ? 'DRILL — ' : ''}Pilot Light — ${siteName} — ${state}${central}`
  }, [siteName, link.status, dataPath, drill, sync])

  return (
    <header className={drill ? 'banner banner-drill' : 'banner'}>
      <span className="banner-product">PILOT LIGHT</span>
      {drill && <span className="banner-drill-mark">DRILL</span>}
      <span className="banner-site" data-testid="site-name">
        {siteName}
      </span>
      <span className="banner-mode" data-testid="data-path">
        {dataPath}
      </span>
      <span
        className={`banner-sync banner-sync-${sync?.state ?? 'unknown'}`}
        data-testid="sync-status"
        title={sync?.lastError ? `Last error: ${sync.lastError.message}` : undefined}
      >
        {syncSummary(sync, now)}
      </span>
      <span className="banner-spacer" />
      <span className={`banner-link banner-link-${link.status}`} data-testid="link-status">
        {link.status === 'connected' ? `Backend connected · ${info?.mode ?? ''} mode` : link.detail}
      </span>
    </header>
  )
}

/** Shown over everything while the backend is unreachable: values on screen are no longer live. */
export function LinkLostNotice(): React.JSX.Element | null {
  const link = useConsole((state) => state.link)
  if (link.status === 'connected') return null
  return (
    <div className="link-lost" role="alert" data-testid="link-lost">
      <strong>{link.status === 'connecting' ? 'Connecting' : 'Disconnected'}</strong> {link.detail}{' '}
      Values below are frozen at their last reading.
    </div>
  )
}

/**
 * A drill must be impossible to mistake for a real event (DESIGN.md §4): while one runs, every page
 * carries this strip under the banner, with what is being rehearsed.
 */
export function DrillNotice(): React.JSX.Element | null {
  const drill = useConsole((state) => state.drill)
  if (drill?.status !== 'running') return null
  return (
    <div className="drill-notice" role="status" data-testid="drill-banner">
      <strong>DRILL</strong> {drill.scenario.title} ({drill.scenario.severity} rehearsal): the
      simulated plants follow a rehearsal script, and nothing can be written to a real plant.
    </div>
  )
}

/**
 * Whether the console is recording. Refused: red and permanent, since nothing done here will be in
 * the record. Recovered: the damaged journal was kept aside, which the operator acknowledges once.
 */
export function RecordingNotice(): React.JSX.Element | null {
  const recording = useConsole((state) => state.info?.recording)
  const [acknowledged, setAcknowledged] = useState(false)
  if (!recording) return null
  if (recording.state === 'refused') {
    return (
      <div className="recording-refused" role="alert" data-testid="recording-refused">
        NOT RECORDING: {recording.problem} Values are live, but nothing done at this console is
        journalled.
      </div>
    )
  }
  if (recording.recovery && !acknowledged) {
    return (
      <div className="recording-recovered" role="alert" data-testid="recording-recovered">
        {recording.recovery.message}{' '}
        <button type="button" onClick={() => setAcknowledged(true)}>
          Understood
        </button>
      </div>
    )
  }
  return null
}

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** The disk budget at 80 % or more, or a history problem: the operator (or IT) must act. */
export function StorageNotice(): React.JSX.Element | null {
  const storage = useConsole((state) => state.storage)
  if (!storage || (!storage.warning && !storage.historyProblem)) return null
  return (
    <div className="recording-recovered" role="alert" data-testid="storage-warning">
      {storage.warning &&
        `Disk budget ${Math.round(storage.fraction * 100)} % used (${megabytes(
          storage.journalBytes + (storage.historyBytes ?? 0),
        )} of ${megabytes(storage.budgetBytes)}): tag history prunes its oldest data to stay within it; the journal keeps everything. `}
      {storage.historyProblem}
    </div>
  )
}
