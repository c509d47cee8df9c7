// Errors cross process boundaries as plain data (DESIGN.md §3.1, §8).
export type ApiError = { code: string; message: string }

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (code: string, message: string): { ok: false; error: ApiError } => ({
  ok: false,
  error: { code, message },
})

/** For exhaustive switches: the compiler proves this line is unreachable. */
export function assertNever(value: never, what: string): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`)
}
