import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { siteJsonSchema } from '../../src/shared/site/json-schema'

// docs/site-file.schema.json is generated: `npx vitest run -u test/unit/site-json-schema.test.ts`
// rewrites it after a schema change, and this test fails while it is out of date.

describe('site file JSON Schema', () => {
  it('is the committed docs/site-file.schema.json', async () => {
    await expect(`${JSON.stringify(siteJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
      '../../docs/site-file.schema.json',
    )
  })

  it('describes the fields of DESIGN.md §3.2 and accepts the demo site', () => {
    const schema = siteJsonSchema() as {
      properties: Record<string, { items?: { anyOf?: unknown[] } }>
      required: string[]
    }
    expect(schema.required).toEqual(expect.arrayContaining(['site', 'sources']))
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['site', 'central', 'sources', 'plants', 'tags']),
    )
    const text = JSON.stringify(schema)
    for (const field of [
      'unitId',
      'pollMs',
      'timeoutMs',
      'securityPolicy',
      'samplingMs',
      'order',
      'safetyValveSetpoint',
    ]) {
      expect(text).toContain(`"${field}"`)
    }
    // A light structural check of the demo against the schema's top level.
    const demo = parse(readFileSync('resources/demo-site.yaml', 'utf8')) as Record<string, unknown>
    for (const key of Object.keys(demo)) expect(Object.keys(schema.properties)).toContain(key)
  })
})
