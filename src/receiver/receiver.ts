import { timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  historyBatchEnvelopeSchema,
  historySampleProblem,
  journalBatchEnvelopeSchema,
  type HistorySample,
  type JournalAck,
} from '../shared/sync/protocol'
import { createFaultQueue, type FaultStream, type ReceiverFault } from './faults'
import {
  BatchRefusal,
  openReceiverStore,
  type IngestAlterations,
  type ReceiverStore,
} from './receiver-store'

// The reference receiver of sync protocol v1 (docs/sync-protocol.md): plain node:http(s) and
// SQLite. Consoles' tests run against it, and a central team can start from it.

export type ReceiverOptions = {
  /** The SQLite file; created when missing. */
  dbPath: string
  /** 0 (the default) lets the system pick a free port. */
  port?: number
  /** 127.0.0.1 unless told otherwise: listening on a network is a decision, not a default. */
  host?: string
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string
  /** PEM key and certificate chain: serve https instead of http. */
  tls?: { key: string | Buffer; cert: string | Buffer }
  /** Larger bodies are refused with 413. */
  maxBodyBytes?: number
  /** Journal batches with more events are refused with 413. */
  maxEvents?: number
  /** History batches with more samples are refused with 413. */
  maxSamples?: number
  /** Told about every answered request, for a log or a test. */
  onExchange?: (exchange: ReceiverExchange) => void
}

/** One request as the receiver answered it. */
export type ReceiverExchange = {
  stream: FaultStream | null
  consoleId: string | null
  batchId: string | null
  /** The status answered, or null when a fault kept the answer back or broke it off. */
  status: number | null
  /** Counts from the acknowledgement; zero when there was none. */
  accepted: number
  duplicate: number
  rejected: number
  /** The fault injected into this request, if any. */
  fault: ReceiverFault['kind'] | null
  /** Why the request was refused, for a 4xx or 5xx. */
  error: string | null
}

export type Receiver = {
  /** http(s)://host:port, what a console's central.url is set to. */
  url: string
  port: number
  /** What has been stored, for tests and tools. */
  store: Pick<ReceiverStore, 'events' | 'history' | 'historyCount'>
  /** Test-only: the next request the fault applies to suffers it. */
  injectFault: (fault: ReceiverFault) => void
  /** Closes the server, every connection (held ones too) and the database. */
  dispose: () => Promise<void>
}

const route = /^\/v1\/consoles\/([^/]+)\/(journal|history)$/

