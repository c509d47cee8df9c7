import { Overview } from './Overview'
import { SiteProblems } from './SiteProblems'
import { SourcesPanel } from './SourcesPanel'
import { LinkLostNotice, StatusBanner } from './StatusBanner'

export function App(): React.JSX.Element {
  return (
    <div className="console">
      <StatusBanner />
      <LinkLostNotice />
      <SiteProblems />
      <Overview />
      <SourcesPanel />
    </div>
  )
}
