import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// DESIGN.md §2's import rules are enforced by ESLint: these prove a wrong import fails `npm run lint`.
const eslint = new ESLint({ cwd: process.cwd() })

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message)
}

describe('layering rules', () => {
  it.each([
    [
      'src/renderer/src/bad.ts',
      "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer\n",
    ],
    [
      'src/renderer/src/bad.ts',
      "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
    ],
    [
      'src/renderer/src/bad.ts',
      "import { readFileSync } from 'fs'\nexport const x = readFileSync\n",
    ],
    ['src/shared/bad.ts', "import { app } from 'electron'\nexport const x = app\n"],
    [
      'src/shared/bad.ts',
      "import { createHash } from 'node:crypto'\nexport const x = createHash\n",
    ],
    [
      'src/renderer/src/bad.ts',
      "import { createBackend } from '../../backend/app/backend'\nexport const x = createBackend\n",
    ],
    ['src/backend/bad.ts', "import { app } from 'electron'\nexport const x = app\n"],
    [
      'src/preload/bad.ts',
      "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
    ],
  ])('refuses the import in %s', async (filePath, code) => {
    const messages = await restrictedImports(filePath, code)
    expect(messages.length).toBe(1)
  })

  it('allows what each layer may use', async () => {
    expect(
      await restrictedImports(
        'src/renderer/src/ok.ts',
        "import { z } from 'zod'\nexport const x = z\n",
      ),
    ).toEqual([])
    expect(
      await restrictedImports(
        'src/backend/ok.ts',
        "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
      ),
    ).toEqual([])
    expect(
      await restrictedImports(
        'src/main/ok.ts',
        "import { app } from 'electron'\nexport const x = app\n",
      ),
    ).toEqual([])
  })
})
