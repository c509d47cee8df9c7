// Start to first live value (DESIGN.md §7: ≤ 1.5 s, browser mode, demo site): from spawning the
// browser-mode server to a good Modbus value and a good OPC UA value on screen in Chromium.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { chromiumArgs, findChromium } from '../scripts/find-chromium.mjs'

const runs = 7

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

async function demoSite() {
  const text = readFileSync('resources/demo-site.yaml', 'utf8')
    .replace('port: 15020', `port: ${await freePort()}`)
    .replace('opc.tcp://127.0.0.1:14840', `opc.tcp://127.0.0.1:${await freePort()}`)
  const file = join(mkdtempSync(join(tmpdir(), 'bench-site-')), 'site.yaml')
  writeFileSync(file, text)
  return file
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export async function run() {
  const browser = await chromium.launch({
    executablePath: findChromium() ?? undefined,
    args: chromiumArgs,
  })
  // The OPC UA simulator creates its certificate once per data folder; share it so each run measures
  // a console start, not key generation.
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-data-'))
  const samples = { readyMs: [], firstValuesMs: [] }
  try {
    for (let i = 0; i < runs + 1; i++) {
      const site = await demoSite()
      const started = performance.now()
      const child = spawn(
        process.execPath,
        ['out/main/serve.js', '--site', site, '--data', dataDir],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      const url = await new Promise((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk) => {
          out += chunk
          const match = out.match(/Pilot Light: (\S+)/)
          if (match) resolve(match[1])
        })
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
      })
      const ready = performance.now() - started
      const page = await browser.newPage()
      await page.goto(url)
      for (const tag of ['plant-001.boiler-1.pressure', 'plant-002.header.pressure']) {
        await page.waitForSelector(`[data-tag-id="${tag}"][data-quality="good"]`, {
          timeout: 15_000,
        })
      }
      const firstValues = performance.now() - started
      await page.close()
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
      if (i === 0) continue // warm-up: the first run creates the simulator's certificate
      samples.readyMs.push(ready)
      samples.firstValuesMs.push(firstValues)
    }
  } finally {
    await browser.close()
  }
  return {
    runs,
    target: 'first live value ≤ 1500 ms',
    medianReadyMs: Math.round(median(samples.readyMs)),
    medianFirstValuesMs: Math.round(median(samples.firstValuesMs)),
    maxFirstValuesMs: Math.round(Math.max(...samples.firstValuesMs)),
    samples: Object.fromEntries(
      Object.entries(samples).map(([key, list]) => [key, list.map(Math.round)]),
    ),
  }
}
