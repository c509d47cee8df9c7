import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSiteFile, parseSiteText } from '../../src/backend/site/load'

const minimal = `site: { id: s1, name: Site One }
sources:
  - { id: plc-a, protocol: modbus-tcp, host: 127.0.0.1, port: 502 }
tags:
  - id: t1
    source: plc-a
    address: { table: holding, offset: 100, type: float32 }
`

describe('site file loading', () => {
  it('loads the demo site', async () => {
    const loaded = await loadSiteFile('resources/demo-site.yaml')
    expect(loaded.ok).toBe(true)
    if (!loaded.ok) return
    expect(loaded.site.sources.map((source) => source.protocol).sort()).toEqual([
      'modbus-tcp',
      'opcua',
      'opcua',
    ])
    expect(loaded.site.tags.length).toBeGreaterThanOrEqual(2)
  })

  it('fills defaults from DESIGN.md §3.2', () => {
    const loaded = parseSiteText(minimal, 'site.yaml')
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    expect(loaded.site.tags[0]?.address).toMatchObject({ order: 'ABCD', type: 'float32' })
    expect(loaded.site.sources[0]).toMatchObject({ pollMs: 1000, timeoutMs: 1000, unitId: 1 })
  })

  it('names file, line and field path for a wrong value', () => {
    const broken = minimal.replace('offset: 100', 'offset: -4')
    const loaded = parseSiteText(broken, '/plant/site.yaml')
    expect(loaded.ok).toBe(false)
    if (loaded.ok) return
    expect(loaded.problems).toEqual([
      expect.objectContaining({
        file: '/plant/site.yaml',
        line: 7,
        path: 'tags[0].address.offset',
      }),
    ])
  })

  it('points a missing field at its parent', () => {
    const loaded = parseSiteText(minimal.replace('    source: plc-a\n', ''), 'site.yaml')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]).toMatchObject({ line: 5, path: 'tags[0].source' })
  })

  it('reports a tag that names no source', () => {
    const loaded = parseSiteText(minimal.replace('source: plc-a', 'source: plc-z'), 'site.yaml')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]).toMatchObject({
      line: 6,
      path: 'tags[0].source',
      message: 'no source with id "plc-z"',
    })
  })

  it('reports alarms and heat rules that name missing tags, with file, line and path', () => {
    const withAlarms = `${minimal}    limits: { l: 2 }
    alarms:
      l: { limit: 3 }
      deviation: { setpointTag: t9, band: 1, priority: low }
plants:
  - id: p1
    name: P1
    heatStatus:
      header: { tag: p1.header.pressure, degradedBelow: 9, lostBelow: 6 }
    units:
      - { id: hospital, kind: consumer, supply: { degradedBelow: 75, lostBelow: 60 } }
`
    const loaded = parseSiteText(withAlarms, 'site.yaml')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems.map((problem) => [problem.line, problem.path, problem.message])).toEqual(
      [
        [8, 'tags[0].limits.l', 'l is given in both limits and alarms: keep one'],
        [11, 'tags[0].alarms.deviation.setpointTag', 'no tag with id "t9"'],
        [16, 'plants[0].heatStatus.header.tag', 'no tag with id "p1.header.pressure"'],
        [
          18,
          'plants[0].units[0].priorityClass',
          'a consumer with supply thresholds needs its priorityClass',
        ],
        [18, 'plants[0].units[0].supply.tag', 'no tag with id "p1.hospital.supply-temperature"'],
      ],
    )
  })

  it('reports YAML syntax errors with their line', () => {
    const loaded = parseSiteText('site: { id: s1, name: Site\nsources: [\n', 'bad.yaml')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]?.line).toBeGreaterThanOrEqual(1)
    expect(loaded.problems[0]?.file).toBe('bad.yaml')
  })

  it('reports an alias bomb as a problem instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let level = 1; level < 12; level++) {
      const previous = String.fromCharCode(96 + level)
      const name = String.fromCharCode(97 + level)
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`)
    }
    const loaded = parseSiteText(levels.join('\n'), 'bomb.yaml')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]).toMatchObject({
      file: 'bomb.yaml',
      message: expect.stringMatching(/alias/i),
    })
  })

  it('reads JSON site files with line numbers too', () => {
    const json = JSON.stringify(
      {
        site: { id: 's1', name: 'S' },
        sources: [{ id: 'ua', protocol: 'opcua', endpoint: 'http://x' }],
      },
      null,
      2,
    )
    const loaded = parseSiteText(json, 'site.json')
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]).toMatchObject({ path: 'sources[0].endpoint', line: 10 })
  })

  it('says so when the file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'site-'))
    const loaded = await loadSiteFile(join(dir, 'nope.yaml'))
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]?.message).toBe('the site file does not exist')
    writeFileSync(join(dir, 'empty.yaml'), '')
    const empty = await loadSiteFile(join(dir, 'empty.yaml'))
    expect(empty.ok).toBe(false)
  })
})
