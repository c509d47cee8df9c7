import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  accountsFileName,
  lockoutMinutes,
  maxFailedSignIns,
  openAccountStore,
  type AccountStore,
} from '../../src/backend/auth/account-store'
import { hashSecret, verifySecret } from '../../src/backend/auth/passwords'

// Accounts on a real data folder, on fake time. A cheap scrypt cost keeps the suite quick; the
// product's cost is checked once on its own.

const cheap = { logN: 10, r: 8, p: 1 }
const minute = 60_000

function store(dataDir = mkdtempSync(join(tmpdir(), 'accounts-')), clock = { now: 0 }) {
  const opened = openAccountStore({ dataDir, clock: () => clock.now, scryptCost: cheap })
  if (!opened.ok) throw new Error(opened.error.message)
  return { accounts: opened.value, dataDir, clock }
}

const admin = { username: 'Ana.Ruiz', displayName: 'Ana Ruiz', secret: 'correct horse battery' }

async function withAdmin(): Promise<ReturnType<typeof store> & { accounts: AccountStore }> {
  const opened = store()
  const created = await opened.accounts.createFirstAdmin(admin)
  if (!created.ok) throw new Error(created.error.message)
  return opened
}

describe('secrets', () => {
  it('are stored as salted scrypt digests that verify the secret and nothing else', async () => {
    const one = await hashSecret('correct horse battery', cheap)
    const two = await hashSecret('correct horse battery', cheap)
    expect(one).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(one).not.toBe(two)
    expect(await verifySecret('correct horse battery', one)).toBe(true)
    expect(await verifySecret('correct horse batterY', one)).toBe(false)
    expect(await verifySecret('correct horse battery', 'plain text')).toBe(false)
    expect(await verifySecret('correct horse battery', one.replace('$10$', '$30$'))).toBe(false)
  })

  it('use the product cost (N = 2^17) unless told otherwise', async () => {
    const digest = await hashSecret('correct horse battery')
    expect(digest.startsWith('scrypt$17$8$1$')).toBe(true)
    expect(await verifySecret('correct horse battery', digest)).toBe(true)
  })
})

describe('the account store', () => {
  it('creates the administrator on the first run only, and keeps no secret in plain text', async () => {
    const { accounts, dataDir } = await withAdmin()
    expect(accounts.list()).toEqual([
      expect.objectContaining({ username: 'ana.ruiz', role: 'engineer', createdBy: 'first run' }),
    ])
    const again = await accounts.createFirstAdmin({ ...admin, username: 'mallory' })
    expect(again).toMatchObject({ ok: false, error: { code: 'accounts-exist' } })
    const file = readFileSync(join(dataDir, accountsFileName), 'utf8')
    expect(file).not.toContain(admin.secret)
    expect(JSON.stringify(accounts.list())).not.toContain('scrypt$')
  })

  it('signs in by name in any case and keeps accounts across a reopen', async () => {
    const { dataDir, clock } = await withAdmin()
    const { accounts } = store(dataDir, clock)
    expect(await accounts.signIn(' ANA.RUIZ ', admin.secret)).toMatchObject({
      ok: true,
      account: { username: 'ana.ruiz' },
    })
    expect(await accounts.signIn('nobody', admin.secret)).toMatchObject({
      ok: false,
      reason: 'unknown-account',
    })
  })

  it(`locks an account for ${lockoutMinutes} minutes after ${maxFailedSignIns} wrong secrets in a row`, async () => {
    const { accounts, clock, dataDir } = await withAdmin()
    for (let attempt = 1; attempt < maxFailedSignIns; attempt += 1) {
      expect(await accounts.signIn('ana.ruiz', 'wrong')).toMatchObject({
        reason: 'wrong-secret',
        lockedNow: false,
      })
    }
    expect(await accounts.signIn('ana.ruiz', 'wrong')).toEqual({
      ok: false,
      reason: 'locked',
      username: 'ana.ruiz',
      lockedUntil: lockoutMinutes * minute,
      lockedNow: true,
    })
    // Locked means locked, even with the right secret, and across a restart.
    clock.now = lockoutMinutes * minute - 1
    const reopened = store(dataDir, clock).accounts
    expect(await reopened.signIn('ana.ruiz', admin.secret)).toMatchObject({
      reason: 'locked',
      lockedNow: false,
    })
    clock.now = lockoutMinutes * minute
    expect(await reopened.signIn('ana.ruiz', admin.secret)).toMatchObject({ ok: true })
  })

  it('forgets earlier failures after a good sign-in', async () => {
    const { accounts } = await withAdmin()
    for (let attempt = 1; attempt < maxFailedSignIns; attempt += 1)
      await accounts.signIn('ana.ruiz', 'wrong')
    await accounts.signIn('ana.ruiz', admin.secret)
    expect(await accounts.signIn('ana.ruiz', 'wrong')).toMatchObject({ reason: 'wrong-secret' })
  })

  it('adds accounts with roles, refuses duplicates, and never demotes the last engineer', async () => {
    const { accounts } = await withAdmin()
    const operator = await accounts.create(
      { username: 'sam', displayName: 'Sam Osei', secret: 'another long secret', role: 'operator' },
      'ana.ruiz',
    )
    expect(operator).toMatchObject({ ok: true, value: { role: 'operator', createdBy: 'ana.ruiz' } })
    expect(
      await accounts.create(
        { username: 'SAM', displayName: 'x', secret: 'another long secret', role: 'viewer' },
        'ana.ruiz',
      ),
    ).toMatchObject({ ok: false, error: { code: 'account-exists' } })
    expect(accounts.setRole('ana.ruiz', 'operator')).toMatchObject({
      ok: false,
      error: { code: 'last-engineer' },
    })
    expect(accounts.setRole('sam', 'engineer')).toEqual({
      ok: true,
      value: { from: 'operator', to: 'engineer' },
    })
    expect(accounts.setRole('ana.ruiz', 'supervisor')).toMatchObject({ ok: true })
  })

  it('refuses an unreadable accounts file rather than starting afresh', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accounts-'))
    writeFileSync(join(dataDir, accountsFileName), '{"version": 1, "accounts": [{"username": 3}]}')
    const opened = openAccountStore({ dataDir, clock: () => 0, scryptCost: cheap })
    expect(opened).toMatchObject({ ok: false, error: { code: 'accounts-unreadable' } })
  })
})
