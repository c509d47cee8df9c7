import { describe, expect, it } from 'vitest'
import type { Quality } from '../../src/shared/field/values'
import type { TrendPoint } from '../../src/shared/history/series'
import { pointsOfReadings, pointWidthMs } from '../../src/shared/history/trend'
import {
  appendSample,
  backToLive,
  buildTrendData,
  dropBefore,
  formatTrendValue,
  gapMsOf,
  limitLinesOf,
  liveView,
  minSpanMs,
  pan,
  pause,
  pickSpan,
  planScales,
  resetZoom,
  sampleAt,
  sampleOfReading,
  samplesOfHistory,
  timeTickLabels,
  windowOf,
  zoomTo,
  type TrendData,
  type TrendSample,
  type TrendTag,
} from '../../src/renderer/src/views/trends/trend-data'
import { paintTrend, pixelOf, type Pen } from '../../src/renderer/src/views/trends/trend-raster'

const t0 = Date.UTC(2026, 10, 22, 8, 0, 0)
const second = 1000
const minute = 60_000
const hour = 3_600_000

const sample = (
  ts: number,
  value: number | null,
  quality: Quality = 'good',
  envelope?: [number, number],
): TrendSample => {
  const counted = quality === 'good' || quality === 'uncertain' ? value : null
  return {
    ts,
    value,
    quality,
    min: envelope?.[0] ?? counted,
    max: envelope?.[1] ?? counted,
    worstQuality: quality,
  }
}

const tag = (id: string, unit: string, limits: TrendTag['limits'] = null): TrendTag => ({
  id,
  name: id,
  unit,
  limits,
})

function build(
  tags: TrendTag[],
  samples: Record<string, TrendSample[]>,
  window = { from: t0, to: t0 + minute },
  pointMs = second,
) {
  return buildTrendData(tags, planScales(tags), new Map(Object.entries(samples)), window, pointMs)
}

describe('trend window', () => {
  const now = t0 + 10 * hour

  it('follows now while live and keeps its own end otherwise', () => {
    expect(windowOf(liveView(hour), now)).toEqual({ from: now - hour, to: now })
    expect(windowOf({ presetMs: hour, spanMs: 10 * minute, endMs: t0 }, now)).toEqual({
      from: t0 - 10 * minute,
      to: t0,
    })
  })

  it('zooms to the dragged range, at least minSpanMs wide, and stops following live', () => {
    const zoomed = zoomTo(liveView(hour), now - 20 * minute, now - 10 * minute, now)
    expect(zoomed).toEqual({ presetMs: hour, spanMs: 10 * minute, endMs: now - 10 * minute })
    const slip = zoomTo(liveView(hour), now - 30 * minute, now - 30 * minute + 2000, now)
    expect(slip.spanMs).toBe(minSpanMs)
    expect(windowOf(slip, now).from + slip.spanMs / 2).toBe(now - 30 * minute + 1000)
  })

  it('pans by half a window, and panning past now is live again', () => {
    const earlier = pan(liveView(hour), -1, now)
    expect(earlier.endMs).toBe(now - 30 * minute)
    expect(pan(earlier, -1, now).endMs).toBe(now - hour)
    expect(pan(earlier, 1, now).endMs).toBeNull()
  })

  it('changes range around the same centre, restores the picked range, and goes back to live', () => {
    const paused = { presetMs: hour, spanMs: hour, endMs: now - 2 * hour }
    expect(pickSpan(paused, 10 * minute, now)).toEqual({
      presetMs: 10 * minute,
      spanMs: 10 * minute,
      endMs: now - 2 * hour - 25 * minute,
    })
    expect(pickSpan(liveView(hour), 8 * hour, now)).toEqual(liveView(8 * hour))
    // Widening a window whose new end would be in the future makes it the live one.
    expect(pickSpan({ ...paused, endMs: now - minute }, 8 * hour, now).endMs).toBeNull()
    const zoomed = zoomTo(paused, now - 2.5 * hour, now - 2.4 * hour, now)
    expect(resetZoom(zoomed, now)).toEqual({
      presetMs: hour,
      spanMs: hour,
      endMs: now - 2.45 * hour + 30 * minute,
    })
    expect(backToLive(zoomed)).toEqual(liveView(hour))
    expect(pause(liveView(hour), now)).toEqual({ presetMs: hour, spanMs: hour, endMs: now })
  })
})

