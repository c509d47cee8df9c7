import type { LinkState, Transport } from '../../../shared/api/client'

const firstRetryMs = 250
const maxRetryMs = 2000

/**
 * Browser mode's transport: a WebSocket to the server that served this page, authenticated by the
 * token in the page address. It reconnects by itself, forever, with a short capped backoff: the
 * backend coming back should show on screen within a couple of seconds.
 */
export function createWebSocketTransport(url: string): Transport & { connect: () => void } {
  const messageListeners: Array<(message: unknown) => void> = []
  const linkListeners: Array<(state: LinkState) => void> = []
  let socket: WebSocket | null = null
  let retryMs = firstRetryMs
  let everConnected = false

  const setLink = (state: LinkState): void => {
    for (const listener of linkListeners) listener(state)
  }

  const connect = (): void => {
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      everConnected = true
      retryMs = firstRetryMs
      setLink({ status: 'connected', detail: '' })
    }
    ws.onmessage = (event) => {
      let message: unknown
      try {
        message = JSON.parse(String(event.data))
      } catch {
        return
      }
      for (const listener of messageListeners) listener(message)
    }
    ws.onclose = () => {
      socket = null
      setLink({
        status: 'disconnected',
        detail: everConnected
          ? 'Lost contact with the console backend. Reconnecting…'
          : 'Cannot reach the console backend. Retrying…',
      })
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, maxRetryMs)
    }
  }

  return {
    connect,
    send: (message) => {
      if (!socket || socket.readyState !== WebSocket.OPEN)
        throw new Error('The backend connection is not open')
      socket.send(JSON.stringify(message))
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onLinkChange: (listener) => void linkListeners.push(listener),
  }
}
