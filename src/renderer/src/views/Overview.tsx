import type { TagInfo } from '../../../shared/api/contract'
import type { TagValue } from '../../../shared/field/values'
import { useConsole } from '../store/console-store'
import { formatAge, useNow } from './use-now'

function formatValue(value: TagValue['value']): string {
  if (value === null) return '—'
  if (typeof value === 'number') return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(2)
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF'
  return value
}

/** One reading, never without its quality, age and source (DESIGN.md §4). */
function TagRow({
  tag,
  value,
  now,
}: {
  tag: TagInfo
  value: TagValue | undefined
  now: number
}): React.JSX.Element {
  const quality = value?.quality ?? 'bad'
  return (
    <tr
      className={`tag-row quality-${quality}`}
      data-testid="tag-row"
      data-tag-id={tag.id}
      data-quality={quality}
      data-received={value?.receivedTs}
    >
      <th scope="row">{tag.name}</th>
      <td className="tag-value" data-testid="tag-value">
        {formatValue(value?.value ?? null)}
      </td>
      <td className="tag-unit">{tag.unit}</td>
      <td className="tag-quality" title={value?.reason ?? ''}>
        {quality === 'good'
          ? 'good'
          : `${quality.toUpperCase()}${value?.reason ? `: ${value.reason}` : ''}`}
      </td>
      <td className="tag-age" data-testid="tag-age">
        {value ? formatAge(now - value.receivedTs) : '—'}
      </td>
      <td className="tag-source">{tag.sourceId}</td>
    </tr>
  )
}

/** Without the backend nothing on screen is live any more: show every value as stale, saying why. */
function asSeenWithoutBackend(value: TagValue | undefined): TagValue | undefined {
  return value && { ...value, quality: 'stale', reason: 'console backend lost' }
}

function TagTable({ tags, now }: { tags: TagInfo[]; now: number }): React.JSX.Element {
  const values = useConsole((state) => state.values)
  const live = useConsole((state) => state.link.status === 'connected')
  return (
    <table className="tag-table">
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col" className="tag-value">
            Value
          </th>
          <th scope="col">Unit</th>
          <th scope="col">Quality</th>
          <th scope="col">Age</th>
          <th scope="col">Source</th>
        </tr>
      </thead>
      <tbody>
        {tags.map((tag) => (
          <TagRow
            key={tag.id}
            tag={tag}
            value={live ? values[tag.id] : asSeenWithoutBackend(values[tag.id])}
            now={now}
          />
        ))}
      </tbody>
    </table>
  )
}

/** Every plant on one screen (ISA-101 level 1); the alarm and trend issues build on this page. */
export function Overview(): React.JSX.Element {
  const plants = useConsole((state) => state.plants)
  const tags = useConsole((state) => state.tags)
  const now = useNow(1000)
  const unplaced = tags.filter((tag) => tag.plantId === null)
  return (
    <main className="overview">
      {plants.map((plant) => (
        <section
          className="panel plant"
          key={plant.id}
          data-testid="plant"
          data-plant-id={plant.id}
        >
          <h2>{plant.name}</h2>
          <TagTable tags={tags.filter((tag) => tag.plantId === plant.id)} now={now} />
        </section>
      ))}
      {unplaced.length > 0 && (
        <section className="panel plant">
          <h2>Tags outside any plant</h2>
          <TagTable tags={unplaced} now={now} />
        </section>
      )}
    </main>
  )
}
