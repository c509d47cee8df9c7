import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A plant PKI in miniature: a CA, a server certificate it signed for 127.0.0.1, and a stranger CA. */
export type TestPki = {
  /** The plant CA's certificate, PEM: what central.caFile names. */
  caFile: string
  /** Another CA that signed nothing here: trusting it must not let the server through. */
  strangerCaFile: string
  serverKey: Buffer
  serverCert: Buffer
}

/**
 * node:crypto cannot make X.509 certificates, so the machine's openssl does (Debian ships it). EC
 * keys keep it to a few tens of milliseconds.
 */
export function makeTestPki(dir: string): TestPki {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const ca = (name: string): void =>
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    )
  ca('plant-ca')
  ca('stranger-ca')
  openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  )
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'plant-ca.pem',
    '-CAkey',
    'plant-ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  )
  return {
    caFile: join(dir, 'plant-ca.pem'),
    strangerCaFile: join(dir, 'stranger-ca.pem'),
    serverKey: readFileSync(join(dir, 'server.key')),
    serverCert: readFileSync(join(dir, 'server.pem')),
  }
}
