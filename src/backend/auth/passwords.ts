import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// Secrets are kept as scrypt digests (RFC 7914), never as text. The stored form names its own
// parameters, so stronger ones later still verify the digests made today:
//   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<digest, base64>

/** OWASP's scrypt minimum (N = 2^17, r = 8, p = 1): about 128 MiB and a tenth of a second a sign-in. */
export const defaultScryptCost = { logN: 17, r: 8, p: 1 }
const saltBytes = 16
const digestBytes = 32

export type ScryptCost = { logN: number; r: number; p: number }

function derive(secret: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.logN
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, digestBytes, options, (error, digest) =>
      error ? reject(error) : resolve(digest),
    ),
  )
}

/** A new salted digest of `secret` in the stored form. */
export async function hashSecret(
  secret: string,
  cost: ScryptCost = defaultScryptCost,
): Promise<string> {
  const salt = randomBytes(saltBytes)
  const digest = await derive(secret, salt, cost)
  return [
    'scrypt',
    cost.logN,
    cost.r,
    cost.p,
    salt.toString('base64'),
    digest.toString('base64'),
  ].join('$')
}

const storedPattern =
  /^scrypt\$(\d{1,2})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/

/**
 * Whether `secret` matches a stored digest, compared in constant time. A stored value that is not
 * in the expected form never matches (and says nothing about why to the caller).
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const match = storedPattern.exec(stored)
  if (!match) return false
  const [, logN, r, p, salt, digest] = match
  const cost = { logN: Number(logN), r: Number(r), p: Number(p) }
  if (cost.logN < 10 || cost.logN > 22 || cost.r < 1 || cost.p < 1) return false
  const expected = Buffer.from(digest!, 'base64')
  if (expected.length !== digestBytes) return false
  const actual = await derive(secret, Buffer.from(salt!, 'base64'), cost)
  return timingSafeEqual(actual, expected)
}
