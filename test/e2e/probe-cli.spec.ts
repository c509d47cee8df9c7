import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { findFreePort } from '../support/ports'
import { demoSiteOnFreePorts, startConsoleProcess } from './support/console-process'

// The commissioning probe as a plant engineer runs it: the built command, its stdout and exit code.

function probe(
  args: string[],
  dataDir = mkdtempSync(join(tmpdir(), 'probe-data-')),
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['out/main/probe.js', '--data', dataDir, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('prints JSON for every tag and exits 0 when all are good', async () => {
  const site = await demoSiteOnFreePorts()
  // The demo's PLCs are the simulator, which the console starts. The probe shares the console's
  // data folder, where the console has trusted its simulator's certificate (plant 003 is read over
  // SignAndEncrypt).
  const console = await startConsoleProcess({ site })
  const tagCount = readFileSync(site, 'utf8').match(/^ {2}- id: plant-\d+\./gm)?.length ?? 0
  expect(tagCount).toBeGreaterThan(50)
  try {
    const result = probe(['--site', site, '--json'], console.dataDir)
    expect(result.status, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as { tags: Array<Record<string, unknown>> }
    expect(report.tags).toHaveLength(tagCount)
    for (const tag of report.tags) {
      expect(Object.keys(tag).sort()).toEqual(['id', 'quality', 'source', 'ts', 'unit', 'value'])
      expect(tag.quality).toBe('good')
      expect(['number', 'boolean']).toContain(typeof tag.value)
    }
    const table = probe(['--site', site], console.dataDir)
    expect(table.status).toBe(0)
    expect(table.stdout).toContain(`all ${tagCount} tags good`)
  } finally {
    await console.stop()
  }
})

test('exits 1 and names the reason when a PLC does not answer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-site-'))
  const site = join(dir, 'site.yaml')
  writeFileSync(
    site,
    `site: { id: s, name: S }
sources: [{ id: plc-a, protocol: modbus-tcp, host: 127.0.0.1, port: ${await findFreePort()}, timeoutMs: 300 }]
tags: [{ id: b1.pressure, source: plc-a, unit: bar, address: { table: holding, offset: 100, type: float32 } }]
`,
  )
  const result = probe(['--site', site, '--json'])
  expect(result.status).toBe(1)
  const report = JSON.parse(result.stdout) as { tags: Array<{ quality: string; reason: string }> }
  expect(report.tags[0]?.quality).toBe('bad')
  expect(report.tags[0]?.reason).toMatch(/refused/i)
})

test('exits 2 with file, line and field for a broken site file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-site-'))
  const site = join(dir, 'site.yaml')
  writeFileSync(
    site,
    'site: { id: s, name: S }\nsources:\n  - { id: plc-a, protocol: modbus-tcp, port: 502 }\n',
  )
  const result = probe(['--site', site])
  expect(result.status).toBe(2)
  expect(result.stderr).toContain(`${site}:3:`)
  expect(result.stderr).toContain('sources[0].host')
  expect(probe([]).stderr).toContain('--site is required')
})
