import { existsSync, renameSync } from 'node:fs'
import { extname } from 'node:path'

/**
 * Renames a damaged SQLite database together with its -wal and -shm (which may hold its last
 * committed transactions, readable only beside the database) to `<name>.damaged-<time><ext>`,
 * never deleting anything, so a fresh file can start in its place. The journal and the history
 * both use it; each words its own notice. Throws when a rename fails, naming nothing moved back.
 */
export function moveDamagedFilesAside(
  path: string,
  at: number,
): { keptAs: string; keptFiles: string[] } {
  const extension = extname(path)
  const base = path.slice(0, path.length - extension.length)
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-')
  let keptAs = `${base}.damaged-${stamp}${extension}`
  for (let attempt = 2; existsSync(keptAs); attempt++)
    keptAs = `${base}.damaged-${stamp}-${attempt}${extension}`
  const keptFiles: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(path + suffix)) continue
    renameSync(path + suffix, keptAs + suffix)
    keptFiles.push(keptAs + suffix)
  }
  return { keptAs, keptFiles }
}
