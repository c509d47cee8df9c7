import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSiteFile } from '../../src/backend/site/load'
import { parseCsv } from '../../src/shared/site/csv'

function siteWithList(csv: string): { site: string; list: string } {
  const dir = mkdtempSync(join(tmpdir(), 'csv-'))
  const site = join(dir, 'site.yaml')
  const list = join(dir, 'io-list.csv')
  writeFileSync(
    site,
    `site: { id: s, name: S }
sources:
  - { id: plc-a, protocol: modbus-tcp, host: 127.0.0.1 }
  - { id: ua, protocol: opcua, endpoint: "opc.tcp://127.0.0.1:4840" }
tags:
  - { id: yaml.tag, source: plc-a, address: { table: coil, offset: 0, type: bool } }
tagLists: [io-list.csv]
`,
  )
  writeFileSync(list, csv)
  return { site, list }
}

describe('CSV tag lists', () => {
  it('parses quotes, commas, CRLF and a byte-order mark', () => {
    const table = parseCsv('\ufeffid,name,unit\r\na,"Boiler 1, drum",bar\r\nb,"say ""hi""",\r\n')
    if ('message' in table) throw new Error(table.message)
    expect(table.header).toEqual(['id', 'name', 'unit'])
    expect(table.rows).toEqual([
      { line: 2, cells: { id: 'a', name: 'Boiler 1, drum', unit: 'bar' } },
      { line: 3, cells: { id: 'b', name: 'say "hi"' } },
    ])
    expect(parseCsv('id\n"open')).toEqual({ line: 2, message: 'a quoted field is not closed' })
  })

  it('skips empty spreadsheet rows and refuses unknown or misspelt columns', () => {
    const table = parseCsv('id,unit\na,bar\n,\n , \n')
    if ('message' in table) throw new Error(table.message)
    expect(table.rows.map((row) => row.cells)).toEqual([{ id: 'a', unit: 'bar' }])
    expect(parseCsv('id,scale_factor\na,0.1\n')).toMatchObject({
      line: 1,
      message: expect.stringMatching(/^unknown column "scale_factor"; the columns are id, /),
    })
    expect(parseCsv('id,constructor,toString\na,b,c\n')).toMatchObject({
      line: 1,
      message: expect.stringContaining('unknown columns "constructor", "toString"'),
    })
  })

  it('adds every row to the site, with addresses, scaling and limits', async () => {
    const { site } = siteWithList(
      [
        'id,name,source,unit,table,offset,type,order,unitId,scaleFactor,scaleOffset,hh,h,l,ll,nodeId',
        'p1.b1.pressure,Boiler 1 drum pressure,plc-a,bar,holding,100,float32,CDAB,3,1,0,15.2,14.5,8,6,',
        'p1.header.temp,Header temperature,plc-a,°C,input,0,int16,,,0.1,,,,,,',
        'p2.header.pressure,,ua,bar,,,,,,,,,,,,ns=2;s=Header.Pressure',
      ].join('\n'),
    )
    const loaded = await loadSiteFile(site)
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    expect(loaded.site.tags.map((tag) => tag.id)).toEqual([
      'yaml.tag',
      'p1.b1.pressure',
      'p1.header.temp',
      'p2.header.pressure',
    ])
    expect(loaded.site.tags[1]).toMatchObject({
      name: 'Boiler 1 drum pressure',
      address: { table: 'holding', offset: 100, type: 'float32', order: 'CDAB', unitId: 3 },
      scale: { factor: 1, offset: 0 },
      limits: { hh: 15.2, h: 14.5, l: 8, ll: 6 },
    })
    expect(loaded.site.tags[2]).toMatchObject({
      address: { order: 'ABCD' },
      scale: { factor: 0.1, offset: 0 },
    })
    expect(loaded.site.tags[3]).toMatchObject({ nodeId: 'ns=2;s=Header.Pressure', source: 'ua' })
  })

  it('reports a bad row against the CSV file, its line and its column', async () => {
    const { site, list } = siteWithList(
      'id,source,table,offset,type\nok.tag,plc-a,holding,1,uint16\nbad.tag,plc-a,holding,-5,uint16\n',
    )
    const loaded = await loadSiteFile(site)
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems).toEqual([
      expect.objectContaining({ file: list, line: 3, path: 'column offset' }),
    ])
  })

  it('reports a duplicate id across the site file and the list, and a missing list', async () => {
    const { site, list } = siteWithList('id,source,table,offset\nyaml.tag,plc-a,holding,1\n')
    const loaded = await loadSiteFile(site)
    if (loaded.ok) throw new Error('should fail')
    expect(loaded.problems[0]).toMatchObject({
      file: list,
      line: 2,
      path: 'column id',
      message: 'duplicate tag id "yaml.tag"',
    })

    const missing = siteWithList('id\n')
    writeFileSync(
      missing.site,
      `${'site: { id: s, name: S }\nsources: [{ id: p, protocol: modbus-tcp, host: h }]\n'}tagLists: [nope.csv]\n`,
    )
    const result = await loadSiteFile(missing.site)
    if (result.ok) throw new Error('should fail')
    expect(result.problems[0]?.message).toMatch(
      /cannot read tag list .*nope\.csv \(it does not exist\)/,
    )
  })
})
