import uPlot from 'uplot'
import {
  colourOf,
  limitLinesOf,
  timeTickLabels,
  type TrendData,
  type TrendScale,
  type TrendTag,
} from './trend-data'
import { paintTrend, pixelOf } from './trend-raster'

// The trend page's chart, apart from React so that the benchmark draws with exactly the options
// and drawing code the page uses (bench/trend.bench.mjs). uPlot draws the frame (time and unit
// axes, grid, alarm limits, cursor, drag-to-zoom); the lines and envelopes are painted into pixels
// by trend-raster.ts on a canvas laid over the plotting area.

export type TrendPlotEvents = {
  /** The operator dragged across [from, to). */
  onZoom: (from: number, to: number) => void
  /** The time under the cursor; null when the cursor leaves the plot. */
  onCursor: (ts: number | null) => void
  /** A double click: back to the picked range. */
  onResetZoom: () => void
}

export type TrendPlot = {
  /** Draws `data` now, synchronously: scales, uPlot's frame and the lines. */
  show: (data: TrendData) => void
  resize: (width: number, height: number) => void
  /** The plotting area's width in CSS pixels: how many points a history query should ask for. */
  width: () => number
  destroy: () => void
}

const text = '#1d1d1d'
const grid = 'rgba(0, 0, 0, 0.09)'
const badQuality = '#7a2a8a'
const font = '12px "DejaVu Sans", "Segoe UI", "Liberation Sans", Arial, sans-serif'

/** Canvas colour with an alpha, from the palette's #rrggbb. */
const withAlpha = (colour: string, alpha: number): string =>
  `${colour}${Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0')}`

const asGiven: uPlot.Scale.Range = (_u, min, max) => [min, max]

/** Limits and the bad-quality strip, on uPlot's canvas under the lines. */
function drawOverlays(u: uPlot, tags: readonly TrendTag[], data: TrendData | null): void {
  const { ctx, bbox } = u
  const ratio = uPlot.pxRatio
  const right = bbox.left + bbox.width
  ctx.save()
  ctx.beginPath()
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height)
  ctx.clip()

  // Bad or stale stretches: a band along the bottom in the bad-quality colour, where lines break.
  if (data) {
    ctx.fillStyle = withAlpha(badQuality, 0.55)
    const height = 5 * ratio
    for (const stretch of data.badStretches) {
      const from = u.valToPos(stretch.from, 'x', true)
      const to = Math.max(u.valToPos(stretch.to, 'x', true), from + ratio)
      ctx.fillRect(from, bbox.top + bbox.height - height, to - from, height)
    }
  }

  // Alarm limits: dashed, in the tag's colour, labelled at the left edge (the right is where the
  // live values are).
  ctx.lineWidth = ratio
  ctx.setLineDash([6 * ratio, 4 * ratio])
  ctx.font = font.replace('12px', `${Math.round(11 * ratio)}px`)
  ctx.textAlign = 'left'
  ctx.textBaseline = 'bottom'
  for (const line of limitLinesOf(tags)) {
    const index = tags.findIndex((tag) => tag.id === line.tagId)
    const colour = colourOf(index)
    const scale = data?.series[index]?.scale
    if (!scale) continue
    const y = Math.round(u.valToPos(line.value, scale, true)) + 0.5
    ctx.strokeStyle = colour
    ctx.beginPath()
    ctx.moveTo(bbox.left, y)
    ctx.lineTo(right, y)
    ctx.stroke()
    ctx.fillStyle = colour
    ctx.fillText(line.label, bbox.left + 4 * ratio, y - 2 * ratio)
  }
  ctx.restore()
}

