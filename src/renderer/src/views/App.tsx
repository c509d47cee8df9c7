import { useState } from 'react'
import { Connections } from './connections/Connections'
import { Drills } from './drills/Drills'
import { Journal } from './journal/Journal'
import { Sync } from './sync/Sync'
import { Overview } from './Overview'
import { SiteProblems } from './SiteProblems'
import {
  DrillNotice,
  LinkLostNotice,
  RecordingNotice,
  StatusBanner,
  StorageNotice,
} from './StatusBanner'

const pages = [
  { id: 'overview', title: 'Overview' },
  { id: 'connections', title: 'Connections' },
  { id: 'journal', title: 'Journal' },
  { id: 'sync', title: 'Sync' },
  { id: 'drills', title: 'Drills' },
] as const
type PageId = (typeof pages)[number]['id']

export function App(): React.JSX.Element {
  const [page, setPage] = useState<PageId>('overview')
  return (
    <div className="console">
      <StatusBanner />
      <RecordingNotice />
      <StorageNotice />
      <DrillNotice />
      <LinkLostNotice />
      <nav className="pages" aria-label="Pages">
        {pages.map(({ id, title }) => (
          <button
            key={id}
            type="button"
            className="page-tab"
            aria-current={page === id ? 'page' : undefined}
            onClick={() => setPage(id)}
          >
            {title}
          </button>
        ))}
      </nav>
      <SiteProblems />
      {page === 'overview' && <Overview />}
      {page === 'connections' && <Connections />}
      {page === 'journal' && <Journal />}
      {page === 'sync' && <Sync />}
      {page === 'drills' && <Drills />}
    </div>
  )
}
