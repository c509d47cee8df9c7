import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { describeError } from '../log/logger'

/** One POST to the central system. */
export type SyncRequest = {
  url: string
  headers: Record<string, string>
  body: Buffer
  /** Aborted by the engine when the request outlives its timeout, or on dispose. */
  signal: AbortSignal
  /** Called once the whole body has been handed to the operating system. */
  sent: () => void
}

/** How an exchange ended: an answer of any status, or no answer at all. */
export type SyncExchange =
  | { kind: 'answered'; status: number; retryAfter: string | null; body: string }
  | { kind: 'failed'; message: string }

/** What the sync engine sends through; tests inject their own. Never rejects. */
export type SyncTransport = {
  post: (request: SyncRequest) => Promise<SyncExchange>
  /** Closes idle connections; requests still running fail. */
  dispose: () => void
}

export type HttpTransportOptions = {
  /** PEM bundle of the certificate authorities to trust for https, instead of the public roots. */
  caFile?: string
  /** Answers longer than this are cut off and count as a failed exchange. */
  maxResponseBytes?: number
}

// Codes node:tls gives a certificate it will not trust, so the message can say what to do.
const untrustedCertificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * node:http(s) with one kept-alive connection, so a draining backlog does not pay a TCP and TLS
 * handshake per batch. With caFile the plant PKI's authorities replace the public roots: a central
 * system inside the plant network is signed by the plant, and nothing else should be trusted for it.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): SyncTransport {
  const { caFile, maxResponseBytes = 4 * 1024 * 1024 } = options
  let plainAgent: http.Agent | null = null
  let tlsAgent: https.Agent | null = null

  const agentFor = (url: URL): http.Agent => {
    if (url.protocol === 'http:') return (plainAgent ??= new http.Agent(agentSettings))
    if (tlsAgent) return tlsAgent
    // Read when first needed and again after a failure, so fixing the file needs no restart.
    const ca = caFile === undefined ? undefined : readFileSync(caFile)
    return (tlsAgent = new https.Agent({ ...agentSettings, ca }))
  }

  const post = async (request: SyncRequest): Promise<SyncExchange> => {
    let url: URL
    let agent: http.Agent
    try {
      url = new URL(request.url)
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return { kind: 'failed', message: `${url.protocol} is not http or https` }
      agent = agentFor(url)
    } catch (error) {
      const what = caFile === undefined ? 'the central address' : `central.caFile ${caFile}`
      return { kind: 'failed', message: `Cannot use ${what}: ${describeError(error)}` }
    }
    const first = await postOnce(url, agent, request, maxResponseBytes)
    // A kept-alive connection the server closed while idle fails the next request before the
    // server sees it (Node's documentation on reusedSocket); trying once more on a fresh
    // connection then is safe and spares a backoff.
    if (!first.staleConnection || request.signal.aborted) return first.exchange
    return (await postOnce(url, agent, request, maxResponseBytes)).exchange
  }

  return {
    post,
    dispose: () => {
      plainAgent?.destroy()
      tlsAgent?.destroy()
      plainAgent = null
      tlsAgent = null
    },
  }
}

const agentSettings = { keepAlive: true, maxSockets: 1 }

type Attempt = { exchange: SyncExchange; staleConnection: boolean }

function postOnce(
  url: URL,
  agent: http.Agent,
  request: SyncRequest,
  maxResponseBytes: number,
): Promise<Attempt> {
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve) => {
    let settled = false
    let answered = false
    const settle = (attempt: Attempt): void => {
      if (settled) return
      settled = true
      resolve(attempt)
    }
    const req = send(
      url,
      {
        method: 'POST',
        agent,
        signal: request.signal,
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        let length = 0
        res.on('data', (chunk: Buffer) => {
          length += chunk.length
          if (length > maxResponseBytes) {
            res.destroy()
            settle(failed(`the answer was longer than ${maxResponseBytes} bytes`))
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => {
          const header = res.headers['retry-after']
          settle({
            exchange: {
              kind: 'answered',
              status: res.statusCode ?? 0,
              retryAfter: typeof header === 'string' ? header : null,
              body: Buffer.concat(chunks).toString('utf8'),
            },
            staleConnection: false,
          })
        })
        res.on('error', (error) => settle(failed(`the answer broke off: ${describe(error)}`)))
        // A connection reset mid-answer may end the stream without an error on some versions.
        res.on('close', () => {
          if (!res.complete) settle(failed('the connection closed before the whole answer came'))
        })
      },
    )
    req.on('finish', request.sent)
    req.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code
      settle({
        exchange: { kind: 'failed', message: describe(error) },
        staleConnection:
          !answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE'),
      })
    })
    req.end(request.body)
  })
}

const failed = (message: string): Attempt => ({
  exchange: { kind: 'failed', message },
  staleConnection: false,
})

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const message = describeError(error)
  if (code !== undefined && untrustedCertificateCodes.has(code))
    return `the central system's certificate is not trusted (${message}); check central.caFile`
  return message
}
