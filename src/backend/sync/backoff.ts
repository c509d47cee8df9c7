export type BackoffSettings = {
  /** The ceiling of the first retry's delay. */
  baseMs: number
  /** The ceiling never grows past this. */
  maxMs: number
}

/**
 * The delay before retry number `failures` (1 after the first failure): "full jitter", a uniform
 * draw between 0 and min(maxMs, baseMs · 2^(failures − 1)). Spreading retries over the whole window
 * keeps the consoles of a site from reconnecting in step when the central system comes back.
 */
export function backoffDelay(
  failures: number,
  settings: BackoffSettings,
  random: () => number,
): number {
  // 2^30 is far past any sensible maxMs; the clamp keeps the power finite.
  const exponent = Math.min(Math.max(failures, 1) - 1, 30)
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent)
  return Math.floor(random() * ceiling)
}

/**
 * The delay a Retry-After header asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), in ms
 * from `now`, or null when there is no header or it cannot be read. A date in the past means now.
 */
export function retryAfterDelay(header: string | null, now: number): number | null {
  if (header === null) return null
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // Every HTTP-date form starts with the weekday; this keeps Date.parse from reading other text.
  if (!/^[A-Za-z]{3}/.test(text)) return null
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
