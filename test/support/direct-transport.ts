import type { Backend } from '../../src/backend/app/backend'
import type { LinkState, Transport } from '../../src/shared/api/client'

/**
 * The "direct calls" transport for tests: the client talks to a real Backend in the same process.
 * Messages are cloned on the way, as a MessagePort or WebSocket would, so nothing is shared by reference.
 */
export function directTransport(
  backend: Backend,
): Transport & { open: () => void; close: () => void } {
  const messageListeners: Array<(message: unknown) => void> = []
  const linkListeners: Array<(state: LinkState) => void> = []
  let connection: ReturnType<Backend['connect']> | null = null
  const setLink = (state: LinkState): void => linkListeners.forEach((listener) => listener(state))
  return {
    open: () => {
      connection = backend.connect({
        send: (message) => {
          const copy = structuredClone(message)
          queueMicrotask(() => messageListeners.forEach((listener) => listener(copy)))
        },
      })
      setLink({ status: 'connected', detail: '' })
    },
    close: () => {
      connection?.close()
      connection = null
      setLink({ status: 'disconnected', detail: 'closed by the test' })
    },
    send: (message) => {
      if (!connection) throw new Error('not open')
      void connection.receive(structuredClone(message))
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onLinkChange: (listener) => void linkListeners.push(listener),
  }
}
