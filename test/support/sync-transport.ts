import type {
  SyncExchange,
  SyncRequest,
  SyncTransport,
} from '../../src/backend/sync/http-transport'
import type { JournalEvent } from '../../src/shared/journal/event'
import type { HistorySample } from '../../src/shared/sync/protocol'

/** A request as the scripted transport saw it, body parsed. */
export type SeenRequest = {
  stream: 'journal' | 'history'
  url: string
  headers: Record<string, string>
  bytes: number
  raw: string
  body: {
    consoleId: string
    siteId: string
    batchId: string
    events?: JournalEvent[]
    samples?: HistorySample[]
  }
  signal: AbortSignal
}

export type Answerer = (request: SeenRequest) => SyncExchange | Promise<SyncExchange>

/** Answers as a well-behaved central system: every event accepted, every sample stored. */
export const acceptEverything: Answerer = (request) =>
  request.stream === 'journal'
    ? ok({
        accepted: (request.body.events ?? []).map((event) => event.id),
        duplicate: [],
        rejected: [],
      })
    : ok({ accepted: request.body.samples?.length ?? 0, duplicate: 0 })

export const ok = (body: unknown): SyncExchange => answered(200, body)

export const answered = (
  status: number,
  body: unknown,
  retryAfter: string | null = null,
): SyncExchange => ({
  kind: 'answered',
  status,
  retryAfter,
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

/**
 * A SyncTransport that records every request and answers through `next` (one answerer per request,
 * in order) or, when none is queued, through `fallback`.
 */
export function scriptedTransport(fallback: Answerer = acceptEverything) {
  const requests: SeenRequest[] = []
  const queued: Answerer[] = []
  let disposed = false
  const transport: SyncTransport = {
    post: (request: SyncRequest) => {
      const raw = request.body.toString('utf8')
      const seen: SeenRequest = {
        stream: request.url.endsWith('/history') ? 'history' : 'journal',
        url: request.url,
        headers: request.headers,
        bytes: request.body.length,
        raw,
        body: JSON.parse(raw) as SeenRequest['body'],
        signal: request.signal,
      }
      requests.push(seen)
      request.sent()
      return Promise.resolve((queued.shift() ?? fallback)(seen))
    },
    dispose: () => {
      disposed = true
    },
  }
  return {
    transport,
    requests,
    /** The next requests get these answers, in order. */
    next: (...answers: Answerer[]) => {
      queued.push(...answers)
    },
    disposed: () => disposed,
  }
}

/** An answerer that never answers until the request is aborted. */
export const never: Answerer = (request) =>
  new Promise((resolve) =>
    request.signal.addEventListener('abort', () =>
      resolve({ kind: 'failed', message: 'The operation was aborted' }),
    ),
  )

export const unreachable: Answerer = () => ({
  kind: 'failed',
  message: 'connect ECONNREFUSED 127.0.0.1:9',
})
