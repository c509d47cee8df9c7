import 'uplot/dist/uPlot.min.css'
import './trends.css'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { TagInfo } from '../../../../shared/api/contract'
import { pointWidthMs } from '../../../../shared/history/trend'
import { useApi } from '../../api/api-context'
import { useConsole } from '../../store/console-store'
import { maxTrendTags, useNavigation } from '../../store/navigation'
import {
  appendSample,
  backToLive,
  buildTrendData,
  colourOf,
  defaultSpanMs,
  dropBefore,
  formatDateTime,
  formatTrendValue,
  limitLinesOf,
  liveView,
  pan,
  pause,
  pickSpan,
  planScales,
  resetZoom,
  sampleAt,
  sampleOfReading,
  samplesOfHistory,
  trendSpans,
  windowOf,
  zoomTo,
  type TrendData,
  type TrendSample,
  type TrendTag,
  type TrendView,
} from './trend-data'
import { createTrendPlot, type TrendPlot } from './trend-plot'

// Trends (DESIGN.md §5): any tags, history from the store with live values appended, zoom by
// dragging, pan, alarm limits, and a readout at the cursor. Other views open it on their tags with
// openTrend (an alarm's tag, a unit's tags), so an incident's tags are one click away.

const setTrendTags = (tagIds: readonly string[]): void =>
  useNavigation.setState({ trendTagIds: tagIds.slice(0, maxTrendTags) })

/** Waiting this long after the last zoom, pan or resize before asking history for the window. */
const queryDelayMs = 250

/** What history has given for the current window, with the live readings added since. */
type Kept = { pointMs: number; samples: Map<string, TrendSample[]> }
type LiveReading = { tagId: string; sample: TrendSample }

