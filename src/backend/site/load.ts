import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import type { z } from 'zod'
import { siteSchema, type Site, type SiteProblem } from '../../shared/site/schema'

export type SiteLoad =
  { ok: true; site: Site; file: string } | { ok: false; problems: SiteProblem[]; file: string }

/** Formats a zod path the way engineers write it: tags[3].address.offset */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('')
}

/**
 * Reads a site file (YAML, or JSON, which YAML 1.2 parses too) and validates it against the site
 * schema. Every problem names the file, the line and column, and the field path, so a plant engineer
 * can fix a file they have never seen before.
 */
export async function loadSiteFile(path: string): Promise<SiteLoad> {
  const file = resolve(path)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const message =
      code === 'ENOENT'
        ? 'the site file does not exist'
        : `the site file cannot be read (${code ?? String(error)})`
    return { ok: false, file, problems: [{ file, line: null, column: null, path: '', message }] }
  }
  return parseSiteText(text, file)
}

export function parseSiteText(text: string, file: string): SiteLoad {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (document.errors.length > 0) {
    return {
      ok: false,
      file,
      problems: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0])
        return {
          file,
          line: position.line,
          column: position.col,
          path: '',
          message: firstLine(error.message),
        }
      }),
    }
  }
  const parsed = siteSchema.safeParse(document.toJS())
  if (parsed.success) return { ok: true, site: parsed.data, file }
  return {
    ok: false,
    file,
    problems: parsed.error.issues.map((issue) => locateIssue(issue, document, lineCounter, file)),
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message
}

/** Finds the line of the deepest node that exists on the issue's path (a missing field points at its parent). */
function locateIssue(
  issue: z.core.$ZodIssue,
  document: Document,
  lineCounter: LineCounter,
  file: string,
): SiteProblem {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol')
  let node: unknown = document.contents
  let found: Node | null = isMap(node) || isSeq(node) ? (node as Node) : null
  for (const key of path) {
    if (isMap(node) || isSeq(node)) {
      const next = node.get(key, true)
      if (next === undefined) break
      node = next
      if (next && typeof next === 'object' && 'range' in next) found = next as Node
    } else break
  }
  const offset = found?.range?.[0]
  const position = offset === undefined ? null : lineCounter.linePos(offset)
  return {
    file,
    line: position?.line ?? null,
    column: position?.col ?? null,
    path: formatPath(path),
    message: issue.message,
  }
}
