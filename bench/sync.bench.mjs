// Sync backlog drain to a loopback receiver (DESIGN.md §7: ≥ 300,000 history samples/s and ≥ 20,000
// journal events/s, UI still responsive). The measurement itself is TypeScript
// (bench/sync.measure.ts, run by vitest); this wrapper runs it and returns what it wrote.
import { runMeasure } from './run-measure.mjs'

export const run = () => runMeasure('bench/sync.measure.ts')
