import { formatFileProblem } from '../../../shared/file-problem'
import { useConsole } from '../store/console-store'

/** A broken site file must not leave a blank window: say exactly what to fix, and where. */
export function SiteProblems(): React.JSX.Element | null {
  const info = useConsole((state) => state.info)
  const loadError = useConsole((state) => state.loadError)
  if (loadError) {
    return (
      <section className="panel panel-alarm" role="alert">
        <h2>The console could not load its state</h2>
        <p>{loadError}</p>
      </section>
    )
  }
  if (!info || info.siteProblems.length === 0) return null
  return (
    <section className="panel panel-alarm" role="alert" data-testid="site-problems">
      <h2>The site file could not be loaded</h2>
      <p>
        Fix <code>{info.siteFile}</code> and restart the console. No plant data is being read until
        then.
      </p>
      <ul>
        {info.siteProblems.map((problem, index) => (
          <li key={index}>
            <code>{formatFileProblem(problem)}</code>
          </li>
        ))}
      </ul>
    </section>
  )
}
