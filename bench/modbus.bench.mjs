// Modbus requests per scan and scan time (DESIGN.md §7: requests per scan = the block-plan
// minimum; ≥ 50× fewer round trips than per-tag reads on a 1,000-register map). The measurement
// itself is TypeScript (bench/modbus-scan.measure.ts, run by vitest); this wrapper runs it and
// returns what it wrote.
import { runMeasure } from './run-measure.mjs'

export const run = () => runMeasure('bench/modbus-scan.measure.ts')
