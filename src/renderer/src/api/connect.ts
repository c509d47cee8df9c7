import { createApiClient, type PilotLightApi } from '../../../shared/api/client'
import { createWebSocketTransport } from './websocket-transport'

declare global {
  // Declaration merging with the DOM lib needs an interface.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  interface Window {
    /** Set by the desktop app's preload; absent in browser mode. */
    pilotLight?: PilotLightApi
  }
}

/** The one typed client of the renderer, whichever way the backend is reached. */
export function connectToBackend(): PilotLightApi {
  if (window.pilotLight) return window.pilotLight
  const token = new URLSearchParams(window.location.search).get('token') ?? ''
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const transport = createWebSocketTransport(
    `${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`,
  )
  const api = createApiClient(transport)
  transport.connect()
  return api
}
