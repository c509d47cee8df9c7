import { X509Certificate } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OPCUACertificateManager } from 'node-opcua'
import type { CertificateInfo } from '../../shared/field/diagnostics'
import { fail, ok, type Result } from '../../shared/result'
import { describeError } from '../log/logger'

// The console's OPC UA certificate store (DESIGN.md §4): our own application instance certificate,
// the server certificates an engineer has trusted, and the ones we refused, in the folder layout of
// OPC UA Part 12's local directory store (Annex F): own, trusted/certs, rejected, issuers.
// Automatic acceptance is off: an unknown server certificate is refused (Part 4 §6.1.3) and lands in
// <pki>/rejected until someone who checked its thumbprint trusts it from here.

export type TrustStatus = CertificateInfo['status']

/** Where the OPC UA store of a console with this data folder lives. */
export function pkiFolder(dataDir: string): string {
  return join(dataDir, 'pki')
}

const rejectedFolder = (pkiDir: string): string => join(pkiDir, 'rejected')
const trustedFolder = (pkiDir: string): string => join(pkiDir, 'trusted', 'certs')

/** File names node-opcua and engineers use for certificates (PEM or DER). */
const certificateFile = /\.(pem|der|crt|cer)$/i

/**
 * The first certificate of a DER buffer. OPC UA sends a chain as DER certificates one after the
 * other (Part 6 §6.2.3); each starts with an ASN.1 SEQUENCE whose length says where it ends.
 */
function leafOf(certificate: Buffer): Buffer {
  if (certificate[0] !== 0x30) return certificate
  const first = certificate[1] ?? 0
  if (first < 0x80) return certificate.subarray(0, 2 + first)
  const lengthBytes = first & 0x7f
  let length = 0
  for (let index = 0; index < lengthBytes; index++)
    length = length * 256 + (certificate[2 + index] ?? 0)
  return certificate.subarray(0, 2 + lengthBytes + length)
}

/** A SHA-1 thumbprint as node-opcua writes it in file names: 40 lower-case hex digits. */
export function normaliseThumbprint(thumbprint: string): string {
  return thumbprint.replace(/[\s:]/g, '').toLowerCase()
}

/**
 * What an operator needs to recognise a certificate: its SHA-1 thumbprint (the one in the rejected
 * file's name and in most servers' configuration pages), subject common name and validity.
 * Takes DER (a chain gives its first, the server's own certificate) or PEM.
 */
export function describeCertificate(certificate: Buffer, status: TrustStatus): CertificateInfo {
  const isPem = certificate.subarray(0, 64).toString('latin1').includes('-----BEGIN')
  const x509 = new X509Certificate(isPem ? certificate : leafOf(certificate))
  const commonName = /^CN=(.*)$/m.exec(x509.subject)?.[1]
  return {
    thumbprint: normaliseThumbprint(x509.fingerprint),
    subject: commonName ?? x509.subject.replace(/\n/g, ', '),
    validFrom: new Date(x509.validFrom).toISOString(),
    validTo: new Date(x509.validTo).toISOString(),
    status,
  }
}

type StoredCertificate = { info: CertificateInfo; file: string; content: Buffer }

async function readFolder(folder: string, status: TrustStatus): Promise<StoredCertificate[]> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const found: StoredCertificate[] = []
  for (const name of names.filter((candidate) => certificateFile.test(candidate)).sort()) {
    const file = join(folder, name)
    try {
      const content = await readFile(file)
      found.push({ info: describeCertificate(content, status), file, content })
    } catch {
      // A file that is not a certificate (half-copied, a key, a CRL) is not ours to judge here.
    }
  }
  return found
}

/** The server certificates that were refused and wait for a decision, by subject. */
export async function listRejectedCertificates(dataDir: string): Promise<CertificateInfo[]> {
  const stored = await readFolder(rejectedFolder(pkiFolder(dataDir)), 'rejected')
  return stored
    .map(({ info }) => info)
    .sort((a, b) => a.subject.localeCompare(b.subject) || a.thumbprint.localeCompare(b.thumbprint))
}

/**
 * Whether a certificate is in the trusted or the rejected folder. node-opcua counts one that is in
 * both as rejected, and so do we.
 */
export async function certificateTrustStatus(
  pkiDir: string,
  thumbprint: string,
): Promise<TrustStatus> {
  const wanted = normaliseThumbprint(thumbprint)
  const rejected = await readFolder(rejectedFolder(pkiDir), 'rejected')
  if (rejected.some(({ info }) => info.thumbprint === wanted)) return 'rejected'
  const trusted = await readFolder(trustedFolder(pkiDir), 'trusted')
  if (trusted.some(({ info }) => info.thumbprint === wanted)) return 'trusted'
  return 'unknown'
}

/**
 * Moves a refused server certificate to the trusted ones, through node-opcua's certificate manager
 * so that the manager a running driver holds knows at once. Drivers of this store that are waiting
 * to retry are told, and retry now instead of after their backoff.
 */
