import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = fileURLToPath(new URL('../..', import.meta.url))

export type Bundle = {
  /** The bundled file of an entry, to run with `node`. */
  file: (entry: string) => string
  remove: () => void
}

/**
 * Bundles TypeScript entries (name → path from the repository root) into .mjs files in a temp
 * folder, so child processes start as plain `node` in tens of milliseconds instead of loading a
 * TypeScript loader each time. npm packages stay external and resolve through a link to the
 * repository's node_modules (better-sqlite3 is native and cannot be bundled anyway), except zod.
 */
export async function bundleForNode(entries: Record<string, string>): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'journal-bundle-'))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  await build({
    configFile: false,
    logLevel: 'warn',
    root,
    // Loaded from node_modules, zod's hundred-odd modules take ~170 ms of every start here; bundled
    // and tree-shaken, about 20.
    ssr: { noExternal: ['zod'] },
    build: {
      ssr: true,
      outDir: join(dir, 'out'),
      minify: false,
      // A fresh temp folder: nothing to empty.
      emptyOutDir: false,
      rollupOptions: {
        input: Object.fromEntries(
          Object.entries(entries).map(([name, path]) => [name, join(root, path)]),
        ),
        output: { format: 'es', entryFileNames: '[name].mjs' },
      },
    },
  })
  return {
    file: (entry) => join(dir, 'out', `${entry}.mjs`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
