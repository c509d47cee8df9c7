import { z } from 'zod'

// Who may do what at the console (issue 8). Roles are ranked: each can do everything the ones below
// it can. The engineer is also the console's administrator (accounts, certificates, site changes).

export const roles = ['viewer', 'operator', 'supervisor', 'engineer'] as const
export const roleSchema = z.enum(roles)
export type Role = z.infer<typeof roleSchema>

export const roleNames: Record<Role, string> = {
  viewer: 'Viewer',
  operator: 'Operator',
  supervisor: 'Supervisor',
  engineer: 'Engineer / administrator',
}

/** True when `role` is `needed` or above it. */
export const holdsRole = (role: Role, needed: Role): boolean =>
  roles.indexOf(role) >= roles.indexOf(needed)

/** Sign-in names: what operators type, and what every journal event they cause names as its actor. */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z][a-z0-9._-]{1,31}$/,
    '2 to 32 letters, digits, dots, dashes or underscores, starting with a letter',
  )

/**
 * At least 12 characters: a console in a shared control room is signed into while others watch, so
 * length (a passphrase) does more than character classes.
 */
export const secretSchema = z.string().min(12, 'at least 12 characters').max(1024)
