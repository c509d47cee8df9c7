import {
  events,
  isEventName,
  requestChannels,
  requests,
  type EventName,
  type EventOf,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
} from './contract'
import { serverEnvelopeSchema, type RequestEnvelope } from './envelope'
import { fail, type Result } from '../result'

/** The state of the link between a renderer and its backend, as the operator should see it. */
export type LinkState = {
  status: 'connecting' | 'connected' | 'disconnected'
  /** Why, in plain words, when not connected. */
  detail: string
}

/** Anything that can carry envelopes to a backend and bring its answers back. */
export type Transport = {
  send: (message: RequestEnvelope) => void
  onMessage: (listener: (message: unknown) => void) => void
  onLinkChange: (listener: (state: LinkState) => void) => void
}

export type PilotLightApi = {
  [C in RequestChannel]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>
} & {
  onEvent: <E extends EventName>(event: E, listener: (payload: EventOf<E>) => void) => () => void
  onLink: (listener: (state: LinkState) => void) => () => void
}

type Pending = {
  channel: RequestChannel
  settle: (result: Result<unknown>) => void
  timer: ReturnType<typeof setTimeout>
}

const requestTimeoutMs = 30_000

/**
 * Builds the typed client from the contract: one named function per request channel. The same
 * client runs over every transport, so the renderer never knows which one it has.
 */
export function createApiClient(transport: Transport): PilotLightApi {
  const pending = new Map<number, Pending>()
  const eventListeners = new Map<EventName, Set<(payload: never) => void>>()
  const linkListeners = new Set<(state: LinkState) => void>()
  let link: LinkState = { status: 'connecting', detail: 'Connecting to the backend' }
  let nextId = 1

  const settle = (id: number, result: Result<unknown>): void => {
    const entry = pending.get(id)
    if (!entry) return // a late answer to a request we already gave up on
    pending.delete(id)
    clearTimeout(entry.timer)
    entry.settle(result)
  }

  transport.onLinkChange((state) => {
    link = state
    if (state.status !== 'connected') {
      // Nothing in flight will be answered by a backend that is gone: fail it now, never hang.
      for (const id of [...pending.keys()]) settle(id, fail('backend-unavailable', state.detail))
    }
    for (const listener of linkListeners) listener(state)
  })

  transport.onMessage((raw) => {
    const parsed = serverEnvelopeSchema.safeParse(raw)
    if (!parsed.success) return
    const message = parsed.data
    if (message.kind === 'event') {
      if (!isEventName(message.event)) return
      const payload = events[message.event].safeParse(message.payload)
      if (!payload.success) return
      for (const listener of eventListeners.get(message.event) ?? [])
        listener(payload.data as never)
      return
    }
    if (message.id === null) return
    const entry = pending.get(message.id)
    if (!entry) return
    if (!message.ok) {
      settle(message.id, { ok: false, error: message.error })
      return
    }
    const value = requests[entry.channel].response.safeParse(message.value)
    settle(
      message.id,
      value.success
        ? { ok: true, value: value.data }
        : fail(
            'invalid-response',
            `The backend's answer to ${entry.channel} did not match the contract`,
          ),
    )
  })

  const call = (channel: RequestChannel, payload: unknown): Promise<Result<unknown>> => {
    if (link.status !== 'connected')
      return Promise.resolve(fail('backend-unavailable', link.detail))
    const id = nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          settle(
            id,
            fail('timeout', `${channel} got no answer within ${requestTimeoutMs / 1000} s`),
          ),
        requestTimeoutMs,
      )
      pending.set(id, { channel, settle: resolve, timer })
      try {
        transport.send({ kind: 'request', id, channel, payload })
      } catch (error) {
        settle(
          id,
          fail('backend-unavailable', error instanceof Error ? error.message : String(error)),
        )
      }
    })
  }

  const api: Record<string, unknown> = {
    onEvent: (event: EventName, listener: (payload: never) => void) => {
      const listeners = eventListeners.get(event) ?? new Set()
      eventListeners.set(event, listeners)
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onLink: (listener: (state: LinkState) => void) => {
      linkListeners.add(listener)
      listener(link)
      return () => linkListeners.delete(listener)
    },
  }
  for (const channel of requestChannels) api[channel] = (payload: unknown) => call(channel, payload)
  return api as PilotLightApi
}
