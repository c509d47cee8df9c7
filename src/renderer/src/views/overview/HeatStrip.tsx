import './overview.css'
import { useMemo } from 'react'
import { useConsole } from '../../store/console-store'
import { openPlant } from '../../store/navigation'
import { formatAge, useNow } from '../use-now'
import { heatWords } from './overview-model'

/**
 * Heat status of every plant that has rules, on every page (issue 6: "shown everywhere"): the plant
 * and its state in words, coloured only when not normal, one click from the plant's page.
 */
export function HeatStrip(): React.JSX.Element | null {
  const plants = useConsole((state) => state.plants)
  const heat = useConsole((state) => state.heat)
  const live = useConsole((state) => state.link.status === 'connected')
  const now = useNow(1000)
  const shown = useMemo(
    () =>
      plants.flatMap((plant) => {
        const status = heat[plant.id]
        return status ? [{ plant, status }] : []
      }),
    [plants, heat],
  )
  if (shown.length === 0) return null
  return (
    <nav
      className={`heat-strip${live ? '' : ' heat-frozen'}`}
      data-testid="heat-strip"
      aria-label="Heat status per plant"
      title={live ? undefined : 'Last status heard: the console backend is lost'}
    >
      <span className="heat-strip-label">Heat</span>
      {shown.map(({ plant, status }) => {
        const abnormal = status.state !== 'normal'
        return (
          <button
            key={plant.id}
            type="button"
            className={`heat-chip heat-chip-${status.state}`}
            data-testid="heat-chip"
            data-plant-id={plant.id}
            data-heat-state={status.state}
            title={status.reasons.join('\n') || undefined}
            onClick={() => openPlant(plant.id)}
          >
            {plant.name}{' '}
            <strong className={`heat-word heat-${status.state}`}>{heatWords[status.state]}</strong>
            {abnormal && <span className="heat-since"> {formatAge(now - status.since)}</span>}
          </button>
        )
      })}
    </nav>
  )
}
