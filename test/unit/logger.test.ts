import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileLogger, logFileName } from '../../src/backend/log/logger'

describe('file logger', () => {
  it('writes JSON lines at or above its level, with scopes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'))
    const logger = createFileLogger({ dir, level: 'info' })
    logger.debug('hidden')
    logger.child('field').warn('source lost', { source: 'plc-a' })
    logger.close()
    const lines = readFileSync(join(dir, logFileName), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        scope: 'pilot-light.field',
        message: 'source lost',
        source: 'plc-a',
      }),
    ])
  })

  it('rotates by size and keeps a bounded number of files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'))
    const logger = createFileLogger({ dir, maxBytes: 1000, keep: 2 })
    for (let i = 0; i < 100; i++) logger.info('line', { i })
    logger.close()
    expect(readdirSync(dir).sort()).toEqual(['pilot-light.1.log', 'pilot-light.2.log', logFileName])
    expect(existsSync(join(dir, 'pilot-light.3.log'))).toBe(false)
    const newest = readFileSync(join(dir, logFileName), 'utf8').trim().split('\n')
    expect(JSON.parse(newest.at(-1) ?? '{}').i).toBe(99)
    for (const file of readdirSync(dir))
      expect(readFileSync(join(dir, file)).length).toBeLessThanOrEqual(1000)
  })
})