function TagPicker({
  all,
  chosen,
}: {
  all: readonly TagInfo[]
  chosen: readonly TrendTag[]
}): React.JSX.Element {
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  /** The suggestions show while the search has focus, so they never hide the trend's controls. */
  const [focused, setFocused] = useState(false)
  const full = chosen.length >= maxTrendTags
  const matches = useMemo(() => {
    const wanted = query.trim().toLowerCase()
    if (wanted === '' || !focused) return []
    const taken = new Set(chosen.map((tag) => tag.id))
    return all
      .filter(
        (tag) =>
          !taken.has(tag.id) &&
          (tag.name.toLowerCase().includes(wanted) || tag.id.toLowerCase().includes(wanted)),
      )
      .slice(0, 12)
  }, [all, chosen, query, focused])
  const add = (tagId: string): void => {
    setTrendTags([...chosen.map((tag) => tag.id), tagId])
    setQuery('')
    setActive(0)
  }
  const remove = (tagId: string): void =>
    setTrendTags(chosen.map((tag) => tag.id).filter((id) => id !== tagId))

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'ArrowDown') setActive((index) => Math.min(index + 1, matches.length - 1))
    else if (event.key === 'ArrowUp') setActive((index) => Math.max(index - 1, 0))
    else if (event.key === 'Escape') setQuery('')
    else if (event.key === 'Enter') {
      const match = matches[active]
      if (match) add(match.id)
    } else return
    event.preventDefault()
  }

  return (
    <div className="trend-picker">
      <div className="trend-search">
        <label htmlFor="trend-tag-search">Add tag</label>
        <input
          id="trend-tag-search"
          type="search"
          role="combobox"
          aria-expanded={matches.length > 0}
          aria-controls="trend-tag-options"
          aria-activedescendant={matches[active] ? `trend-option-${active}` : undefined}
          autoComplete="off"
          placeholder={full ? `At most ${maxTrendTags} tags` : 'Name or id'}
          disabled={full}
          value={query}
          data-testid="trend-tag-search"
          onChange={(event) => {
            setQuery(event.target.value)
            setActive(0)
          }}
          onKeyDown={onKeyDown}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
        />
        {matches.length > 0 && (
          <ul id="trend-tag-options" role="listbox" className="trend-options">
            {matches.map((tag, index) => (
              <li
                key={tag.id}
                id={`trend-option-${index}`}
                role="option"
                aria-selected={index === active}
                data-testid="trend-tag-option"
                data-tag-id={tag.id}
                // mousedown, not click: the input keeps focus for the next search.
                onMouseDown={(event) => {
                  event.preventDefault()
                  add(tag.id)
                }}
              >
                {tag.name} <span className="muted">{tag.id}</span>
                {tag.unit && <span className="muted"> · {tag.unit}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      <ul className="trend-chips" aria-label="Tags on the trend">
        {chosen.map((tag, index) => (
          <li
            key={tag.id}
            className="trend-chip"
            data-testid="trend-chip"
            data-tag-id={tag.id}
            title={tag.id}
            style={{ borderColor: colourOf(index) }}
          >
            <span className="trend-swatch" style={{ background: colourOf(index) }} />
            {tag.name}
            <button
              type="button"
              aria-label={`Remove ${tag.name} from the trend`}
              onClick={() => remove(tag.id)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {chosen.length > 1 && (
        <button type="button" className="link-button" onClick={() => setTrendTags([])}>
          Remove all
        </button>
      )}
    </div>
  )
}

function Readout({
  tags,
  places,
  data,
  cursorTs,
  live,
}: {
  tags: readonly TrendTag[]
  /** Per tag, its plant's name: tags of different plants often share a name. */
  places: readonly (string | null)[]
  data: TrendData | null
  cursorTs: number | null
  live: boolean
}): React.JSX.Element {
  const at = cursorTs ?? data?.window.to ?? null
  const limits = limitLinesOf(tags)
  return (
    <aside className="trend-readout" data-testid="trend-readout">
      <div className="trend-readout-time" data-testid="trend-readout-time">
        {at === null
          ? '—'
          : `${cursorTs === null ? (live ? 'Now' : 'End') : 'Cursor'} ${formatDateTime(at)}`}
      </div>
      <table>
        <tbody>
          {tags.map((tag, index) => {
            const series = data?.series[index]
            const sample = series && at !== null ? sampleAt(series.samples, at, data.gapMs) : null
            const quality = sample?.quality ?? null
            const worst = sample?.worstQuality ?? null
            const spread =
              sample && sample.min !== null && sample.max !== null && sample.min !== sample.max
            return (
              <tr
                key={tag.id}
                className={`trend-row quality-${quality ?? 'none'}`}
                data-testid="trend-series"
                data-tag-id={tag.id}
                data-quality={quality ?? 'none'}
                data-points={series?.points ?? 0}
                data-min={series?.low ?? undefined}
                data-max={series?.high ?? undefined}
              >
                <th scope="row">
                  <span className="trend-swatch" style={{ background: colourOf(index) }} />
                  {tag.name}
                  <div className="trend-limits">
                    {places[index] && <span className="trend-place">{places[index]}</span>}
                    {limits
                      .filter((line) => line.tagId === tag.id)
                      .map((line) => (
                        <span
                          key={line.level}
                          data-testid="trend-limit"
                          data-tag-id={line.tagId}
                          data-level={line.level}
                          data-value={line.value}
                        >
                          {line.label} {formatTrendValue(line.value)}
                        </span>
                      ))}
                  </div>
                </th>
                <td className="trend-value" data-testid="trend-value">
                  {sample ? formatTrendValue(sample.value) : '—'}
                  <span className="trend-unit"> {tag.unit}</span>
                  {spread && (
                    <div className="trend-spread">
                      {formatTrendValue(sample.min)} – {formatTrendValue(sample.max)}
                    </div>
                  )}
                </td>
                <td className="trend-quality">
                  {quality === null
                    ? 'no data'
                    : quality !== 'good'
                      ? quality.toUpperCase()
                      : worst !== 'good'
                        ? `${worst} at times`
                        : ''}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </aside>
  )
}

export function Trends(): React.JSX.Element {
  const api = useApi()
  const allTags = useConsole((state) => state.tags)
  const tagIds = useNavigation((state) => state.trendTagIds)
  const tags = useMemo(
    (): TrendTag[] =>
      tagIds.map(
        // A tag the site no longer names may still have history: show it under its id.
        (id) => allTags.find((tag) => tag.id === id) ?? { id, name: id, unit: '', limits: null },
      ),
    [allTags, tagIds],
  )
  const plants = useConsole((state) => state.plants)
  const places = useMemo(
    () =>
      tagIds.map((id) => {
        const plantId = allTags.find((tag) => tag.id === id)?.plantId
        return plants.find((plant) => plant.id === plantId)?.name ?? null
      }),
    [allTags, plants, tagIds],
  )
  const scales = useMemo(() => planScales(tags), [tags])
  const [view, setView] = useState<TrendView>(() => liveView(defaultSpanMs))
  const [data, setData] = useState<TrendData | null>(null)
  const [cursorTs, setCursorTs] = useState<number | null>(null)
  const [plotWidth, setPlotWidth] = useState(0)
  const [loading, setLoading] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const live = view.endMs === null

  const plotElement = useRef<HTMLDivElement>(null)
  const plot = useRef<TrendPlot | null>(null)
  const kept = useRef<Kept | null>(null)
  /** Live readings that arrive while history is being asked for; null when none is asked. */
  const arriving = useRef<LiveReading[] | null>(null)

  const redraw = useCallback(() => {
    const history = kept.current
    if (!plot.current || !history) return
    const visible = windowOf(view, Date.now())
    if (view.endMs === null)
      for (const list of history.samples.values()) dropBefore(list, visible.from)
    const next = buildTrendData(tags, scales, history.samples, visible, history.pointMs)
    plot.current.show(next)
    setData(next)
  }, [tags, scales, view])
  const latestRedraw = useRef(redraw)
  useEffect(() => {
    latestRedraw.current = redraw
  }, [redraw])

  // The chart: made again when the tags change (its series and axes follow them), resized with
  // the page.
  useEffect(() => {
    const element = plotElement.current
    if (!element || tags.length === 0) {
      setData(null)
      return
    }
    const created = createTrendPlot(
      element,
      tags,
      scales,
      { width: element.clientWidth, height: element.clientHeight },
      {
        onZoom: (from, to) => setView((current) => zoomTo(current, from, to, Date.now())),
        onCursor: setCursorTs,
        onResetZoom: () => setView((current) => resetZoom(current, Date.now())),
      },
    )
    plot.current = created
    latestRedraw.current()
    const observer = new ResizeObserver(() => {
      created.resize(element.clientWidth, element.clientHeight)
      setPlotWidth(created.width())
    })
    observer.observe(element)
    return () => {
      observer.disconnect()
      created.destroy()
      plot.current = null
    }
  }, [tags, scales])

  // History for the window at one point per pixel, once the operator has stopped zooming or
  // panning. While live it is asked for once; live readings extend it from then on.
  const fetchKey = live ? `live ${view.spanMs}` : `${view.endMs} ${view.spanMs}`
  useEffect(() => {
    if (tags.length === 0 || plotWidth < 2) return
    let cancelled = false
    const timer = setTimeout(() => {
      const asked = windowOf(view, Date.now())
      const query = {
        tagIds: tags.map((tag) => tag.id),
        from: Math.floor(asked.from),
        to: Math.ceil(asked.to),
        maxPoints: plotWidth,
      }
      arriving.current = live ? [] : null
      setLoading(true)
      void api.queryHistory(query).then((result) => {
        if (cancelled) return
        setLoading(false)
        setProblem(result.ok ? null : `History not shown: ${result.error.message}`)
        // Without history the trend still draws what arrives live.
        const pointMs = result.ok
          ? result.value.pointMs
          : pointWidthMs(query.from, query.to, query.maxPoints)
        const samples = new Map(
          tags.map((tag) => [
            tag.id,
            samplesOfHistory(
              (result.ok && result.value.series.find((entry) => entry.tagId === tag.id)?.points) ||
                [],
              pointMs,
            ),
          ]),
        )
        for (const { tagId, sample } of arriving.current ?? []) {
          const list = samples.get(tagId)
          if (list && sample.ts >= query.to) appendSample(list, sample, pointMs)
        }
        arriving.current = null
        kept.current = { pointMs, samples }
        latestRedraw.current()
      })
    }, queryDelayMs)
    return () => {
      cancelled = true
      clearTimeout(timer)
      arriving.current = null
      setLoading(false)
    }
    // fetchKey stands for the view: a live trend moving on each second asks nothing new.
  }, [api, tags, fetchKey, plotWidth])

  // Live readings go straight onto the trend's right end, in the grid history was asked in.
  useEffect(() => {
    if (!live) return
    let frame: number | null = null
    const unsubscribe = useConsole.subscribe((state, previous) => {
      if (state.values === previous.values) return
      const ts = Date.now()
      for (const tag of tags) {
        const value = state.values[tag.id]
        if (!value || value === previous.values[tag.id]) continue
        const sample = sampleOfReading(ts, value.value, value.quality)
        const history = kept.current
        if (arriving.current) arriving.current.push({ tagId: tag.id, sample })
        else if (history) {
          const list = history.samples.get(tag.id)
          if (list) appendSample(list, sample, history.pointMs)
        }
      }
      frame ??= requestAnimationFrame(() => {
        frame = null
        latestRedraw.current()
      })
    })
    return () => {
      unsubscribe()
      if (frame !== null) cancelAnimationFrame(frame)
    }
  }, [tags, live])

  // Redrawn whenever the view changes, and every second while live so the window moves on even
  // when no value changes.
  useEffect(() => {
    redraw()
    if (!live) return
    const timer = setInterval(redraw, 1000)
    return () => clearInterval(timer)
  }, [redraw, live])

  const move = (direction: -1 | 1): void =>
    setView((current) => pan(current, direction, Date.now()))
  const onPlotKey = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'ArrowLeft') move(-1)
    else if (event.key === 'ArrowRight') move(1)
    else if (event.key === 'Escape') setView((current) => resetZoom(current, Date.now()))
    else if (event.key === 'End') setView(backToLive)
    else return
    event.preventDefault()
  }
  const lowest = data?.series.flatMap((series) => (series.low === null ? [] : [series.low]))
  const highest = data?.series.flatMap((series) => (series.high === null ? [] : [series.high]))

  return (
    <main className="trends" data-testid="trends">
      <section className="panel" aria-label="Tags on the trend">
        <TagPicker all={allTags} chosen={tags} />
      </section>
      <section className="panel trend-panel" aria-label="Trend">
        <div className="trend-toolbar" role="toolbar" aria-label="Time range">
          <div className="trend-spans" role="group" aria-label="Range">
            {trendSpans.map((span) => (
              <button
                key={span.ms}
                type="button"
                aria-pressed={view.presetMs === span.ms}
                data-testid="trend-span"
                onClick={() => setView((current) => pickSpan(current, span.ms, Date.now()))}
              >
                {span.label}
              </button>
            ))}
          </div>
          <button type="button" title="Earlier (←)" onClick={() => move(-1)}>
            ← Earlier
          </button>
          <button type="button" title="Later (→)" disabled={live} onClick={() => move(1)}>
            Later →
          </button>
          <button
            type="button"
            title="Reset zoom (Esc, or double-click the trend)"
            disabled={view.spanMs === view.presetMs}
            data-testid="trend-reset-zoom"
            onClick={() => setView((current) => resetZoom(current, Date.now()))}
          >
            Reset zoom
          </button>
          <button
            type="button"
            className="trend-live-button"
            aria-pressed={live}
            title={live ? 'Stop following live' : 'Back to live (End)'}
            data-testid="trend-live"
            onClick={() =>
              setView((current) => (live ? pause(current, Date.now()) : backToLive(current)))
            }
          >
            {live ? 'Live' : 'Back to live'}
          </button>
          <span className="trend-window" data-testid="trend-window">
            {data && `${formatDateTime(data.window.from)} – ${formatDateTime(data.window.to)}`}
          </span>
          {loading && <span className="muted">Loading history…</span>}
          {problem && <span className="error-text">{problem}</span>}
        </div>
        <div className="trend-body">
          <div
            ref={plotElement}
            className="trend-plot"
            data-testid="trend-plot"
            tabIndex={tags.length > 0 ? 0 : -1}
            role="group"
            aria-label="Trend: drag to zoom, double-click or Esc to reset, ← → to move, End for live"
            data-live={live}
            data-from={data?.window.from}
            data-to={data?.window.to}
            data-point-ms={data?.pointMs}
            data-points={data?.series.reduce((sum, series) => sum + series.points, 0)}
            data-min={lowest && lowest.length > 0 ? Math.min(...lowest) : undefined}
            data-max={highest && highest.length > 0 ? Math.max(...highest) : undefined}
            onKeyDown={onPlotKey}
          >
            {tags.length === 0 && (
              <p className="trend-empty">
                Add tags above, or open a trend from an alarm or a plant unit.
              </p>
            )}
          </div>
          {tags.length > 0 && (
            <Readout tags={tags} places={places} data={data} cursorTs={cursorTs} live={live} />
          )}
        </div>
        <p className="trend-hint muted">
          Drag across the trend to zoom; double-click or Esc to reset; ← → move half a window; End
          for live. The pale band is each point&apos;s min to max; the purple strip marks bad or
          stale readings, where lines break.
        </p>
      </section>
    </main>
  )
}
