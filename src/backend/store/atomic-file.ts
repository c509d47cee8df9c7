import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'

/**
 * Writes a small file whole and flushes it before it replaces the old one, so a power cut leaves
 * one version or the other, never half of each.
 */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`
  const handle = openSync(temporary, 'w')
  try {
    writeSync(handle, text)
    fsyncSync(handle)
  } finally {
    closeSync(handle)
  }
  renameSync(temporary, path)
}
