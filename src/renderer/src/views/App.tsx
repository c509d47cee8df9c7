import { openPage, openPlant, useNavigation, type PageId } from '../store/navigation'
import { AlarmSummaryBar } from './alarms/AlarmSummaryBar'
import { Alarms } from './alarms/Alarms'
import { Connections } from './connections/Connections'
import { Drills } from './drills/Drills'
import { IncidentNotice } from './incidents/IncidentNotice'
import { Incidents } from './incidents/Incidents'
import { Journal } from './journal/Journal'
import { HeatStrip } from './overview/HeatStrip'
import { Overview } from './overview/Overview'
import { Sync } from './sync/Sync'
import { Trends } from './trends/Trends'
import { SiteProblems } from './SiteProblems'
import {
  DrillNotice,
  LinkLostNotice,
  RecordingNotice,
  StatusBanner,
  StorageNotice,
} from './StatusBanner'

const pages: { id: PageId; title: string }[] = [
  { id: 'overview', title: 'Overview' },
  { id: 'alarms', title: 'Alarms' },
  { id: 'incidents', title: 'Incidents' },
  { id: 'trends', title: 'Trends' },
  { id: 'connections', title: 'Connections' },
  { id: 'journal', title: 'Journal' },
  { id: 'sync', title: 'Sync' },
  { id: 'drills', title: 'Drills' },
]

export function App(): React.JSX.Element {
  const page = useNavigation((state) => state.page)
  return (
    <div className="console">
      <StatusBanner />
      {/* Alarms and heat status stay in sight on every page (ISA-18.2, issue 6). */}
      <AlarmSummaryBar />
      <RecordingNotice />
      <StorageNotice />
      <DrillNotice />
      <HeatStrip />
      <IncidentNotice />
      <LinkLostNotice />
      <nav className="pages" aria-label="Pages">
        {pages.map(({ id, title }) => (
          <button
            key={id}
            type="button"
            className="page-tab"
            aria-current={page === id ? 'page' : undefined}
            // The Overview tab always goes back up to every plant on one screen.
            onClick={() => (id === 'overview' ? openPlant(null) : openPage(id))}
          >
            {title}
          </button>
        ))}
      </nav>
      <SiteProblems />
      {page === 'overview' && <Overview />}
      {page === 'alarms' && <Alarms />}
      {page === 'incidents' && <Incidents />}
      {page === 'trends' && <Trends />}
      {page === 'connections' && <Connections />}
      {page === 'journal' && <Journal />}
      {page === 'sync' && <Sync />}
      {page === 'drills' && <Drills />}
    </div>
  )
}
