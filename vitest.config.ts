import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: integration tests start real OPC UA and Modbus servers, keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
})
