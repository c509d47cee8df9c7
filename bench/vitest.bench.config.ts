import { defineConfig } from 'vitest/config'

// Measurements that need the TypeScript sources (bench/*.measure.ts), run by the *.bench.mjs
// wrappers through `vitest run --config bench/vitest.bench.config.ts <file>`. Not part of
// `npm test`: they time things, and timings belong in benchmarks (DESIGN.md §7), not in tests.
// A measurement writes its figures to the JSON file named by MEASURE_OUTPUT.
export default defineConfig({
  test: {
    include: ['bench/**/*.measure.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 60_000,
    // One at a time, alone on the machine as far as we can: figures from parallel runs lie.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
})
