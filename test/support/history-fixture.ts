import BetterSqlite3 from 'better-sqlite3'
import { silentLogger } from '../../src/backend/log/logger'
import { openHistory, type History, type OpenHistoryOptions } from '../../src/backend/store/history'
import type { Quality, TagValue } from '../../src/shared/field/values'
import { ManualScheduler } from './manual-scheduler'

export const minuteMs = 60_000
export const hourMs = 3_600_000

/**
 * A history on a real file with fake time. `clock` is the scheduler's time plus `skew`, so a test
 * can jump days ahead (retention) without running every timer in between.
 */
export class HistoryFixture {
  readonly scheduler = new ManualScheduler()
  /** 2026-01-01T00:00:00Z: on a minute and an hour boundary. */
  readonly t0 = this.scheduler.now()
  skew = 0
  private readonly opened: History[] = []

  constructor(readonly path: string) {}

  clock = (): number => this.scheduler.now() + this.skew

  open(options: Partial<OpenHistoryOptions> = {}): History {
    const result = openHistory({
      path: this.path,
      scheduler: this.scheduler,
      clock: this.clock,
      logger: silentLogger,
      ...options,
    })
    if (!result.ok) throw new Error(result.error.message)
    this.opened.push(result.value)
    return result.value
  }

  reading(tagId: string, value: TagValue['value'], quality: Quality = 'good'): TagValue {
    return { tagId, value, quality, sourceTs: null, receivedTs: this.clock(), sourceId: 'plc-a' }
  }

  /** Records `values(second)` once a second for `seconds` seconds, as a 1 Hz poll would. */
  async everySecond(
    history: History,
    seconds: number,
    values: (second: number) => TagValue[],
  ): Promise<void> {
    for (let second = 0; second < seconds; second++) {
      history.record(values(second))
      await this.scheduler.advance(1000)
    }
  }

  /** A second, read-only connection: what another process (or a crash) would find on disk. */
  reader(path = this.path): BetterSqlite3.Database {
    return new BetterSqlite3(path, { readonly: true, fileMustExist: true })
  }

  async dispose(): Promise<void> {
    for (const history of this.opened.splice(0)) await history.dispose()
  }
}

/** Rows of `table` for one tag, in time order. */
export function rowsOfTag<Row>(db: BetterSqlite3.Database, table: string, tagName: string): Row[] {
  return db
    .prepare<[string], Row>(
      `SELECT * FROM ${table} WHERE tag = (SELECT id FROM tag WHERE name = ?) ORDER BY start`,
    )
    .all(tagName)
}

export function countRows(db: BetterSqlite3.Database, table: string): number {
  return db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() ?? 0
}
