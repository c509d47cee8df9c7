import type { z } from 'zod'
import {
  isRequestChannel,
  requests,
  type RequestChannel,
  type ResponseOf,
} from '../../shared/api/contract'
import { requestEnvelopeSchema, type ResponseEnvelope } from '../../shared/api/envelope'
import type { Result } from '../../shared/result'
import { formatFieldPath } from '../../shared/file-problem'
import { describeError, type Logger } from '../log/logger'

export type Handlers = {
  [C in RequestChannel]: (
    request: z.infer<(typeof requests)[C]['request']>,
  ) => ResponseOf<C> | Promise<ResponseOf<C>>
}

/** Thrown by a handler to answer with a specific {code, message} rather than an internal error. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Unwraps a Result inside a handler: its error becomes the answer. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new ApiFailure(result.error.code, result.error.message)
  return result.value
}

const failure = (id: number | null, code: string, message: string): ResponseEnvelope => ({
  kind: 'response',
  id,
  ok: false,
  error: { code, message },
})

/**
 * Validates every incoming message against the contract before any handler sees it. Nothing a
 * renderer sends can crash the backend: bad frames, unknown channels, malformed payloads and
 * handler failures all come back as {code, message}.
 */
export function createDispatcher(
  handlers: Handlers,
  logger: Logger,
): (raw: unknown) => Promise<ResponseEnvelope> {
  return async (raw) => {
    const envelope = requestEnvelopeSchema.safeParse(raw)
    if (!envelope.success) {
      const id =
        typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number'
          ? raw.id
          : null
      return failure(id, 'malformed-message', 'Expected {kind: "request", id, channel, payload}')
    }
    const { id, channel, payload } = envelope.data
    if (!isRequestChannel(channel))
      return failure(id, 'unknown-channel', `There is no channel "${channel}"`)
    const request = requests[channel].request.safeParse(payload ?? {})
    if (!request.success) {
      const detail = request.error.issues
        .map((issue) =>
          issue.path.length ? `${formatFieldPath(issue.path)}: ${issue.message}` : issue.message,
        )
        .join('; ')
      return failure(id, 'invalid-request', `${channel}: ${detail}`)
    }
    try {
      const handler = handlers[channel] as (request: unknown) => unknown
      return { kind: 'response', id, ok: true, value: await handler(request.data) }
    } catch (error) {
      if (error instanceof ApiFailure) return failure(id, error.code, error.message)
      logger.error('request failed', { channel, error: describeError(error) })
      return failure(id, 'internal-error', `${channel} failed: ${describeError(error)}`)
    }
  }
}