/** A request answered with a 4xx: thrown by the checks, turned into the answer by the handler. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function createReceiver(options: ReceiverOptions): Promise<Receiver> {
  const {
    dbPath,
    port = 0,
    host = '127.0.0.1',
    token,
    tls,
    maxBodyBytes = 16 * 1024 * 1024,
    maxEvents = 10_000,
    maxSamples = 100_000,
    onExchange,
  } = options
  const store = openReceiverStore(dbPath)
  const faults = createFaultQueue()
  const expectedAuthorization = token === undefined ? null : Buffer.from(`Bearer ${token}`)

  const authorised = (header: string | undefined): boolean => {
    if (expectedAuthorization === null) return true
    const given = Buffer.from(header ?? '')
    return (
      given.length === expectedAuthorization.length && timingSafeEqual(given, expectedAuthorization)
    )
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const exchange: ReceiverExchange = {
      stream: null,
      consoleId: null,
      batchId: null,
      status: null,
      accepted: 0,
      duplicate: 0,
      rejected: 0,
      fault: null,
      error: null,
    }
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      exchange.status = status
      send(res, status, body, headers)
      onExchange?.(exchange)
    }
    try {
      const match = route.exec(new URL(req.url ?? '/', 'http://receiver').pathname)
      if (match === null) throw new Refused(404, 'no such endpoint')
      const stream = match[2] as FaultStream
      exchange.stream = stream
      exchange.consoleId = consoleIdOf(match[1] as string)
      // Known before the body is read, so even a refused request can be told apart in the log.
      const key = req.headers['idempotency-key']
      exchange.batchId = typeof key === 'string' ? key : null
      if (req.method !== 'POST') throw new Refused(405, 'only POST is served here')
      if (!authorised(req.headers.authorization))
        throw new Refused(401, 'a valid bearer token is required')
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
        throw new Refused(415, 'the body must be application/json')
      const body = await readBody(req, maxBodyBytes)
      const fault = faults.take(stream)
      exchange.fault = fault?.kind ?? null
      if (fault?.kind === 'status') {
        const headers: Record<string, string> =
          fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter }
        exchange.error = `injected ${fault.status}`
        answer(fault.status, { error: fault.message ?? `injected fault ${fault.status}` }, headers)
        return
      }
      if (fault?.kind === 'hang-before-commit') {
        onExchange?.(exchange)
        return
      }
      const parsed = parseJson(body)
      const alterations: IngestAlterations = {
        ...(fault?.kind === 'partial' ? { take: fault.take } : {}),
        ...(fault?.kind === 'reject' ? { reject: fault } : {}),
      }
      const ack =
        stream === 'journal'
          ? takeJournal(parsed, exchange, req, alterations)
          : takeHistory(parsed, exchange, req, alterations)
      if (fault?.kind === 'hang-after-commit') {
        onExchange?.(exchange)
        return
      }
      if (fault?.kind === 'reset-mid-response') {
        breakOff(res, ack)
        onExchange?.(exchange)
        return
      }
      if (fault?.kind === 'duplicate-acknowledgements' && 'rejected' in ack)
        answer(200, duplicateAcknowledgements(ack))
      else answer(200, ack)
    } catch (error) {
      const refused = error instanceof Refused || error instanceof BatchRefusal
      const status = error instanceof Refused ? error.status : refused ? 400 : 500
      const message = error instanceof Error ? error.message : String(error)
      exchange.error = message
      const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
      // A body left unread (refused before reading it) would otherwise stall the connection.
      if (!req.complete) headers.Connection = 'close'
      answer(status, { error: message }, headers)
    }
  }

  const envelopeOf = (
    exchange: ReceiverExchange,
    req: http.IncomingMessage,
    envelope: { consoleId: string; siteId: string; batchId: string },
  ): void => {
    exchange.batchId = envelope.batchId
    if (envelope.consoleId !== exchange.consoleId)
      throw new Refused(400, `consoleId ${envelope.consoleId} is not the console of this address`)
    const key = req.headers['idempotency-key']
    if (key !== undefined && key !== envelope.batchId)
      throw new Refused(400, 'Idempotency-Key is not the batchId of the body')
  }

  const takeJournal = (
    value: unknown,
    exchange: ReceiverExchange,
    req: http.IncomingMessage,
    alterations: IngestAlterations,
  ): JournalAck => {
    const parsed = journalBatchEnvelopeSchema.safeParse(value)
    if (!parsed.success) throw new Refused(400, `not a journal batch: ${issues(parsed.error)}`)
    const batch = parsed.data
    envelopeOf(exchange, req, batch)
    if (batch.events.length > maxEvents)
      throw new Refused(413, `at most ${maxEvents} events per batch`)
    const ack = store.ingestJournal(batch, batch.events, alterations)
    exchange.accepted = ack.accepted.length
    exchange.duplicate = ack.duplicate.length
    exchange.rejected = ack.rejected.length
    return ack
  }

  const takeHistory = (
    value: unknown,
    exchange: ReceiverExchange,
    req: http.IncomingMessage,
    alterations: IngestAlterations,
  ) => {
    const parsed = historyBatchEnvelopeSchema.safeParse(value)
    if (!parsed.success) throw new Refused(400, `not a history batch: ${issues(parsed.error)}`)
    const batch = parsed.data
    envelopeOf(exchange, req, batch)
    if (batch.samples.length > maxSamples)
      throw new Refused(413, `at most ${maxSamples} samples per batch`)
    for (const [index, sample] of batch.samples.entries()) {
      const problem = historySampleProblem(sample)
      if (problem !== null) throw new Refused(400, `samples[${index}] ${problem}`)
    }
    // Every sample passed historySampleProblem just above.
    const ack = store.ingestHistory(batch, batch.samples as HistorySample[], alterations)
    exchange.accepted = ack.accepted
    exchange.duplicate = ack.duplicate
    return ack
  }

  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => void handle(req, res))
    : http.createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const boundPort = (server.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host

  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${boundPort}`,
    port: boundPort,
    store: { events: store.events, history: store.history, historyCount: store.historyCount },
    injectFault: faults.push,
    dispose: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Held requests (the hang faults) and idle kept-alive connections would keep close() waiting.
      server.closeAllConnections()
      await closed
      store.close()
    },
  }
}

function consoleIdOf(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new Refused(404, 'no such endpoint')
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

/** The reset-mid-response fault: the headers promise the whole answer, half of it comes, then RST. */
function breakOff(res: http.ServerResponse, ack: unknown): void {
  const text = Buffer.from(JSON.stringify(ack))
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(text.length) })
  res.write(text.subarray(0, Math.floor(text.length / 2)), () => res.socket?.resetAndDestroy())
}

/** The duplicate-acknowledgements fault: every taken id twice in both lists, plus a stranger. */
function duplicateAcknowledgements(ack: JournalAck): JournalAck {
  const taken = [...ack.accepted, ...ack.duplicate]
  return {
    accepted: [...taken, ...taken, '00000000-0000-7000-8000-000000000000'],
    duplicate: [...taken],
    rejected: ack.rejected,
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    req.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length > limit) {
        reject(new Refused(413, `the body is larger than ${limit} bytes`))
        req.pause()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown
  } catch {
    throw new Refused(400, 'the body is not JSON')
  }
}

function issues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
    .join('; ')
}
