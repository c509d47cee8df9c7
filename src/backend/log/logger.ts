import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { format } from 'node:util'

export const logLevels = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof logLevels)[number]
export type LogFields = Record<string, unknown>

export type Logger = {
  debug: (message: string, fields?: LogFields) => void
  info: (message: string, fields?: LogFields) => void
  warn: (message: string, fields?: LogFields) => void
  error: (message: string, fields?: LogFields) => void
  /** A logger whose lines carry `scope` (a feature or component name). */
  child: (scope: string) => Logger
}

export type FileLoggerOptions = {
  dir: string
  level?: LogLevel
  /** Rotate when the current file passes this size. */
  maxBytes?: number
  /** How many rotated files to keep beside the current one. */
  keep?: number
  /** Also copy lines at or above this level to stderr (the terminal of `npm run serve`). */
  echoLevel?: LogLevel | 'none'
}

export const logFileName = 'pilot-light.log'

/**
 * The one logger of the product: JSON lines in `<data>/logs/pilot-light.log`, rotated by size to
 * pilot-light.1.log … pilot-light.N.log. Writes are synchronous so the last line before a crash is on
 * disk; the volume is small (state changes and errors, not values).
 */
export function createFileLogger(options: FileLoggerOptions): Logger & { close: () => void } {
  const { dir, level = 'info', maxBytes = 5 * 1024 * 1024, keep = 5, echoLevel = 'none' } = options
  mkdirSync(dir, { recursive: true })
  const path = join(dir, logFileName)
  let fd = openSync(path, 'a')
  let size = statSync(path).size

  const rotate = (): void => {
    closeSync(fd)
    const rotated = (n: number): string => join(dir, `pilot-light.${n}.log`)
    if (existsSync(rotated(keep))) rmSync(rotated(keep))
    for (let n = keep - 1; n >= 1; n--)
      if (existsSync(rotated(n))) renameSync(rotated(n), rotated(n + 1))
    renameSync(path, rotated(1))
    fd = openSync(path, 'a')
    size = 0
  }

  const write = (lineLevel: LogLevel, scope: string, message: string, fields?: LogFields): void => {
    if (logLevels.indexOf(lineLevel) < logLevels.indexOf(level)) return
    const line = `${JSON.stringify({ ts: new Date().toISOString(), level: lineLevel, scope, message, ...fields })}\n`
    if (size + line.length > maxBytes && size > 0) rotate()
    size += writeSync(fd, line)
    if (echoLevel !== 'none' && logLevels.indexOf(lineLevel) >= logLevels.indexOf(echoLevel)) {
      process.stderr.write(
        `[${lineLevel}] ${scope}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`,
      )
    }
  }

  const make = (scope: string): Logger => ({
    debug: (message, fields) => write('debug', scope, message, fields),
    info: (message, fields) => write('info', scope, message, fields),
    warn: (message, fields) => write('warn', scope, message, fields),
    error: (message, fields) => write('error', scope, message, fields),
    child: (name) => make(scope ? `${scope}.${name}` : name),
  })

  return { ...make('pilot-light'), close: () => closeSync(fd) }
}

/** For code paths that must log somewhere before a data folder exists (and for unit tests). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}

/** Turns anything thrown into words for a log line or an operator message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  // Some libraries reject with plain objects that carry a message (modbus-serial does).
  const message = (error as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : String(error)
}

/**
 * Libraries (node-opcua among them) write to the console directly. In the backend that output belongs
 * in the log file, and never on stdout, which browser mode keeps for its one ready line.
 */
export function captureLibraryConsole(logger: Logger): void {
  const scoped = logger.child('library')
  const line = (args: unknown[]): string => format(...args)
  Object.assign(console, {
    log: (...args: unknown[]) => scoped.info(line(args)),
    info: (...args: unknown[]) => scoped.info(line(args)),
    debug: (...args: unknown[]) => scoped.debug(line(args)),
    warn: (...args: unknown[]) => scoped.warn(line(args)),
    error: (...args: unknown[]) => scoped.error(line(args)),
  })
}