describe('trend samples', () => {
  it('merges readings of one slot: min and max of both, the later value, the worst quality', () => {
    const samples: TrendSample[] = []
    appendSample(samples, sampleOfReading(t0 + 100, 5, 'good'), second)
    appendSample(samples, sampleOfReading(t0 + 400, 9, 'good'), second)
    appendSample(samples, sampleOfReading(t0 + 700, 7, 'uncertain'), second)
    appendSample(samples, sampleOfReading(t0 + 900, 99, 'stale'), second)
    expect(samples).toEqual([
      { ts: t0, value: 99, quality: 'stale', min: 5, max: 9, worstQuality: 'stale' },
    ])
    appendSample(samples, sampleOfReading(t0 + 1200, 6, 'good'), second)
    expect(samples.map((entry) => [entry.ts, entry.value])).toEqual([
      [t0, 99],
      [t0 + second, 6],
    ])
    // Never rewrites a slot already moved past.
    appendSample(samples, sampleOfReading(t0 + 500, 1000, 'good'), second)
    expect(samples).toHaveLength(2)
    expect(samples[0]?.max).toBe(9)
  })

  it('counts booleans as 0 and 1 and never a stale or bad number', () => {
    expect(sampleOfReading(t0, true, 'good')).toMatchObject({ min: 1, max: 1 })
    expect(sampleOfReading(t0, 12.5, 'bad')).toMatchObject({ min: null, max: null })
    expect(sampleOfReading(t0, 'RUN', 'good')).toMatchObject({ min: null, max: null })
  })

  it('keeps a spike that history decimated into one point, as the envelope', () => {
    // 10 minutes of 1 Hz readings with one spike, decimated by the backend's own code to 100 points.
    const readings = Array.from({ length: 600 }, (_, index) => ({
      ts: t0 + index * second,
      value: index === 333 ? 25 : 10 + (index % 3) * 0.1,
      quality: 'good' as const,
    }))
    const from = t0
    const to = t0 + 10 * minute
    const pointMs = pointWidthMs(from, to, 100)
    const points: TrendPoint[] = pointsOfReadings(readings, from, to, pointMs)
    const samples = samplesOfHistory(points, pointMs)
    expect(samples.length).toBeLessThanOrEqual(101)
    const data = build([tag('p', 'bar')], { p: samples }, { from, to }, pointMs)
    const series = data.series[0]
    expect(series?.ts.length).toBe(samples.length)
    expect(series?.high).toBe(25)
    expect(series?.low).toBe(10)
    // The line is the last value of each point, which the spike is not; the envelope holds it.
    expect(Math.max(...(series?.line ?? []))).toBeLessThan(11)
    expect(Array.from(series?.max ?? [])).toContain(25)
  })

  it('drops what a window no longer needs but the last sample before it', () => {
    const samples = [0, 1, 2, 3, 4].map((index) => sample(t0 + index * second, index))
    dropBefore(samples, t0 + 2500)
    expect(samples.map((entry) => entry.value)).toEqual([2, 3, 4])
  })

  it('reads what a tag showed at a time, up to a gap after its last sample', () => {
    const samples = [sample(t0, 1), sample(t0 + 5 * second, 2)]
    expect(sampleAt(samples, t0 + 4 * second, gapMsOf(second))?.value).toBe(1)
    expect(sampleAt(samples, t0 + 5 * second, gapMsOf(second))?.value).toBe(2)
    expect(sampleAt(samples, t0 - 1, gapMsOf(second))).toBeNull()
    expect(sampleAt(samples, t0 + 5 * second + minute + 1, gapMsOf(second))).toBeNull()
  })
})

