import type { TrendData } from './trend-data'

// Draws the trend's lines and envelopes straight into pixels. Canvas paths are too slow for the
// redraw target (DESIGN.md §7: 20 series × 3,600 points ≤ 4 ms): stroking and rasterising that
// many anti-aliased segments takes tens of milliseconds in Chromium's software canvas, while
// filling one span of rows per pixel column takes a few. uPlot still draws the frame: axes, grid,
// limits, cursor and selection. Lines are not anti-aliased, as on most control-system trends.

/**
 * The plotting area in device pixels, one 32-bit RGBA pixel per element, column by column:
 * pixel (x, y) is pixels[x * height + y]. Every span drawn is part of a column, so column-major
 * makes each one a single contiguous fill. The canvas holding it is the plot transposed, turned
 * back by a CSS transform (trend-plot.ts).
 */
export type Raster = { pixels: Uint32Array; width: number; height: number }

/**
 * How a line is thickened: each column's span drawn `columns` wide and `rows` taller. A flat line
 * (most process values, most of the time) looks as thick as `rows`; a steep one is made of
 * vertical spans and needs no more width, so one column is enough at one device pixel per CSS
 * pixel, and half the pixels to write.
 */
export type Pen = { columns: number; rows: number }

/** paintTrend's rows per column, kept between paints: a live trend redraws every second. */
let scratch = new Int32Array(0)

/**
 * A #rrggbb colour with an alpha (0–255) as one ImageData pixel. ImageData is bytes R, G, B, A in
 * memory, which a Uint32Array on a little-endian machine (every machine the console runs on)
 * reads as A B G R from the top byte down.
 */
export function pixelOf(colour: string, alpha: number): number {
  const red = parseInt(colour.slice(1, 3), 16)
  const green = parseInt(colour.slice(3, 5), 16)
  const blue = parseInt(colour.slice(5, 7), 16)
  return ((alpha << 24) | (blue << 16) | (green << 8) | red) >>> 0
}

/**
 * Paints `data` into `raster` (cleared first): every tag's envelope (min to max of each sample, in
 * `envelopes[i]`), then every tag's line (in `lines[i]`, drawn with `pen`), so no envelope covers
 * a line. A line joins a tag's samples and breaks at NaN and across silences longer than gapMs.
 *
 * Each tag is reduced to one span of rows per pixel column for its envelope and one for its line
 * (a connected line covers, in each column, the rows between where it enters and leaves), so
 * however many samples share a column, each pixel is written once per tag.
 */
export function paintTrend(
  raster: Raster,
  data: TrendData,
  lines: readonly number[],
  envelopes: readonly number[],
  pen: Pen,
): void {
  const { pixels, width, height } = raster
  pixels.fill(0)
  if (data.window.to <= data.window.from || width < 1 || height < 1) return
  const count = data.series.length
  // Per tag and column, the rows its line covers (top > bottom where none), kept for the second
  // pass: lines go over every tag's envelope.
  if (scratch.length < 2 * count * width) scratch = new Int32Array(2 * count * width)
  const lineTop = scratch.subarray(0, count * width).fill(height)
  const lineBottom = scratch.subarray(count * width, 2 * count * width).fill(-1)
  for (let index = 0; index < count; index++)
    traceSeries(data, index, raster, envelopes[index] ?? 0, lineTop, lineBottom)
  for (let index = 0; index < count; index++)
    fillColumns(raster, lineTop, lineBottom, index * width, lines[index] ?? 0, pen)
}

// Plain functions over typed arrays and locals, not closures: V8 keeps them optimised, and a
// redraw walks every sample of every tag. Samples are in time order, so a tag visits each column
// in one run: the run's rows are kept in locals and written once, when the next column starts.

/**
 * Paints tag `index`'s envelope, and notes the rows its line covers per column in lineTop and
 * lineBottom (from index × width on).
 */
