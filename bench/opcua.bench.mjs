// OPC UA acquisition at scale (DESIGN.md §7): 10,000 monitored items at 1 s and 1,000 at 100 ms
// from the simulator, with the driver's CPU, memory, lost updates and value-to-event latency. The
// measurement itself is TypeScript (bench/opcua.measure.ts, run by vitest); this wrapper runs it
// and returns its figures.
import { runMeasure } from './run-measure.mjs'

export const run = () => runMeasure('bench/opcua.measure.ts')
