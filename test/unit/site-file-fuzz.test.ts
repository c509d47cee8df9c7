import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isMap, parseDocument } from 'yaml'
import { parseSiteText, type SiteLoad } from '../../src/backend/site/load'
import { fileProblemSchema } from '../../src/shared/file-problem'

// Site files are written by hand, copied between plants and edited under pressure: whatever state
// one is in, loading it must answer quickly with problems an engineer can act on, never throw, hang
// or expand an alias bomb. Seeded, so a failing mutation reproduces from its number.

const demoFile = resolve('resources/demo-site.yaml')
const demo = readFileSync(demoFile, 'utf8')
const mutations = 300

function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
type Rng = () => number
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T
const int = (rng: Rng, below: number): number => Math.floor(rng() * below)

/** Ten levels of ten aliases each: 10^10 nodes if anything expanded it. */
const aliasBomb = [
  'lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from(
    { length: 9 },
    (_, i) => `lol${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`,
  ),
].join('\n')

const scalars = [
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  '-0.0',
  '.nan',
  '.inf',
  'null',
  '~',
  '[]',
  '{}',
  'true',
  'yes',
  '0x1F',
  '"\\u202e\\u0000 \\ud800"',
  '🔥🧯 Kesselhaus Süd',
  "'unterminated",
  '"unterminated',
  '*nowhere',
  '!!binary AAAA',
  '!!str 5',
  '!!int x',
  '!!js/function "() => 1"',
  '!custom x',
  '&dangling',
  '? complex',
  '|',
  '>-',
  '@reserved',
  '`tick',
  '{ a: 1, a: 2 }',
  'x'.repeat(20_000),
]
const junk = [
  '\u0000',
  '\u0007',
  '\t',
  '\r',
  '\ufeff',
  '\ufffe',
  '\ud800',
  '{',
  '[',
  ']',
  '}',
  ':',
  '-',
  '#',
  '"',
  "'",
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  ',',
  '?',
]
const keys = ['__proto__', 'constructor', 'prototype', '<<', 'id', 'tags', 'x-extra', '']

/** One random change to the text; several may stack. */
function mutate(rng: Rng, text: string): string {
  const lines = text.split('\n')
  const at = int(rng, lines.length)
  const line = lines[at] ?? ''
  switch (int(rng, 11)) {
    case 0:
      lines.splice(at, 1 + int(rng, 5))
      break
    case 1:
      lines.splice(at, 0, line)
      break
    case 2: {
      const other = int(rng, lines.length)
      lines[at] = lines[other] ?? ''
      lines[other] = line
      break
    }
    case 3: {
      // Indentation is structure in YAML: shift a line, or indent it with a tab.
      const shift = 1 + int(rng, 4)
      lines[at] =
        rng() < 0.3
          ? line.replace(/^ +/, '\t')
          : rng() < 0.5
            ? ' '.repeat(shift) + line
            : line.replace(new RegExp(`^ {0,${shift}}`), '')
      break
    }
    case 4: {
      // A scalar after a key, in block or flow style, becomes something of another type or size.
      const values = [...line.matchAll(/(:\s+)([^,{}[\]\n]+)/g)]
      const value = values.length > 0 ? pick(rng, values) : null
      if (value?.index !== undefined) {
        const start = value.index + (value[1]?.length ?? 0)
        const replacement = pick(rng, scalars)
        lines[at] = line.slice(0, start) + replacement + line.slice(start + (value[2]?.length ?? 0))
      } else {
        lines[at] = line + pick(rng, scalars)
      }
      break
    }
    case 5:
      return text.slice(0, int(rng, text.length))
    case 6: {
      const offset = int(rng, text.length)
      let bytes = ''
      for (let n = 1 + int(rng, 20); n > 0; n--)
        bytes += rng() < 0.7 ? pick(rng, junk) : String.fromCharCode(int(rng, 0x10000))
      return text.slice(0, offset) + bytes + text.slice(offset)
    }
    case 7: {
      // An anchor on one value and an alias to it somewhere else, wherever they land.
      lines[at] = line.replace(/: /, ': &fz ')
      const other = int(rng, lines.length)
      lines[other] = (lines[other] ?? '').replace(/: .*$/, ': *fz')
      break
    }
    case 8:
      lines.splice(
        at,
        0,
        ...(rng() < 0.5 ? aliasBomb.split('\n') : [`bomb: ${'['.repeat(10 + int(rng, 5000))}`]),
      )
      break
    case 9: {
      const depth = 10 + int(rng, 3000)
      const nested =
        rng() < 0.5
          ? '['.repeat(depth) + ']'.repeat(depth)
          : '{ a: '.repeat(depth) + '1' + ' }'.repeat(depth)
      lines[at] = line.replace(/:( .*)?$/, `: ${nested}`)
      break
    }
    default:
      // A key renamed to one that means something to JavaScript objects or to YAML merges.
      lines[at] = line.replace(/[\w-]+:/, `${pick(rng, keys)}:`)
  }
  return lines.join('\n')
}

function timedParse(text: string): { result: SiteLoad | null; error: unknown; ms: number } {
  const start = performance.now()
  try {
    const result = parseSiteText(text, demoFile)
    return { result, error: null, ms: performance.now() - start }
  } catch (error) {
    return { result: null, error, ms: performance.now() - start }
  }
}

/**
 * True when the file cannot be read as a mapping at all (empty, a lone scalar, an alias past the
 * limit): the one case where a problem may name neither a line nor a field, being about all of it.
 */
function wholeFileAtFault(text: string): boolean {
  const document = parseDocument(text)
  if (!isMap(document.contents)) return true
  try {
    document.toJS()
    return false
  } catch {
    return true
  }
}

