import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../src/backend/log/logger'
import { journalFileName } from '../../src/backend/store/database'
import { openJournal } from '../../src/backend/store/open-journal'
import type { Journal } from '../../src/backend/store/journal'
import type { Recording } from '../../src/shared/api/contract'

/** A real journal in a temporary folder, for backends under test: what start-console gives them. */
export function testRecording(): {
  consoleId: string
  journal: Journal
  recording: Recording
  close: () => void
} {
  const file = join(mkdtempSync(join(tmpdir(), 'pilot-light-journal-')), journalFileName)
  const consoleId = 'test-console'
  const opened = openJournal({ path: file, consoleId, clock: Date.now, logger: silentLogger })
  if (!opened.ok) throw new Error(opened.error.message)
  return {
    consoleId,
    journal: opened.value.journal,
    recording: { state: 'recording', file, problem: null, recovery: null },
    close: opened.value.close,
  }
}
