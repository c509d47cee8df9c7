import type { TagValue } from '../../shared/field/values'
import { systemScheduler, type Scheduler } from '../../shared/scheduler'
import type { Site } from '../../shared/site/schema'
import type { Logger } from '../log/logger'
import { startAcquisition, type DriverFactories } from './acquisition'
import { fieldDrivers } from './drivers'

/** One line of the probe's report; the JSON form of DESIGN.md §3.3, plus why a tag is not good. */
export type ProbeRow = {
  id: string
  value: TagValue['value']
  quality: TagValue['quality']
  reason?: string
  unit: string
  source: string
  ts: string
}

export type ProbeOptions = {
  dataDir: string
  /** How long to wait for every tag to be answered for. */
  waitMs: number
  logger: Logger
  drivers?: DriverFactories
  scheduler?: Scheduler
}

/**
 * Connects to every source of a site, waits until each tag has been read once (or its driver has
 * said why it cannot be) or until waitMs, and reports every tag. A tag nobody answered for is bad,
 * with the source's last error as the reason.
 */
export async function probeSite(site: Site, options: ProbeOptions): Promise<ProbeRow[]> {
  const scheduler = options.scheduler ?? systemScheduler
  const acquisition = startAcquisition(site, options.drivers ?? fieldDrivers, {
    logger: options.logger,
    scheduler,
    dataDir: options.dataDir,
  })
  const settled = new Set<string>()
  let cancelWait = (): void => {}
  await new Promise<void>((resolve) => {
    acquisition.onValues((batch) => {
      for (const value of batch) if (value.reason !== 'not read yet') settled.add(value.tagId)
      if (settled.size >= site.tags.length) resolve()
    })
    cancelWait = scheduler.after(options.waitMs, resolve)
  })
  cancelWait()
  const latest = new Map(acquisition.values().map((value) => [value.tagId, value]))
  const sources = new Map(acquisition.sources().map((source) => [source.id, source]))
  await acquisition.dispose()

  return site.tags.map((tag) => {
    const value = latest.get(tag.id)
    const lastError = sources.get(tag.source)?.lastError
    const answered = value !== undefined && settled.has(tag.id)
    const reason = answered
      ? value.reason
      : `no answer within ${options.waitMs} ms${lastError ? `: ${lastError}` : ''}`
    return {
      id: tag.id,
      value: answered ? value.value : null,
      quality: answered ? value.quality : 'bad',
      ...(reason ? { reason } : {}),
      unit: tag.unit,
      source: tag.source,
      ts: new Date(value?.sourceTs ?? value?.receivedTs ?? scheduler.now()).toISOString(),
    }
  })
}

/** The probe's table for a terminal, with a summary line. */
export function formatProbeTable(rows: ProbeRow[]): string {
  const header = ['TAG', 'VALUE', 'UNIT', 'QUALITY', 'SOURCE', 'TIME']
  const cells = rows.map((row) => [
    row.id,
    row.value === null ? '—' : String(row.value),
    row.unit,
    row.quality === 'good' ? 'good' : `${row.quality}: ${row.reason ?? ''}`,
    row.source,
    row.ts,
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => cell[column]?.length ?? 0)),
  )
  const line = (cell: string[]): string =>
    cell
      .map((text, column) => text.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd()
  const bad = rows.filter((row) => row.quality !== 'good').length
  const summary =
    bad === 0 ? `all ${rows.length} tags good` : `${bad} of ${rows.length} tags not good`
  return `${[line(header), ...cells.map(line)].join('\n')}\n\n${summary}\n`
}
