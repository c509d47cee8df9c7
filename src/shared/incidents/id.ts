// Incident ids: the runbook's INC-YYYYMMDD-NNN, then a six-character code of the console that
// declared it. Consoles of a site declare offline and independently, so NNN alone would collide
// (two control rooms both declaring their first incident of the day); the console part makes the id
// unique without any coordination, and the first part still reads as the runbook's.

/** The UTC day of a time as YYYYMMDD: the journal keeps UTC, and so do incident ids. */
export function incidentDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')
}

/**
 * The console's code in incident ids: six upper-case hex digits of a digest of its console id (the
 * backend passes sha256(consoleId)). Two consoles share one with odds of 1 in 16.7 million.
 */
export function consoleCode(digestHex: string): string {
  if (!/^[0-9a-f]{6}/i.test(digestHex)) throw new Error('consoleCode needs a hex digest')
  return digestHex.slice(0, 6).toUpperCase()
}

export function formatIncidentId(day: string, number: number, code: string): string {
  if (!Number.isInteger(number) || number < 1 || number > 999) {
    throw new Error(`incident number ${number} is outside 1–999`)
  }
  return `INC-${day}-${String(number).padStart(3, '0')}-${code}`
}

/** The next id for `day` on this console, after every id it has used already. */
export function nextIncidentId(existing: Iterable<string>, day: string, code: string): string {
  let highest = 0
  const prefix = `INC-${day}-`
  for (const id of existing) {
    if (!id.startsWith(prefix) || !id.endsWith(`-${code}`)) continue
    const number = id.slice(prefix.length, prefix.length + 3)
    // Ids come from the journal, which another version may have written: skip what is not ours.
    if (/^\d{3}$/.test(number)) highest = Math.max(highest, Number(number))
  }
  return formatIncidentId(day, highest + 1, code)
}
