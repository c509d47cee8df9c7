import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { roleSchema, type Role } from '../../shared/auth/roles'
import { fail, ok, type Result } from '../../shared/result'
import { writeFileAtomically } from '../store/atomic-file'
import { defaultScryptCost, hashSecret, verifySecret, type ScryptCost } from './passwords'

// The console's accounts, kept locally in the data folder (accounts.json): who may sign in, with
// which role, and the lock-out state after failed sign-ins. Secrets are scrypt digests. The file is
// small and written whole (atomically) on every change; what happened is the journal's business,
// which the caller records from the outcomes returned here.

export const accountsFileName = 'accounts.json'

/** After this many wrong secrets in a row an account is locked for lockoutMinutes (IEC 62443 CR 1.11). */
export const maxFailedSignIns = 5
export const lockoutMinutes = 15

const accountSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
  secret: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  failedSignIns: z.number().int().nonnegative(),
  lockedUntil: z.number().nullable(),
})
type Account = z.infer<typeof accountSchema>

const fileSchema = z.object({ version: z.literal(1), accounts: z.array(accountSchema) })

/** An account as anyone may see it: never the secret. */
export type AccountSummary = Omit<Account, 'secret'>

export type SignInOutcome =
  | { ok: true; account: AccountSummary }
  | {
      ok: false
      /** For the journal; the operator is only ever told "wrong name or secret" or "locked". */
      reason: 'unknown-account' | 'wrong-secret' | 'locked'
      username: string
      /** Set when the account is locked, by this attempt or before it. */
      lockedUntil: number | null
      /** True when this attempt is the one that locked the account. */
      lockedNow: boolean
    }

export type AccountStore = {
  /** True until the first account (the administrator) exists. */
  isEmpty: () => boolean
  list: () => AccountSummary[]
  /** The first run's administrator; refused once any account exists. */
  createFirstAdmin: (account: NewAccount) => Promise<Result<AccountSummary>>
  create: (account: NewAccount & { role: Role }, by: string) => Promise<Result<AccountSummary>>
  setRole: (username: string, role: Role) => Result<{ from: Role; to: Role }>
  signIn: (username: string, secret: string) => Promise<SignInOutcome>
}

export type NewAccount = { username: string; displayName: string; secret: string }

export type AccountStoreOptions = {
  dataDir: string
  clock: () => number
  /** Tests pass a cheaper cost; the product uses the default. */
  scryptCost?: ScryptCost
}

const summary = ({ secret: _secret, ...account }: Account): AccountSummary => account

export function openAccountStore(options: AccountStoreOptions): Result<AccountStore> {
  const path = join(options.dataDir, accountsFileName)
  const cost = options.scryptCost ?? defaultScryptCost
  let accounts: Account[] = []
  if (existsSync(path)) {
    let parsed: unknown = null
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'))
    } catch {
      // Reported below with every other wrong content.
    }
    const file = fileSchema.safeParse(parsed)
    // Never start afresh over an unreadable file: that would hand the console to whoever creates
    // the "first" administrator next.
    if (!file.success) {
      return fail(
        'accounts-unreadable',
        `${path} does not hold this console's accounts; restore it from a backup (nobody can sign in until then)`,
      )
    }
    accounts = file.data.accounts
  }
  const save = (): void =>
    writeFileAtomically(path, `${JSON.stringify({ version: 1, accounts }, null, 2)}\n`)
  const find = (username: string): Account | undefined =>
    accounts.find((account) => account.username === username.trim().toLowerCase())

  // A digest to compare with when the name is unknown, so the answer takes as long either way and
  // the time it takes does not tell which names exist.
  let decoy: Promise<string> | null = null
  const decoyDigest = (): Promise<string> => (decoy ??= hashSecret('not a real secret', cost))

  const add = async (
    account: NewAccount,
    role: Role,
    by: string,
  ): Promise<Result<AccountSummary>> => {
    if (find(account.username)) {
      return fail('account-exists', `There is already an account "${account.username}"`)
    }
    const created: Account = {
      username: account.username.trim().toLowerCase(),
      displayName: account.displayName.trim(),
      role,
      secret: await hashSecret(account.secret, cost),
      createdAt: options.clock(),
      createdBy: by,
      failedSignIns: 0,
      lockedUntil: null,
    }
    accounts = [...accounts, created]
    save()
    return ok(summary(created))
  }

  return ok({
    isEmpty: () => accounts.length === 0,
    list: () => accounts.map(summary),
    createFirstAdmin: async (account) => {
      if (accounts.length > 0) {
        return fail(
          'accounts-exist',
          'The administrator already exists: sign in as an engineer to add accounts',
        )
      }
      return add(account, 'engineer', 'first run')
    },
    create: (account, by) => add(account, account.role, by),
    setRole: (username, role) => {
      const account = find(username)
      if (!account) return fail('unknown-account', `There is no account "${username}"`)
      const from = account.role
      // The console must keep someone who can administer it.
      const engineers = accounts.filter((known) => known.role === 'engineer')
      if (from === 'engineer' && role !== 'engineer' && engineers.length === 1) {
        return fail(
          'last-engineer',
          `${account.username} is the only engineer: make another one first`,
        )
      }
      account.role = role
      save()
      return ok({ from, to: role })
    },
    signIn: async (username, secret) => {
      const now = options.clock()
      const account = find(username)
      if (!account) {
        await verifySecret(secret, await decoyDigest())
        return {
          ok: false,
          reason: 'unknown-account',
          username,
          lockedUntil: null,
          lockedNow: false,
        }
      }
      if (account.lockedUntil !== null && now < account.lockedUntil) {
        return {
          ok: false,
          reason: 'locked',
          username: account.username,
          lockedUntil: account.lockedUntil,
          lockedNow: false,
        }
      }
      if (await verifySecret(secret, account.secret)) {
        account.failedSignIns = 0
        account.lockedUntil = null
        save()
        return { ok: true, account: summary(account) }
      }
      account.failedSignIns += 1
      const lockedNow = account.failedSignIns >= maxFailedSignIns
      if (lockedNow) {
        account.failedSignIns = 0
        account.lockedUntil = now + lockoutMinutes * 60_000
      }
      save()
      return {
        ok: false,
        reason: lockedNow ? 'locked' : 'wrong-secret',
        username: account.username,
        lockedUntil: lockedNow ? account.lockedUntil : null,
        lockedNow,
      }
    },
  })
}
