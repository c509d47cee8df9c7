import { useEffect } from 'react'
import { useConsole } from '../store/console-store'

/**
 * The persistent banner of DESIGN.md §5: which site, how the console gets its data, and whether the
 * backend is there at all. The window title says the same, for the taskbar.
 */
export function StatusBanner(): React.JSX.Element {
  const info = useConsole((state) => state.info)
  const link = useConsole((state) => state.link)
  const siteName = info?.site?.name ?? 'No site loaded'
  // No sync exists yet: the console always reads the plants directly.
  const dataPath = 'Reading plants directly'

  useEffect(() => {
    document.title = `Pilot Light — ${siteName} — ${link.status === 'connected' ? dataPath : 'backend lost'}`
  }, [siteName, link.status])

  return (
    <header className="banner">
      <span className="banner-product">PILOT LIGHT</span>
      <span className="banner-site" data-testid="site-name">
        {siteName}
      </span>
      <span className="banner-mode" data-testid="data-path">
        {dataPath}
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
