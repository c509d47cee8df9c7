import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { formatFieldPath, parseYaml, type FileProblem } from '../../shared/file-problem'
import { columnFor, parseCsv, rowToTag } from '../../shared/site/csv'
import { siteSchema, type Site } from '../../shared/site/schema'

export type SiteLoad =
  { ok: true; site: Site; file: string } | { ok: false; problems: FileProblem[]; file: string }

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
  const parsedYaml = parseYaml(text, file)
  if (!parsedYaml.ok) return { ok: false, file, problems: parsedYaml.problems }
  const raw = parsedYaml.data
  const lists = addTagLists(raw, file)
  if (!lists.ok) return { ok: false, file, problems: lists.problems }
  const parsed = siteSchema.safeParse(raw)
  if (parsed.success) return { ok: true, site: parsed.data, file }
  return {
    ok: false,
    file,
    problems: parsed.error.issues.map((issue) => {
      const origin = issue.path[0] === 'tags' ? lists.origins.get(Number(issue.path[1])) : undefined
      if (!origin) return parsedYaml.problemAt(issue.path, issue.message)
      const field = issue.path.slice(2)
      const column = columnFor(field)
      return {
        file: origin.file,
        line: origin.line,
        column: null,
        path: column ? `column ${column}` : formatFieldPath(field),
        message: issue.message,
      }
    }),
  }
}

type TagOrigin = { file: string; line: number }

/**
 * Reads the CSV tag lists a site names and appends their rows to its tags, remembering where each
 * row came from so a problem in it is reported against the CSV file and line, not the site file.
 */
function addTagLists(
  raw: unknown,
  siteFile: string,
): { ok: true; origins: Map<number, TagOrigin> } | { ok: false; problems: FileProblem[] } {
  const origins = new Map<number, TagOrigin>()
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !('tagLists' in raw) ||
    !Array.isArray(raw.tagLists)
  ) {
    return { ok: true, origins }
  }
  const site = raw as { tagLists: unknown[]; tags?: unknown }
  if (site.tags !== undefined && !Array.isArray(site.tags)) return { ok: true, origins } // the schema says why
  const tags = (site.tags ?? []) as unknown[]
  site.tags = tags
  const problems: FileProblem[] = []
  for (const entry of site.tagLists) {
    if (typeof entry !== 'string') continue // the schema reports it
    const file = resolve(dirname(siteFile), entry)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      problems.push({
        file: siteFile,
        line: null,
        column: null,
        path: 'tagLists',
        message: `cannot read tag list ${file} (${code === 'ENOENT' ? 'it does not exist' : code})`,
      })
      continue
    }
    const table = parseCsv(text)
    if ('message' in table) {
      problems.push({ file, line: table.line, column: null, path: '', message: table.message })
      continue
    }
    for (const row of table.rows) {
      origins.set(tags.length, { file, line: row.line })
      tags.push(rowToTag(row))
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, origins }
}