const polluted = (): boolean =>
  (({}) as Record<string, unknown>).polluted !== undefined ||
  Object.getPrototypeOf({}) !== Object.prototype

describe('site file fuzz', () => {
  it(`answers ${mutations} mutations of the demo site within a second each, with placed problems`, () => {
    const seed = 0x517e
    const rng = prng(seed)
    const failures: string[] = []
    const lineCount = (text: string): number => text.split('\n').length
    let refused = 0
    let slowest = 0
    for (let n = 0; n < mutations && failures.length < 10; n++) {
      let text = demo
      for (let k = 1 + int(rng, 3); k > 0; k--) text = mutate(rng, text)
      const { result, error, ms } = timedParse(text)
      const where = `seed ${seed} #${n}`
      slowest = Math.max(slowest, ms)
      if (ms >= 1000) failures.push(`${where}: took ${Math.round(ms)} ms`)
      if (polluted()) failures.push(`${where}: Object.prototype was polluted`)
      if (!result) {
        failures.push(`${where}: threw ${String(error)}`)
        continue
      }
      if (result.ok) continue
      refused++
      if (result.problems.length === 0) failures.push(`${where}: refused without a problem`)
      for (const problem of result.problems) {
        const bad =
          !fileProblemSchema.safeParse(problem).success ||
          problem.message.trim() === '' ||
          problem.file !== demoFile ||
          (problem.line !== null &&
            (!Number.isInteger(problem.line) ||
              problem.line < 1 ||
              problem.line > lineCount(text))) ||
          (problem.column !== null && (!Number.isInteger(problem.column) || problem.column < 1))
        if (bad)
          failures.push(`${where}: malformed problem ${JSON.stringify(problem).slice(0, 300)}`)
      }
      const placed = result.problems.some((problem) => problem.line !== null || problem.path !== '')
      if (!placed && !wholeFileAtFault(text))
        failures.push(
          `${where}: no problem names a line or a field: ${JSON.stringify(result.problems).slice(0, 300)}`,
        )
    }
    expect(failures).toEqual([])
    // Most mutations must break the file, or the checks above were hardly exercised.
    expect(refused).toBeGreaterThan(mutations / 2)
    expect(slowest).toBeLessThan(1000)
  })

  it('refuses an alias bomb with a clear problem instead of expanding it', () => {
    const { result, ms } = timedParse(`${demo}\n${aliasBomb}\n`)
    expect(ms).toBeLessThan(1000)
    expect(result).toEqual({
      ok: false,
      file: demoFile,
      problems: [
        {
          file: demoFile,
          line: null,
          column: null,
          path: '',
          message: expect.stringMatching(/alias/i) as unknown,
        },
      ],
    })
  })

  it('reads a 5 MB file within a second: padded it loads, as junk it is refused', () => {
    const padding = `# ${'x'.repeat(97)}\n`.repeat(50_000)
    expect(padding.length).toBeGreaterThanOrEqual(5_000_000)
    const padded = timedParse(demo + padding)
    expect(padded.ms).toBeLessThan(1000)
    expect(padded.result).toEqual(parseSiteText(demo, demoFile))
    const junkFile = timedParse('\u0000{['.repeat(1_700_000))
    expect(junkFile.ms).toBeLessThan(1000)
    expect(junkFile.result?.ok).toBe(false)
    // Brackets by the million: refused by the nesting check on its first line, before any parsing.
    expect(junkFile.result).toMatchObject({
      ok: false,
      problems: [{ line: 1, path: '', message: expect.stringMatching(/^nests more than 200/) }],
    })
  })

  it('places a value of the wrong type at its line and field path', () => {
    const { result } = timedParse(demo.replace('port: 15020', 'port: fifteen'))
    expect(result).toEqual({
      ok: false,
      file: demoFile,
      problems: [
        {
          file: demoFile,
          line: 11,
          column: 11,
          path: 'sources[0].port',
          message: 'Invalid input: expected number, received string',
        },
      ],
    })
  })

  it('refuses 10,000 levels of nesting by name, and a __proto__ key without polluting anything', () => {
    const deep = timedParse(
      demo.replace('port: 15020', `port: ${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    )
    expect(deep.error).toBeNull()
    expect(deep.ms).toBeLessThan(1000)
    expect(deep.result).toMatchObject({
      ok: false,
      problems: [
        { line: 11, message: 'nests more than 200 levels deep; a site file needs a handful' },
      ],
    })
    // Unclosed, and far deeper: refused the same way before the YAML parser sees it (it ran out of
    // memory on this inside the test runner).
    const unclosed = timedParse(`${demo}\nextra: ${'{['.repeat(50_000)}\n`)
    expect(unclosed.error).toBeNull()
    expect(unclosed.ms).toBeLessThan(1000)
    expect(unclosed.result?.ok === false && unclosed.result.problems[0]?.message).toMatch(
      /nests more/,
    )
    // Indentation nests too: a line indented past 200 columns.
    const indented = timedParse(`${demo}\nextra:\n${' '.repeat(201)}x: 1\n`)
    expect(indented.result?.ok === false && indented.result.problems[0]?.message).toMatch(
      /nests more/,
    )
    const proto = timedParse(
      demo.replace(
        'site: { id: demo-works, name: Demo Works }',
        'site: { id: demo-works, name: Demo Works, __proto__: { polluted: true } }',
      ),
    )
    expect(polluted()).toBe(false)
    expect(proto.result).toMatchObject({
      ok: false,
      problems: [
        { line: 5, path: 'site', message: expect.stringContaining('__proto__') as unknown },
      ],
    })
  })
})
