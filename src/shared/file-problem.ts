import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { z } from 'zod'

// How the console reports a problem in a file an engineer wrote (site files, CSV tag lists,
// scenarios): the file, the line and column, the field path, and what is wrong.

export const fileProblemSchema = z.object({
  file: z.string(),
  line: z.number().nullable(),
  column: z.number().nullable(),
  /** Field path such as tags[3].address.offset; empty for the whole file. */
  path: z.string(),
  message: z.string(),
})
export type FileProblem = z.infer<typeof fileProblemSchema>

/** Formats a field path the way engineers write it: tags[3].address.offset */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('')
}

export function formatFileProblem(problem: FileProblem): string {
  const where =
    problem.line === null ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`
  return problem.path
    ? `${where}: ${problem.path}: ${problem.message}`
    : `${where}: ${problem.message}`
}

/**
 * A problem at a field path of a parsed YAML (or JSON) document, placed at the line of the deepest
 * node that exists on the path: a missing field points at the object that should hold it.
 */
export function problemAt(
  path: readonly PropertyKey[],
  message: string,
  document: Document,
  lineCounter: LineCounter,
  file: string,
): FileProblem {
  const keys = path.filter((part): part is string | number => typeof part !== 'symbol')
  let node: unknown = document.contents
  let found: Node | null = isMap(node) || isSeq(node) ? (node as Node) : null
  for (const key of keys) {
    if (!(isMap(node) || isSeq(node))) break
    const next: unknown = node.get(key, true)
    if (next === undefined) break
    node = next
    if (next && typeof next === 'object' && 'range' in next) found = next as Node
  }
  const offset = found?.range?.[0]
  const position = offset === undefined ? null : lineCounter.linePos(offset)
  return {
    file,
    line: position?.line ?? null,
    column: position?.col ?? null,
    path: formatFieldPath(keys),
    message,
  }
}

export type ParsedYaml =
  | {
      ok: true
      /** The plain data, for a schema to validate. */
      data: unknown
      /** Locates a field path of the data in the file. */
      problemAt: (path: readonly PropertyKey[], message: string) => FileProblem
    }
  | { ok: false; problems: FileProblem[] }

/**
 * Parses a YAML (or JSON, which YAML 1.2 reads too) file an engineer wrote, keeping line numbers so
 * every later problem can be placed. Syntax errors, duplicate keys and documents that expand too
 * far (an alias bomb) are problems too, never exceptions.
 */
/**
 * Deeper than any site file needs (they nest fewer than ten levels), and shallow enough that the
 * YAML parser and the checks after it never run out of stack on a damaged or hostile file.
 */
export const maxNestingDepth = 200

/**
 * The first line where flow brackets (`[`, `{`) or indentation nest deeper than maxNestingDepth,
 * or null. Quoted text and comments are skipped; the count is cheap and errs on the safe side.
 */
function tooDeepAt(text: string): { line: number; column: number } | null {
  let depth = 0
  let line = 1
  let column = 0
  let atLineStart = true
  let quote: string | null = null
  let comment = false
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!
    column += 1
    if (char === '\n') {
      line += 1
      column = 0
      atLineStart = true
      comment = false
      continue
    }
    if (atLineStart && char === ' ') {
      // Block nesting takes at least one column of indentation per level.
      if (column > maxNestingDepth) return { line, column }
      continue
    }
    atLineStart = false
    if (comment) continue
    if (quote) {
      if (char === quote) quote = null
      continue
    }
    if (char === '"' || char === "'") quote = char
    else if (char === '#') comment = true
    else if (char === '[' || char === '{') {
      depth += 1
      if (depth > maxNestingDepth) return { line, column }
    } else if (char === ']' || char === '}') depth = Math.max(0, depth - 1)
  }
  return null
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const deep = tooDeepAt(text)
  if (deep) {
    return {
      ok: false,
      problems: [
        {
          file,
          ...deep,
          path: '',
          message: `nests more than ${maxNestingDepth} levels deep; a site file needs a handful`,
        },
      ],
    }
  }
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0])
        const message = error.message.split('\n')[0] ?? error.message
        return { file, line: position.line, column: position.col, path: '', message }
      }),
    }
  }
  try {
    return {
      ok: true,
      data: document.toJS(),
      problemAt: (path, message) => problemAt(path, message, document, lineCounter, file),
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, problems: [{ file, line: null, column: null, path: '', message }] }
  }
}
