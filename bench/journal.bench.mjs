// Durable journal commits (DESIGN.md §7: p99 ≤ 2 ms; ≥ 1,000 events/s sustained), one event per
// transaction and grouped. The measurement itself is TypeScript (bench/journal.measure.ts, run by
// vitest); this wrapper runs it and returns what it wrote.
import { runMeasure } from './run-measure.mjs'

export const run = () => runMeasure('bench/journal.measure.ts')
