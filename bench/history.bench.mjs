// History ingest (DESIGN.md §7: 10,000 samples/s at ≤ 3 % of one core), in real time with the
// real flush cadence. The measurement itself is TypeScript (bench/history.measure.ts, run by
// vitest); this wrapper runs it and returns what it wrote.
import { runMeasure } from './run-measure.mjs'

export const run = () => runMeasure('bench/history.measure.ts')
