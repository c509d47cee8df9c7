import type { Cancel, Scheduler } from '../../src/shared/scheduler'

/** A Scheduler whose time moves only when the test says so. */
export class ManualScheduler implements Scheduler {
  private time: number
  private nextId = 0
  private readonly tasks = new Map<number, { at: number; task: () => void }>()

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start
  }

  now = (): number => this.time

  after = (ms: number, task: () => void): Cancel => {
    const id = this.nextId++
    this.tasks.set(id, { at: this.time + Math.max(0, ms), task })
    return () => this.tasks.delete(id)
  }

  /** Moves time forward, running every task that falls due, in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    for (;;) {
      const due = [...this.tasks.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      this.tasks.delete(due[0])
      this.time = due[1].at
      due[1].task()
      // Let promise chains started by the task settle before the next one runs.
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.time = end
  }

  pending(): number {
    return this.tasks.size
  }
}