export function createTrendPlot(
  target: HTMLElement,
  tags: readonly TrendTag[],
  scales: readonly TrendScale[],
  size: { width: number; height: number },
  events: TrendPlotEvents,
): TrendPlot {
  let shown: TrendData | null = null
  let painted = false
  const axes: uPlot.Axis[] = [
    {
      stroke: text,
      font,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 4 },
      // Room for "00:00:00" between ticks.
      space: 70,
      values: (_u, ticks, _axis, _space, step) => timeTickLabels(ticks, step),
    },
    ...scales.flatMap((scale, index): uPlot.Axis[] =>
      scale.side === null
        ? []
        : [
            {
              scale: scale.key,
              side: scale.side === 'left' ? 3 : 1,
              label: scale.unit || '(no unit)',
              stroke: text,
              font,
              labelFont: font,
              labelSize: 18,
              size: 52,
              // One grid is calm; a grid per axis is a mesh.
              grid: { show: index === 0, stroke: grid, width: 1 },
              ticks: { stroke: grid, width: 1, size: 4 },
            },
          ],
    ),
  ]
  const options: uPlot.Options = {
    width: size.width,
    height: size.height,
    ms: 1,
    legend: { show: false },
    padding: [12, 8, 0, 8],
    // Every range is set by show(), exactly: uPlot would pad a y range it is given without data.
    scales: {
      x: { time: true, auto: false, range: asGiven },
      ...Object.fromEntries(scales.map((scale) => [scale.key, { auto: false, range: asGiven }])),
    },
    axes,
    // The lines are painted by paintTrend on a canvas of their own (see trend-raster.ts): uPlot's
    // only series is time.
    series: [{}],
    cursor: {
      y: false,
      points: { show: false },
      // The page zooms (and queries history for the new window) rather than uPlot.
      drag: { x: true, y: false, setScale: false },
      bind: {
        dblclick: () => () => {
          events.onResetZoom()
          return null
        },
      },
    },
    hooks: {
      setSelect: [
        (u) => {
          const { left, width } = u.select
          if (width >= 3) events.onZoom(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'))
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
        },
      ],
      setCursor: [
        (u) => {
          const left = u.cursor.left ?? -1
          events.onCursor(left >= 0 ? u.posToVal(left, 'x') : null)
        },
      ],
      draw: [
        (u) => {
          drawOverlays(u, tags, shown)
          paintLines(u)
          painted = true
        },
      ],
    },
  }

  // The lines' canvas: over the plotting area, under the cursor and the selection (uPlot adds
  // those after). It holds the plot transposed, each plot column one canvas row, because
  // paintTrend fills column-major; the CSS transform (a reflection in the diagonal) turns it back
  // as the page is composited, at no cost to the redraw.
  const linesCanvas = document.createElement('canvas')
  linesCanvas.className = 'trend-lines'
  Object.assign(linesCanvas.style, {
    position: 'absolute',
    left: '0',
    top: '0',
    pointerEvents: 'none',
    transformOrigin: '0 0',
    transform: 'matrix(0, 1, 1, 0, 0, 0)',
  })
  const linesContext = linesCanvas.getContext('2d')
  let image: ImageData | null = null
  const linePixels = tags.map((_, index) => pixelOf(colourOf(index), 255))
  const envelopePixels = tags.map((_, index) => pixelOf(colourOf(index), 90))
  const paintLines = (u: uPlot): void => {
    const width = Math.round(u.bbox.width)
    const height = Math.round(u.bbox.height)
    if (!linesContext || width < 1 || height < 1) return
    if (!image || image.width !== height || image.height !== width) {
      linesCanvas.width = height
      linesCanvas.height = width
      linesCanvas.style.width = `${height / uPlot.pxRatio}px`
      linesCanvas.style.height = `${width / uPlot.pxRatio}px`
      image = linesContext.createImageData(height, width)
    }
    if (!shown) return
    const pixels = new Uint32Array(image.data.buffer)
    // As thick as a 1.5 px line, to read at a glance from the operator's chair.
    const pen = {
      columns: Math.max(1, Math.round(uPlot.pxRatio)),
      rows: Math.max(1, Math.round(1.5 * uPlot.pxRatio)),
    }
    paintTrend({ pixels, width, height }, shown, linePixels, envelopePixels, pen)
    linesContext.putImageData(image, 0, 0)
  }

  const plot = new uPlot(options, [[]], target)
  plot.over.prepend(linesCanvas)
  return {
    show: (data) => {
      shown = data
      painted = false
      plot.batch(() => {
        plot.setScale('x', { min: data.window.from, max: data.window.to })
        for (const [key, range] of Object.entries(data.ranges)) plot.setScale(key, range)
      })
      // uPlot redraws only when a scale moved; new data on the same scales is painted here.
      if (!painted) paintLines(plot)
    },
    resize: (width, height) => plot.setSize({ width, height }),
    width: () => Math.round(plot.bbox.width / uPlot.pxRatio),
    destroy: () => plot.destroy(),
  }
}