describe('trend data', () => {
  it('gives the line good and uncertain values only, and the envelope what they spanned', () => {
    const data = build([tag('a', 'bar'), tag('b', '')], {
      a: [
        sample(t0, 1, 'good', [0.5, 1.5]),
        sample(t0 + second, 2, 'uncertain'),
        sample(t0 + 2 * second, 99, 'stale'),
        sample(t0 + 3 * second, null, 'bad'),
        sample(t0 + 4 * second, 3),
      ],
      b: [{ ...sample(t0, null), value: true, min: 1, max: 1 }],
    })
    const [a, b] = data.series
    expect(Array.from(a?.ts ?? [])).toEqual([0, 1, 2, 3, 4].map((n) => t0 + n * second))
    expect(Array.from(a?.line ?? [])).toEqual([1, 2, NaN, NaN, 3])
    // A stale value moves neither the envelope nor the range.
    expect(Array.from(a?.max ?? [])).toEqual([1.5, 2, NaN, NaN, 3])
    expect(Array.from(a?.min ?? [])).toEqual([0.5, 2, NaN, NaN, 3])
    expect([a?.low, a?.high, a?.points]).toEqual([0.5, 3, 3])
    expect(Array.from(b?.line ?? [])).toEqual([1])
  })

  it('marks where any tag was bad or stale, until its next sample or a gap at most', () => {
    const data = build(
      [tag('a', 'bar'), tag('b', 'bar')],
      {
        a: [sample(t0, 1), sample(t0 + 3 * second, 99, 'stale'), sample(t0 + 5 * second, 2)],
        b: [
          sample(t0 + 4 * second, null, 'bad'),
          sample(t0 + 6 * second, 1),
          sample(t0 + 10 * second, null, 'bad'),
          sample(t0 + 5 * minute, 1),
        ],
      },
      { from: t0, to: t0 + 10 * minute },
    )
    expect(data.gapMs).toBe(minute)
    expect(data.badStretches).toEqual([
      { from: t0 + 3 * second, to: t0 + 6 * second },
      { from: t0 + 10 * second, to: t0 + 10 * second + minute },
    ])
  })

  it('draws the samples either side of the window but counts only those inside it', () => {
    const data = build(
      [tag('a', 'bar')],
      { a: [0, 1, 2, 3, 4, 5, 6].map((index) => sample(t0 + index * 10 * second, index * 100)) },
      { from: t0 + 15 * second, to: t0 + 45 * second },
    )
    expect(Array.from(data.series[0]?.ts ?? [])).toEqual(
      [1, 2, 3, 4, 5].map((index) => t0 + index * 10 * second),
    )
    expect(data.series[0]?.points).toBe(3)
    expect([data.series[0]?.low, data.series[0]?.high]).toEqual([200, 400])
  })

  it('ranges each unit on its own, alarm limits included, with a margin', () => {
    const tags = [
      tag('p', 'bar', { hh: 15, h: 14, l: 8 }),
      tag('t', '°C'),
      tag('q', 'bar', { ll: 6 }),
    ]
    const data = build(tags, {
      p: [sample(t0, 10), sample(t0 + second, 12)],
      t: [sample(t0, 180), sample(t0 + second, 220)],
      q: [sample(t0, 11)],
    })
    expect(data.ranges['y:bar']).toEqual({ min: 6 - 0.45, max: 15 + 0.45 })
    expect(data.ranges['y:°C']).toEqual({ min: 178, max: 222 })
  })

  it('keeps a steady value from filling the height with its noise, and ranges a tag with no data', () => {
    const data = build([tag('t', '°C'), tag('x', '')], {
      t: [sample(t0, 204.1), sample(t0 + second, 204.3)],
    })
    const range = data.ranges['y:°C']
    expect((range?.max ?? 0) - (range?.min ?? 0)).toBeCloseTo(204.3 * 0.02 * 1.1, 6)
    expect(((range?.max ?? 0) + (range?.min ?? 0)) / 2).toBeCloseTo(204.2, 6)
    expect(data.ranges['y:']).toEqual({ min: 0, max: 1 })
  })
})

describe('trend axes and limits', () => {
  it('gives each unit a scale and the first three units an axis, left, right, left', () => {
    const scales = planScales([
      tag('a', 'bar'),
      tag('b', '°C'),
      tag('c', 'bar'),
      tag('d', '%'),
      tag('e', 'kg/s'),
    ])
    expect(scales).toEqual([
      { key: 'y:bar', unit: 'bar', side: 'left', tagIds: ['a', 'c'] },
      { key: 'y:°C', unit: '°C', side: 'right', tagIds: ['b'] },
      { key: 'y:%', unit: '%', side: 'left', tagIds: ['d'] },
      { key: 'y:kg/s', unit: 'kg/s', side: null, tagIds: ['e'] },
    ])
  })

  it('lists every limit a tag has, labelled as the alarm levels', () => {
    expect(
      limitLinesOf([tag('a', 'bar', { h: 14, ll: 6 }), tag('b', '°C'), tag('c', '%', { hh: 95 })]),
    ).toEqual([
      { tagId: 'a', level: 'h', label: 'H', value: 14 },
      { tagId: 'a', level: 'll', label: 'LL', value: 6 },
      { tagId: 'c', level: 'hh', label: 'HH', value: 95 },
    ])
  })
})

describe('trend labels', () => {
  it('shows seconds only for ticks under a minute apart, and the date on a new day', () => {
    const midnight = new Date(2026, 10, 22, 23, 58, 0).getTime()
    expect(timeTickLabels([midnight, midnight + minute, midnight + 2 * minute], minute)).toEqual([
      '23:58\n22 Nov',
      '23:59',
      '00:00\n23 Nov',
    ])
    expect(timeTickLabels([midnight + 30 * second], 10 * second)).toEqual(['23:58:30\n22 Nov'])
  })

  it('formats values as the overview does', () => {
    expect(formatTrendValue(12.345)).toBe('12.35')
    expect(formatTrendValue(204.26)).toBe('204.3')
    expect(formatTrendValue(true)).toBe('ON')
    expect(formatTrendValue(null)).toBe('—')
  })
})

