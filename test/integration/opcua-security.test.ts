import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  listRejectedCertificates,
  trustRejectedCertificate,
} from '../../src/backend/field/opcua-pki'
import type { OpcUaSource } from '../../src/shared/site/schema'
import {
  createRecorder,
  goodSince,
  headerPressure,
  opcUaSource,
  sleep,
  useOpcUaHarness,
  waitFor,
} from '../support/opcua'
import { findFreePort } from '../support/ports'

// Security of the OPC UA driver against the simulator on loopback: trusting a refused server
// certificate from the console, the security policies a plant server offers, and signing in with a
// user name and password.

describe('OPC UA security', () => {
  const harness = useOpcUaHarness('opcua-security')
  const { startServer, startDriver } = harness

  it('lists a refused server certificate, trusts it by thumbprint, and connects without a restart', async () => {
    const port = await findFreePort()
    await startServer(port)
    const dataDir = join(harness.folder(), 'trust-data')
    const recorder = createRecorder()
    const driver = startDriver(
      opcUaSource(port, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }),
      [headerPressure],
      recorder,
      { dataDir },
    )
    await waitFor('the refusal', () => recorder.status()?.state === 'disconnected', 15_000)
    expect(recorder.status()?.lastError).toMatch(/not trusted/)

    // The Connections view shows the certificate the server presented, as refused…
    const details = driver.diagnostics().details
    if (details.kind !== 'opcua') throw new Error('unexpected details')
    const presented = details.serverCertificate
    expect(presented).toMatchObject({
      status: 'rejected',
      subject: expect.stringMatching(/simulator/),
    })
    // …and the same one waits in the rejected folder.
    const rejected = await listRejectedCertificates(dataDir)
    expect(rejected.map((certificate) => certificate.thumbprint)).toContain(presented?.thumbprint)
    const waiting = rejected.find((certificate) => certificate.thumbprint === presented?.thumbprint)
    expect(waiting).toMatchObject({ status: 'rejected', validFrom: presented?.validFrom })

    // A thumbprint nobody refused, and one that is not a thumbprint, are clear errors.
    expect(await trustRejectedCertificate(dataDir, 'ab'.repeat(20))).toMatchObject({
      ok: false,
      error: { code: 'certificate-not-found', message: expect.stringContaining('ab'.repeat(20)) },
    })
    expect(await trustRejectedCertificate(dataDir, 'not a thumbprint')).toMatchObject({
      ok: false,
      error: { code: 'invalid-thumbprint' },
    })
    expect(await listRejectedCertificates(join(harness.folder(), 'no-such-console'))).toEqual([])

    // The engineer trusts it, typed as a server's configuration page shows it (upper case, colons).
    const typed = (presented?.thumbprint ?? '').toUpperCase().replace(/(..)(?!$)/g, '$1:')
    const trustedAt = Date.now()
    const trusted = await trustRejectedCertificate(dataDir, typed)
    expect(trusted).toMatchObject({
      ok: true,
      value: { thumbprint: presented?.thumbprint, status: 'trusted' },
    })
    expect(await listRejectedCertificates(dataDir)).toEqual([])

    // The waiting driver retries at once, not after its backoff, and connects.
    await waitFor(
      'values over the encrypted channel',
      () => goodSince(recorder, headerPressure.id).length >= 2,
      10_000,
    )
    expect(Date.now() - trustedAt).toBeLessThan(5_000)
    expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    const after = driver.diagnostics().details
    if (after.kind !== 'opcua') throw new Error('unexpected details')
    expect(after.serverCertificate).toMatchObject({
      thumbprint: presented?.thumbprint,
      status: 'trusted',
    })
    expect(after).toMatchObject({
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
    })
  })

  it('trusts a refused certificate while no source uses the store, and the next driver connects', async () => {
    const port = await findFreePort()
    const server = await startServer(port)
    // A console whose store has never been opened: the certificate was put there by hand.
    const dataDir = join(harness.folder(), 'idle-data')
    const rejectedDir = join(dataDir, 'pki', 'rejected')
    mkdirSync(rejectedDir, { recursive: true })
    writeFileSync(join(rejectedDir, 'boiler-house-plc.der'), server.certificate)
    writeFileSync(join(rejectedDir, 'notes.txt'), 'not a certificate')
    const listed = await listRejectedCertificates(dataDir)
    expect(listed).toEqual([expect.objectContaining({ status: 'rejected' })])

    const trusted = await trustRejectedCertificate(dataDir, listed[0]?.thumbprint ?? '')
    expect(trusted).toMatchObject({ ok: true, value: { status: 'trusted' } })
    expect(await listRejectedCertificates(dataDir)).toEqual([])
    expect(readdirSync(join(dataDir, 'pki', 'trusted', 'certs'))).toContain('boiler-house-plc.der')

    const recorder = createRecorder()
    startDriver(
      opcUaSource(port, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' }),
      [headerPressure],
      recorder,
      { dataDir },
    )
    await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 2, 15_000)
    expect(recorder.statuses.map((status) => status.state)).toEqual(['connecting', 'connected'])
  })

  // Every policy of OPC UA Part 7's current security profiles, and signing without encryption.
  const secured: Array<Pick<OpcUaSource, 'securityMode' | 'securityPolicy'>> = [
    { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' },
    { securityMode: 'SignAndEncrypt', securityPolicy: 'Aes128_Sha256_RsaOaep' },
    { securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss' },
    { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' },
  ]
  it.each(secured)(
    'reads values over $securityMode with $securityPolicy',
    async ({ securityMode, securityPolicy }) => {
      const port = await findFreePort()
      const server = await startServer(port)
      // Trusted ahead, as an engineer would after checking the thumbprint on the server.
      const trustedCerts = join(harness.dataDir(), 'pki', 'trusted', 'certs')
      mkdirSync(trustedCerts, { recursive: true })
      writeFileSync(join(trustedCerts, 'simulator.der'), server.certificate)

      const recorder = createRecorder()
      const driver = startDriver(
        opcUaSource(port, { securityMode, securityPolicy }),
        [headerPressure],
        recorder,
      )
      await waitFor(
        'changing values over the secured channel',
        () => new Set(goodSince(recorder, headerPressure.id).map((value) => value.value)).size >= 3,
        15_000,
      )
      expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
      const details = driver.diagnostics().details
      if (details.kind !== 'opcua') throw new Error('unexpected details')
      expect(details).toMatchObject({ securityMode, securityPolicy, session: { state: 'active' } })
      expect(details.serverCertificate?.status).toBe('trusted')
    },
  )

  describe('user name and password', () => {
    const variable = 'PILOT_LIGHT_TEST_UA_PASSWORD'
    const users = [{ userName: 'operator', password: 'correct horse battery staple' }]
    afterEach(() => {
      delete process.env[variable]
    })

    it('signs in with the password from passwordEnv and reads values', async () => {
      const port = await findFreePort()
      await startServer(port, { users })
      process.env[variable] = 'correct horse battery staple'
      const recorder = createRecorder()
      startDriver(
        opcUaSource(port, { userName: 'operator', passwordEnv: variable }),
        [headerPressure],
        recorder,
      )
      await waitFor('values', () => goodSince(recorder, headerPressure.id).length >= 2)
      expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    })

    it('reports a wrong password as a rejected identity, keeps retrying, and signs in once it is right', async () => {
      const port = await findFreePort()
      await startServer(port, { users })
      process.env[variable] = 'wrong password'
      const recorder = createRecorder()
      const driver = startDriver(
        opcUaSource(port, { userName: 'operator', passwordEnv: variable }),
        [headerPressure],
        recorder,
      )
      await waitFor('the refusal', () => recorder.status()?.state === 'disconnected', 15_000)
      const lastError = recorder.status()?.lastError ?? ''
      expect(lastError).toMatch(/rejected the identity/)
      expect(lastError).toMatch(/BadUserAccessDenied|BadIdentityTokenRejected/)
      expect(lastError).toContain('"operator"')
      expect(lastError).not.toContain('wrong password')
      expect(recorder.latest(headerPressure.id)).toMatchObject({ quality: 'bad', value: null })

      // It keeps trying (each attempt is a new secure channel and session) without reporting a
      // new outage each time.
      const requestsAtRefusal = driver.diagnostics().stats.requests
      await waitFor(
        'a second attempt',
        () => driver.diagnostics().stats.requests > requestsAtRefusal,
        5_000,
      )
      expect(recorder.statuses.filter((status) => status.state === 'disconnected')).toHaveLength(1)
      expect(driver.diagnostics().stats.errors).toBeGreaterThan(0)

      // The password is corrected where the console reads it: the next attempt signs in.
      process.env[variable] = 'correct horse battery staple'
      await waitFor(
        'values after the fix',
        () => goodSince(recorder, headerPressure.id).length >= 2,
        15_000,
      )
      expect(recorder.status()).toMatchObject({ state: 'connected', lastError: null })
    })

    it('refuses an anonymous client, and names a missing password variable', async () => {
      const port = await findFreePort()
      await startServer(port, { users })
      const anonymous = createRecorder()
      startDriver(opcUaSource(port), [headerPressure], anonymous)
      const unset = createRecorder()
      startDriver(
        opcUaSource(port, { userName: 'operator', passwordEnv: variable }),
        [headerPressure],
        unset,
      )
      await waitFor('both refusals', () =>
        [anonymous, unset].every((recorder) => recorder.status()?.state === 'disconnected'),
      )
      expect(anonymous.status()?.lastError).toMatch(
        /does not accept anonymous sign-in .*give the source a userName/,
      )
      expect(unset.status()?.lastError).toMatch(
        new RegExp(`environment variable ${variable} \\(passwordEnv\\) is not set`),
      )
      await sleep(500)
      expect(goodSince(anonymous, headerPressure.id)).toEqual([])
    })
  })
})
