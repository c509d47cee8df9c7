import { describe, expect, it } from 'vitest'
import { every } from '../../src/shared/scheduler'
import { ManualScheduler } from '../support/manual-scheduler'

describe('every', () => {
  it('keeps running after a failing run and reports the failure', async () => {
    const scheduler = new ManualScheduler()
    const errors: unknown[] = []
    let runs = 0
    const stop = every(
      scheduler,
      100,
      () => {
        runs++
        if (runs === 2) throw new Error('listener blew up')
      },
      (error) => errors.push(error),
    )
    await scheduler.advance(500)
    expect(runs).toBe(5)
    expect(errors).toEqual([new Error('listener blew up')])
    stop()
    await scheduler.advance(500)
    expect(runs).toBe(5)
    expect(scheduler.pending()).toBe(0)
  })
})