function traceSeries(
  data: TrendData,
  index: number,
  raster: Raster,
  envelopePixel: number,
  lineTop: Int32Array,
  lineBottom: Int32Array,
): void {
  const { pixels, width, height } = raster
  const { ts, line, min, max, scale } = data.series[index] as TrendData['series'][number]
  const base = index * width
  const range = data.ranges[scale] ?? { min: 0, max: 1 }
  const rowsPerUnit = (height - 1) / (range.max - range.min)
  const top = range.max
  const from = data.window.from
  const xPerMs = (width - 1) / (data.window.to - from)
  const gapMs = data.gapMs
  // The envelope's current column and rows.
  let envelopeColumn = -1
  let envelopeTop = 0
  let envelopeBottom = 0
  // The line's current column and rows.
  let lineColumn = -1
  let spanTop = 0
  let spanBottom = 0
  /** Whether the previous sample had a value the next one may join. */
  let open = false
  let previousX = 0
  let previousY = 0
  let previousColumn = 0
  let previousTs = Number.NEGATIVE_INFINITY
  for (let sample = 0; sample < ts.length; sample++) {
    const at = ts[sample] as number
    const x = (at - from) * xPerMs
    // floor(v + 0.5) rounds as Math.round does, and V8 keeps it inline in this loop.
    const column = Math.floor(x + 0.5)
    const high = max[sample] as number
    const low = min[sample] as number
    // NaN fails every comparison, so a sample without an envelope adds nothing here.
    if (high > low && column >= 0 && column < width) {
      const highRow = Math.floor((top - high) * rowsPerUnit + 0.5)
      const lowRow = Math.floor((top - low) * rowsPerUnit + 0.5)
      if (column !== envelopeColumn) {
        if (envelopeColumn >= 0)
          fillSpan(pixels, height, envelopeColumn, envelopeTop, envelopeBottom + 1, envelopePixel)
        envelopeColumn = column
        envelopeTop = highRow
        envelopeBottom = lowRow
      } else {
        if (highRow < envelopeTop) envelopeTop = highRow
        if (lowRow > envelopeBottom) envelopeBottom = lowRow
      }
    }
    const value = line[sample] as number
    const joined = open && at - previousTs <= gapMs
    previousTs = at
    if (Number.isNaN(value)) {
      open = false
      continue
    }
    const y = (top - value) * rowsPerUnit
    if (joined && column !== previousColumn) {
      // Each column after the previous sample's, up to this one, covers the rows from where
      // the line is at the column before to where it is at this one. All but this sample's
      // column are complete; this one may get more samples.
      const slope = (y - previousY) / (x - previousX)
      const first = Math.max(previousColumn + 1, 0)
      const last = Math.min(column - 1, width - 1)
      let before =
        first === previousColumn + 1 ? previousY : previousY + slope * (first - 1 - previousX)
      for (let current = first; current <= last; current++) {
        const here = previousY + slope * (current - previousX)
        lineTop[base + current] = Math.floor((before < here ? before : here) + 0.5)
        lineBottom[base + current] = Math.floor((before < here ? here : before) + 0.5)
        before = here
      }
      if (lineColumn >= 0 && lineColumn < width) {
        lineTop[base + lineColumn] = Math.min(lineTop[base + lineColumn] as number, spanTop)
        lineBottom[base + lineColumn] = Math.max(
          lineBottom[base + lineColumn] as number,
          spanBottom,
        )
      }
      lineColumn = column
      spanTop = Math.floor((before < y ? before : y) + 0.5)
      spanBottom = Math.floor((before < y ? y : before) + 0.5)
    } else {
      // A dot, or the rows between the previous value and this one in the same column.
      const rowA = Math.floor((joined && previousY < y ? previousY : y) + 0.5)
      const rowB = Math.floor((joined && previousY > y ? previousY : y) + 0.5)
      if (column !== lineColumn) {
        if (lineColumn >= 0 && lineColumn < width) {
          lineTop[base + lineColumn] = Math.min(lineTop[base + lineColumn] as number, spanTop)
          lineBottom[base + lineColumn] = Math.max(
            lineBottom[base + lineColumn] as number,
            spanBottom,
          )
        }
        lineColumn = column
        spanTop = rowA
        spanBottom = rowB
      } else {
        if (rowA < spanTop) spanTop = rowA
        if (rowB > spanBottom) spanBottom = rowB
      }
    }
    open = true
    previousX = x
    previousY = y
    previousColumn = column
  }
  if (envelopeColumn >= 0)
    fillSpan(pixels, height, envelopeColumn, envelopeTop, envelopeBottom + 1, envelopePixel)
  if (lineColumn >= 0 && lineColumn < width) {
    lineTop[base + lineColumn] = Math.min(lineTop[base + lineColumn] as number, spanTop)
    lineBottom[base + lineColumn] = Math.max(lineBottom[base + lineColumn] as number, spanBottom)
  }
}

/** Rows top (inclusive) to end (exclusive) of one column, clipped to the raster. */
function fillSpan(
  pixels: Uint32Array,
  height: number,
  column: number,
  top: number,
  end: number,
  pixel: number,
): void {
  const start = column * height + Math.max(0, top)
  const stop = column * height + Math.min(height, end)
  // A loop, not pixels.fill: spans are a few pixels long, and the call would cost more.
  for (let at = start; at < stop; at++) pixels[at] = pixel
}

/** Fills each column's rows top to bottom, thickened by `pen`, with `pixel`. */
function fillColumns(
  raster: Raster,
  tops: Int32Array,
  bottoms: Int32Array,
  base: number,
  pixel: number,
  pen: Pen,
): void {
  const { pixels, width, height } = raster
  for (let column = 0; column < width; column++) {
    const top = tops[base + column] as number
    const end = (bottoms[base + column] as number) + pen.rows
    if (end <= top) continue
    const last = Math.min(width - 1, column + pen.columns - 1)
    for (let x = column; x <= last; x++) fillSpan(pixels, height, x, top, end, pixel)
  }
}
