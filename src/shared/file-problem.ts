import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml'

// How the console reports a problem in a file an engineer wrote (site files, CSV tag lists,
// scenarios): the file, the line and column, the field path, and what is wrong.

export type FileProblem = {
  file: string
  line: number | null
  column: number | null
  /** Field path such as tags[3].address.offset; empty for the whole file. */
  path: string
  message: string
}

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