describe('trend raster', () => {
  // 11 × 11 pixels, 10 s wide and 0 to 10 high: a sample at t0 + k s is column k, value v row 10 - v.
  const size = 11
  const line = pixelOf('#1f4e79', 255)
  const envelope = pixelOf('#1f4e79', 90)
  const none = Number.NaN

  const other = pixelOf('#7a5c2e', 255)
  type Points = Array<[second: number, value: number, envelope?: [number, number]]>

  /** Paints one tag (L, its envelope e), or two (the second M), into 11 × 11 pixels. */
  function paint(
    points: Points,
    options: { pen?: Pen; gapMs?: number; second?: Points } = {},
  ): string[] {
    const seriesOf = (list: Points, tagId: string) => ({
      tagId,
      scale: 'y:bar',
      samples: [],
      ts: Float64Array.from(list, ([at]) => t0 + at * second),
      line: Float64Array.from(list, ([, value]) => value),
      min: Float64Array.from(list, ([, , range]) => range?.[0] ?? none),
      max: Float64Array.from(list, ([, , range]) => range?.[1] ?? none),
      points: 0,
      low: null,
      high: null,
    })
    const data: TrendData = {
      window: { from: t0, to: t0 + 10 * second },
      pointMs: second,
      gapMs: options.gapMs ?? minute,
      series: [seriesOf(points, 'a'), ...(options.second ? [seriesOf(options.second, 'b')] : [])],
      ranges: { 'y:bar': { min: 0, max: 10 } },
      badStretches: [],
    }
    const pixels = new Uint32Array(size * size).fill(7)
    paintTrend(
      { pixels, width: size, height: size },
      data,
      [line, other],
      [envelope, envelope],
      options.pen ?? { columns: 1, rows: 1 },
    )
    // The raster is column by column: pixel (x, y) is pixels[x * size + y].
    return Array.from({ length: size }, (_, row) =>
      Array.from({ length: size }, (_, column) => {
        const pixel = pixels[column * size + row]
        return pixel === line
          ? 'L'
          : pixel === other
            ? 'M'
            : pixel === envelope
              ? 'e'
              : pixel === 0
                ? '.'
                : '?'
      }).join(''),
    )
  }

  it('packs colours as ImageData bytes R, G, B, A', () => {
    const bytes = new Uint8Array(new Uint32Array([pixelOf('#1f4e79', 90)]).buffer)
    expect(Array.from(bytes)).toEqual([0x1f, 0x4e, 0x79, 90])
  })

  it('joins samples column to column and breaks where the line has no value', () => {
    const rows = paint([
      [0, 10],
      [1, 0],
      [2, 5],
      [3, none],
      [4, 5],
      [6, 5],
    ])
    expect(rows).toEqual([
      'LL.........',
      '.L.........',
      '.L.........',
      '.L.........',
      '.L.........',
      '.LL.LLL....',
      '.LL........',
      '.LL........',
      '.LL........',
      '.LL........',
      '.LL........',
    ])
  })

  it('draws a line across columns between sparse samples, over the envelope', () => {
    const rows = paint([
      [0, 10],
      [4, 6, [3, 9]],
    ])
    expect(rows.slice(0, 8)).toEqual([
      'LL.........',
      '.LL.e......',
      '..LLe......',
      '...LL......',
      '....L......',
      '....e......',
      '....e......',
      '....e......',
    ])
  })

  it('breaks the line across a silence longer than a gap', () => {
    const rows = paint(
      [
        [0, 5],
        [1, 5],
        [5, 5],
      ],
      { gapMs: 3 * second },
    )
    expect(rows[5]).toBe('LL...L.....')
  })

  it('draws lines into and out of the window to its edges, and nothing of one tag in another', () => {
    const rows = paint(
      [
        [-4, 1],
        [2, 1],
        [8, 3],
        [14, 3],
        [20, 3],
      ],
      { second: [[5, 9]] },
    )
    expect(rows).toEqual([
      '...........',
      '.....M.....',
      '...........',
      '...........',
      '...........',
      '...........',
      '...........',
      '.......LLLL',
      '....LLLL...',
      'LLLLL......',
      '...........',
    ])
  })

  it('thickens lines to the right and below, clipped to the raster', () => {
    const points: Array<[number, number]> = [
      [8, 5],
      [9, 5],
      [10, 5],
    ]
    expect(paint(points, { pen: { columns: 1, rows: 2 } }).slice(4, 8)).toEqual([
      '...........',
      '........LLL',
      '........LLL',
      '...........',
    ])
    expect(paint([[9, 0]], { pen: { columns: 2, rows: 2 } }).slice(9)).toEqual([
      '...........',
      '.........LL',
    ])
  })
})
