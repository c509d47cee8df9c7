// Tag lists from CSV (a spreadsheet export is how most plants keep their I/O lists). RFC 4180:
// comma-separated, double quotes around fields that hold commas, quotes or line breaks, "" for a
// quote inside them. The first row names the columns; docs/site-file.md lists them.

export type CsvRow = { line: number; cells: Record<string, string> }
export type CsvTable = { header: string[]; rows: CsvRow[] }
export type CsvProblem = { line: number; message: string }

/** Splits CSV text into records, keeping the line each record starts on. */
function records(text: string): Array<{ line: number; fields: string[] }> | CsvProblem {
  const out: Array<{ line: number; fields: string[] }> = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0 // a byte-order mark from spreadsheet exports
  const endRecord = (): void => {
    fields.push(field)
    // Spreadsheet exports end with rows of empty cells (",,,,"): they are not tags.
    if (fields.some((value) => value.trim() !== '')) out.push({ line: recordLine, fields })
    fields = []
    field = ''
  }
  for (; index < text.length; index++) {
    const char = text[index]
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"'
        index++
      } else if (char === '"') quoted = false
      else {
        if (char === '\n') line++
        field += char
      }
      continue
    }
    if (char === '"' && field.trim() === '') {
      quoted = true
      field = ''
    } else if (char === ',') {
      fields.push(field)
      field = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++
      endRecord()
      line++
      recordLine = line
    } else field += char
  }
  if (quoted) return { line: recordLine, message: 'a quoted field is not closed' }
  if (field !== '' || fields.length > 0) endRecord()
  return out
}

export function parseCsv(text: string): CsvTable | CsvProblem {
  const parsed = records(text)
  if (!Array.isArray(parsed)) return parsed
  const [head, ...body] = parsed
  if (!head) return { line: 1, message: 'the file is empty: the first row must name the columns' }
  const header = head.fields.map((name) => name.trim())
  // A misspelt column (scale_factor for scaleFactor) would silently drop a setting and show raw
  // values as good: every column must be one the console knows.
  const unknown = header.filter((name) => name !== '' && !Object.hasOwn(tagColumns, name))
  if (unknown.length > 0) {
    return {
      line: head.line,
      message: `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')}; the columns are ${Object.keys(tagColumns).join(', ')}`,
    }
  }
  const rows: CsvRow[] = []
  for (const record of body) {
    if (record.fields.length > header.length) {
      return {
        line: record.line,
        message: `${record.fields.length} fields but the header names ${header.length} columns`,
      }
    }
    const cells: Record<string, string> = {}
    header.forEach((name, column) => {
      const value = record.fields[column]?.trim() ?? ''
      if (value !== '') cells[name] = value
    })
    rows.push({ line: record.line, cells })
  }
  return { header, rows }
}

/** The CSV columns, and the site-file field each one fills. */
export const tagColumns = {
  id: ['id'],
  name: ['name'],
  source: ['source'],
  unit: ['unit'],
  nodeId: ['nodeId'],
  unitId: ['address', 'unitId'],
  table: ['address', 'table'],
  offset: ['address', 'offset'],
  type: ['address', 'type'],
  order: ['address', 'order'],
  bit: ['address', 'bit'],
  length: ['address', 'length'],
  scaleFactor: ['scale', 'factor'],
  scaleOffset: ['scale', 'offset'],
  hh: ['limits', 'hh'],
  h: ['limits', 'h'],
  l: ['limits', 'l'],
  ll: ['limits', 'll'],
} as const satisfies Record<string, readonly string[]>

const numericColumns = new Set([
  'unitId',
  'offset',
  'bit',
  'length',
  'scaleFactor',
  'scaleOffset',
  'hh',
  'h',
  'l',
  'll',
])

export type TagColumn = keyof typeof tagColumns

/**
 * Turns one CSV row into a tag object for the site schema to validate. Numbers stay strings when
 * they do not parse, so the schema reports them against their column rather than this code guessing.
 */
export function rowToTag(row: CsvRow): Record<string, unknown> {
  const tag: Record<string, unknown> = {}
  for (const [column, raw] of Object.entries(row.cells)) {
    if (!Object.hasOwn(tagColumns, column)) continue
    const path = tagColumns[column as TagColumn]
    const number = Number(raw)
    const value = numericColumns.has(column) && raw !== '' && Number.isFinite(number) ? number : raw
    let target = tag
    for (const key of path.slice(0, -1)) {
      target[key] ??= {}
      target = target[key] as Record<string, unknown>
    }
    target[path.at(-1) as string] = value
  }
  return tag
}

/** The CSV column that holds a tag field path such as ['address', 'offset'], if any. */
export function columnFor(path: readonly PropertyKey[]): TagColumn | null {
  const key = path.join('.')
  for (const [column, fieldPath] of Object.entries(tagColumns)) {
    if (fieldPath.join('.') === key) return column as TagColumn
  }
  return null
}
