import { useState } from 'react'
import { Connections } from './connections/Connections'
import { Overview } from './Overview'
import { SiteProblems } from './SiteProblems'
import { LinkLostNotice, StatusBanner } from './StatusBanner'

const pages = [
  { id: 'overview', title: 'Overview' },
  { id: 'connections', title: 'Connections' },
] as const
type PageId = (typeof pages)[number]['id']

export function App(): React.JSX.Element {
  const [page, setPage] = useState<PageId>('overview')
  return (
    <div className="console">
      <StatusBanner />
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
      {page === 'overview' ? <Overview /> : <Connections />}
    </div>
  )
}
