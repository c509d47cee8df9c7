import './overview.css'
import { useConsole } from '../../store/console-store'
import { openPlant, useNavigation } from '../../store/navigation'
import { useNow } from '../use-now'
import { unitOf } from './overview-model'
import { PlantDetail } from './PlantDetail'
import { PlantPanel } from './PlantPanel'
import { TagTable } from './readings'
import { useSiteView, type SiteView } from './site-view'
import { UnitDetail } from './UnitDetail'

// The overview page and the levels below it (ISA-101): every plant on one screen, then a plant,
// then a unit. Which one shows is the navigation store's plantId and unitId, so any view (a heat
// chip, an alarm) can take the operator straight to a plant or unit.

function AllPlants({ view, now }: { view: SiteView; now: number }): React.JSX.Element {
  return (
    <main className="plant-overview" aria-label="All plants">
      <div className="plant-grid">
        {view.plants.map((plant) => (
          <PlantPanel key={plant.id} plant={plant} view={view} now={now} />
        ))}
      </div>
      {view.tags.unplaced.length > 0 && (
        <section className="panel" aria-labelledby="unplaced-tags">
          <h2 id="unplaced-tags">Tags outside any plant</h2>
          <TagTable tags={view.tags.unplaced} now={now} />
        </section>
      )}
    </main>
  )
}

/** A plant or unit asked for that the site does not have (any more): say so, offer the way back. */
function NotInSite({ what }: { what: string }): React.JSX.Element {
  return (
    <main className="plant-page">
      <p className="panel" role="alert">
        {what} is not in the site file.{' '}
        <button type="button" className="link-button" onClick={() => openPlant(null)}>
          ← All plants
        </button>
      </p>
    </main>
  )
}

export function Overview(): React.JSX.Element {
  const plantId = useNavigation((state) => state.plantId)
  const unitId = useNavigation((state) => state.unitId)
  // Before the site has loaded there is nothing to find a plant in yet.
  const loaded = useConsole((state) => state.info !== null)
  const view = useSiteView()
  const now = useNow(1000)
  if (plantId === null) return <AllPlants view={view} now={now} />
  const plant = view.plants.find((candidate) => candidate.id === plantId)
  if (!plant)
    return loaded ? <NotInSite what={`Plant ${plantId}`} /> : <AllPlants view={view} now={now} />
  if (unitId === null) return <PlantDetail plant={plant} view={view} now={now} />
  const unit = unitOf(plant, unitId)
  if (!unit) return <NotInSite what={`Unit ${unitId} of ${plant.name}`} />
  return <UnitDetail plant={plant} unit={unit} view={view} now={now} />
}