export async function trustRejectedCertificate(
  dataDir: string,
  thumbprint: string,
): Promise<Result<CertificateInfo>> {
  const wanted = normaliseThumbprint(thumbprint)
  if (!/^[0-9a-f]{40}$/.test(wanted)) {
    return fail(
      'invalid-thumbprint',
      `"${thumbprint}" is not a certificate thumbprint (40 hexadecimal digits, SHA-1)`,
    )
  }
  const pkiDir = pkiFolder(dataDir)
  let candidate: StoredCertificate | undefined
  try {
    const rejected = await readFolder(rejectedFolder(pkiDir), 'rejected')
    candidate = rejected.find(({ info }) => info.thumbprint === wanted)
  } catch (error) {
    return fail('pki-unreadable', `cannot read ${rejectedFolder(pkiDir)}: ${describeError(error)}`)
  }
  if (!candidate) {
    return fail(
      'certificate-not-found',
      `no rejected certificate has the thumbprint ${wanted} in ${rejectedFolder(pkiDir)}`,
    )
  }
  const der = derOf(candidate.content)
  let shared: SharedCertificateManager | null = null
  try {
    shared = await acquireCertificateManager(pkiDir)
    await shared.manager.trustCertificate(der)
  } catch (error) {
    return fail(
      'trust-failed',
      `cannot trust ${candidate.info.subject} (${wanted}): ${describeError(error)}`,
    )
  } finally {
    await shared?.release()
  }
  notifyTrusted(pkiDir)
  return ok({ ...candidate.info, status: 'trusted' })
}

/**
 * Trusts a server certificate without an engineer's check, for the one case where none is needed:
 * the console started that server itself (the simulator of a demo site or drill), and the
 * certificate came from it in this process, never over the network. Trusting one that is already
 * trusted changes nothing; one that was refused earlier moves out of rejected/.
 */
export async function trustOwnServerCertificate(
  dataDir: string,
  certificate: Buffer,
): Promise<Result<CertificateInfo>> {
  const pkiDir = pkiFolder(dataDir)
  let info: CertificateInfo
  try {
    info = describeCertificate(certificate, 'trusted')
  } catch (error) {
    return fail('invalid-certificate', `not a certificate: ${describeError(error)}`)
  }
  let shared: SharedCertificateManager | null = null
  try {
    shared = await acquireCertificateManager(pkiDir)
    await shared.manager.trustCertificate(derOf(certificate))
  } catch (error) {
    return fail(
      'trust-failed',
      `cannot trust ${info.subject} (${info.thumbprint}) in ${pkiDir}: ${describeError(error)}`,
    )
  } finally {
    await shared?.release()
  }
  notifyTrusted(pkiDir)
  return ok(info)
}

/** Drivers of this store that wait to retry are told, and retry now instead of after a backoff. */
function notifyTrusted(pkiDir: string): void {
  for (const listener of [...(trustListeners.get(pkiDir) ?? [])]) {
    try {
      listener()
    } catch {
      // A listener's trouble is its own; the certificate is trusted either way.
    }
  }
}

/** DER of a certificate file's content (node-opcua's manager takes DER). */
function derOf(content: Buffer): Buffer {
  const text = content.subarray(0, 64).toString('latin1')
  if (!text.includes('-----BEGIN')) return leafOf(content)
  return Buffer.from(new X509Certificate(content).raw)
}

const trustListeners = new Map<string, Set<() => void>>()

/** Calls `listener` after a certificate of this store was trusted; returns the unsubscribe. */
export function onCertificateTrusted(pkiDir: string, listener: () => void): () => void {
  let listeners = trustListeners.get(pkiDir)
  if (!listeners) {
    listeners = new Set()
    trustListeners.set(pkiDir, listeners)
  }
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0 && trustListeners.get(pkiDir) === listeners)
      trustListeners.delete(pkiDir)
  }
}

export type SharedCertificateManager = {
  manager: OPCUACertificateManager
  release: () => Promise<void>
}

type CertificateStoreEntry = {
  manager: OPCUACertificateManager
  ready: Promise<void>
  users: number
}

/**
 * One certificate manager per PKI folder, shared by every OPC UA source of the console and by the
 * trust action: they share one client certificate and one list of trusted servers, and a manager's
 * in-memory index must not lag behind a move another one made. The manager is disposed when its
 * last user lets go, which closes its file watchers.
 */
const certificateStores = new Map<string, CertificateStoreEntry>()

export async function acquireCertificateManager(pkiDir: string): Promise<SharedCertificateManager> {
  let entry = certificateStores.get(pkiDir)
  if (!entry) {
    const manager = new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: false,
    })
    entry = { manager, ready: manager.initialize(), users: 0 }
    certificateStores.set(pkiDir, entry)
  }
  entry.users += 1
  const acquired = entry
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    acquired.users -= 1
    if (acquired.users > 0) return
    if (certificateStores.get(pkiDir) === acquired) certificateStores.delete(pkiDir)
    await acquired.ready.catch(() => {})
    // Each client counts itself as a user of the manager and lets go on disconnect, but not after
    // a failed connect; we own the manager, so it goes now.
    acquired.manager.referenceCounter = 0
    await acquired.manager.dispose()
  }
  try {
    await acquired.ready
  } catch (error) {
    await release()
    throw error
  }
  return { manager: acquired.manager, release }
}
