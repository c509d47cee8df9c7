// Trend redraw (DESIGN.md §7: 20 series × 3,600 points ≤ 4 ms): the trend page's own plot code
// (src/renderer/src/views/trends: buildTrendData, createTrendPlot with the page's uPlot options,
// envelope bars, limit lines and bad-quality strip), bundled by Vite as for the app and drawn in
// Chromium. Each redraw is what live mode does every second: the window moves on by one point and
// the plot takes the new data (setData, scales, paths and canvas in one synchronous batch).
/* global window, document -- measure() runs in the page */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { build } from 'vite'
import { chromiumArgs, findChromium } from '../scripts/find-chromium.mjs'

const root = new URL('..', import.meta.url).pathname
const series = 20
const points = 3600
const redraws = 100
const warmUp = 10
const size = { width: 1280, height: 560 }

async function bundle() {
  // The entry lives outside the repository: it only re-exports the page's modules for the page.
  const entry = join(mkdtempSync(join(tmpdir(), 'trend-bench-')), 'entry.js')
  writeFileSync(
    entry,
    [
      `import '${root}node_modules/uplot/dist/uPlot.min.css'`,
      `export * from '${root}src/renderer/src/views/trends/trend-data.ts'`,
      `export { createTrendPlot } from '${root}src/renderer/src/views/trends/trend-plot.ts'`,
    ].join('\n'),
  )
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    root,
    build: {
      write: false,
      lib: { entry, formats: ['iife'], name: 'trend', fileName: 'trend' },
    },
  })
  const files = (Array.isArray(output) ? output : [output]).flatMap((result) => result.output)
  const script = files.find((file) => file.type === 'chunk')
  const style = files.find((file) => file.type === 'asset' && file.fileName.endsWith('.css'))
  if (!script || !style) throw new Error('trend bench: the bundle has no script or no style')
  return { script: script.code, style: String(style.source) }
}

/** Runs in the page: 20 tags in three units, with limits, one sample a second, every one a summary. */
function measure({ series, points, redraws, warmUp, size }) {
  const { buildTrendData, createTrendPlot, planScales } = window.trend
  const units = ['bar', '°C', '%']
  const tags = Array.from({ length: series }, (_, index) => ({
    id: `tag-${index}`,
    name: `Tag ${index}`,
    unit: units[index % units.length],
    limits: index % 2 === 0 ? { hh: 120, h: 110, l: 20, ll: 10 } : null,
  }))
  const scales = planScales(tags)
  const start = Date.UTC(2026, 10, 22, 8)
  const total = points + redraws + warmUp
  // Worst case for drawing: every slot has a value and min < max, so every envelope bar is drawn;
  // tag 0 has a stale stretch, so the line breaks and the strip is drawn.
  const samples = new Map(
    tags.map((tag, index) => [
      tag.id,
      Array.from({ length: total }, (_, slot) => {
        const value = 60 + 30 * Math.sin(slot / (200 + index * 7)) + ((slot * 7919) % 13) / 4
        const stale = index === 0 && slot % 900 > 860
        return {
          ts: start + slot * 1000,
          value,
          quality: stale ? 'stale' : 'good',
          min: stale ? null : value - 1.5,
          max: stale ? null : value + 2,
          worstQuality: stale ? 'stale' : 'good',
        }
      }),
    ]),
  )
  const element = document.getElementById('plot')
  const plot = createTrendPlot(element, tags, scales, size, {
    onZoom: () => {},
    onCursor: () => {},
    onResetZoom: () => {},
  })
  const canvas = element.querySelector('canvas').getContext('2d')
  const result = { buildMs: [], redrawMs: [], rasterisedMs: [], samples: 0 }
  for (let round = 0; round < warmUp + redraws; round++) {
    const to = start + (points - 1 + round) * 1000
    const began = performance.now()
    const data = buildTrendData(tags, scales, samples, { from: to - (points - 1) * 1000, to }, 1000)
    const built = performance.now()
    plot.show(data)
    const drawn = performance.now()
    // Chromium records canvas commands and rasterises them later; reading a pixel makes it
    // rasterise now, so the figure includes the pixels, not only the JavaScript.
    canvas.getImageData(0, 0, 1, 1)
    const rasterised = performance.now()
    if (round < warmUp) continue
    result.buildMs.push(built - began)
    result.redrawMs.push(drawn - built)
    result.rasterisedMs.push(rasterised - built)
    result.samples = data.series.reduce((sum, entry) => sum + entry.ts.length, 0)
  }
  plot.destroy()
  return result
}

const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]
const round2 = (value) => Math.round(value * 100) / 100
const summary = (values) => ({
  median: round2(percentile(values, 0.5)),
  p95: round2(percentile(values, 0.95)),
  max: round2(Math.max(...values)),
})

export async function run() {
  const { script, style } = await bundle()
  const browser = await chromium.launch({
    executablePath: findChromium() ?? undefined,
    args: chromiumArgs,
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } })
    await page.setContent(
      `<!doctype html><html><head><style>${style}</style></head>` +
        `<body style="margin:0;background:#e4e4e4"><div id="plot"></div></body></html>`,
    )
    await page.addScriptTag({ content: script })
    const loadBefore = loadavg()[0]
    const result = await page.evaluate(measure, { series, points, redraws, warmUp, size })
    return {
      target: 'redraw of 20 series × 3,600 points ≤ 4 ms',
      series,
      pointsPerSeries: points,
      samplesDrawn: result.samples,
      plotPx: size,
      devicePixelRatio: await page.evaluate(() => window.devicePixelRatio),
      redraws,
      redrawMs: summary(result.redrawMs),
      redrawRasterisedMs: summary(result.rasterisedMs),
      buildDataMs: summary(result.buildMs),
      // Timings on a shared machine: other work inflates them, so say how busy it was.
      loadAverage1m: { before: round2(loadBefore), after: round2(loadavg()[0]) },
      samples: {
        redrawMs: result.redrawMs.map(round2),
        redrawRasterisedMs: result.rasterisedMs.map(round2),
        buildDataMs: result.buildMs.map(round2),
      },
    }
  } finally {
    await browser.close()
  }
}
