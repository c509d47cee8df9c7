// RFC 8785, JSON Canonicalization Scheme (JCS): the one byte-exact form of a JSON value that the
// journal's hash chain is computed over (DESIGN.md §3.4). Any program that can produce JCS (the
// central system, an auditor's script) can recompute our hashes from the events alone.

/** A value that is not I-JSON (RFC 7493), which RFC 8785 §3.1 requires; `path` says where it is. */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`)
    this.name = 'CanonicalJsonError'
  }
}

/** Thrown inside the walk; the path is assembled only on the way out, so success costs nothing. */
class Refusal {
  readonly steps: string[] = []
  constructor(readonly problem: string) {}
}

// With the u flag a well-formed surrogate pair is one code point, so only lone halves match.
const loneSurrogate = /\p{Surrogate}/u

/** Nesting deeper than this is refused, which is also how a value that contains itself ends. */
const maximumDepth = 1_000

/**
 * The RFC 8785 canonical JSON of `value`: object members sorted by their names' UTF-16 code units
 * (§3.2.3), no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify does
 * (§3.2.2.2 and §3.2.2.3 define them by that algorithm, -0 included: it becomes 0). Throws a
 * CanonicalJsonError for anything JSON cannot hold exactly: NaN, infinities, undefined, lone
 * surrogates, functions, non-plain objects such as Date or Map, and values nested in themselves.
 */
export function canonicalJson(value: unknown): string {
  try {
    return serialise(value, 0)
  } catch (error) {
    if (!(error instanceof Refusal)) throw error
    throw new CanonicalJsonError(`$${error.steps.reverse().join('')}`, error.problem)
  }
}

function serialise(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(`${value} is not a JSON number`)
      return JSON.stringify(value)
    case 'string':
      return serialiseString(value)
    case 'object':
      if (value === null) return 'null'
      if (depth >= maximumDepth)
        throw new Refusal(`nested deeper than ${maximumDepth} levels (does it contain itself?)`)
      return Array.isArray(value)
        ? serialiseArray(value, depth + 1)
        : serialiseObject(value, depth + 1)
    default:
      throw new Refusal(`${typeof value} is not a JSON value`)
  }
}

function serialiseString(text: string): string {
  const serialised = JSON.stringify(text)
  // JSON.stringify writes a lone surrogate as an escape starting \ud; only then look closer.
  if (serialised.includes('\\ud') && loneSurrogate.test(text))
    throw new Refusal('the string holds a lone UTF-16 surrogate')
  return serialised
}

function serialiseArray(items: unknown[], depth: number): string {
  let out = '['
  // An index loop, not map(): map skips holes, and a hole is undefined, which JSON cannot hold.
  for (let index = 0; index < items.length; index++) {
    if (index > 0) out += ','
    try {
      out += serialise(items[index], depth)
    } catch (error) {
      if (error instanceof Refusal) error.steps.push(`[${index}]`)
      throw error
    }
  }
  return `${out}]`
}

function serialiseObject(object: object, depth: number): string {
  const prototype: unknown = Object.getPrototypeOf(object)
  if (prototype !== Object.prototype && prototype !== null)
    throw new Refusal('only plain objects are JSON objects')
  const record = object as Record<string, unknown>
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, which is
  // exactly the order §3.2.3 prescribes (not by code point, not by locale).
  const names = Object.keys(record).sort()
  let out = '{'
  for (let index = 0; index < names.length; index++) {
    const name = names[index] as string
    if (index > 0) out += ','
    try {
      out += `${serialiseString(name)}:${serialise(record[name], depth)}`
    } catch (error) {
      if (error instanceof Refusal) error.steps.push(`.${name}`)
      throw error
    }
  }
  return `${out}}`
}
