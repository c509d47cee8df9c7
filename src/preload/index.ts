// Must stay the first import: it configures zod before the contract's schemas are built.
import '../shared/zod-jitless'
import { contextBridge, ipcRenderer, type IpcRenderer, type IpcRendererEvent } from 'electron'
import {
  createApiClient,
  type LinkState,
  type PilotLightApi,
  type Transport,
} from '../shared/api/client'
import { requestChannels } from '../shared/api/contract'
import { desktopIpc } from '../shared/api/desktop'

// The preload of the console window. It runs sandboxed (checklist 4) in an isolated world
// (checklist 3) and gives the page exactly one thing: `window.pilotLight`, the typed client, made
// of named functions generated from the contract (DESIGN.md §3.1). No ipcRenderer, no generic
// invoke(channel), no process.env cross the bridge (checklist 20).
//
// Traffic goes over a MessagePort that main hands over on `desktopIpc.backendPort`; its other end
// is in the backend utilityProcess, so requests never pass through main.

const connected: LinkState = { status: 'connected', detail: 'Connected to the backend' }

/**
 * Only main can send to a renderer's ipcRenderer in Electron 45 (renderer-to-renderer `sendTo`
 * is gone and IpcRendererEvent carries no sender id); older runtimes marked main with
 * senderId 0. Refuse anything that says it came from elsewhere.
 */
function fromMain(event: IpcRendererEvent): boolean {
  const { senderId } = event as IpcRendererEvent & { senderId?: unknown }
  return senderId === undefined || senderId === 0
}

function asLinkState(value: unknown): LinkState | null {
  if (typeof value !== 'object' || value === null) return null
  const { status, detail } = value as { status?: unknown; detail?: unknown }
  if (status !== 'connecting' && status !== 'connected' && status !== 'disconnected') return null
  return { status, detail: typeof detail === 'string' ? detail : '' }
}

/** The DOM MessagePort calls used here (the preload is type-checked without the DOM library). */
type PortLike = {
  postMessage: (message: unknown) => void
  addEventListener: (type: 'message', listener: (event: { data: unknown }) => void) => void
  start: () => void
  close: () => void
}

/** A Transport over the MessagePort main hands over; a new port replaces the old one. */
export function createPortTransport(ipc: Pick<IpcRenderer, 'on'>): Transport {
  let port: PortLike | null = null
  const messageListeners = new Set<(message: unknown) => void>()
  const linkListeners = new Set<(state: LinkState) => void>()
  const setLink = (state: LinkState): void => {
    for (const listener of linkListeners) listener(state)
  }
  const drop = (): void => {
    port?.close()
    port = null
  }

  ipc.on(desktopIpc.backendPort, (event) => {
    if (!fromMain(event)) return
    const next: PortLike | undefined = event.ports[0]
    if (!next) return
    // Main sends a new port after every page load and backend restart; the old one is dead.
    drop()
    port = next
    next.addEventListener('message', (message) => {
      if (port !== next) return
      for (const listener of messageListeners) listener(message.data)
    })
    next.start()
    setLink(connected)
  })

  ipc.on(desktopIpc.backendState, (event, value: unknown) => {
    if (!fromMain(event)) return
    const state = asLinkState(value)
    if (!state) return
    if (state.status !== 'connected') drop()
    setLink(state)
  })

  return {
    send: (message) => {
      if (!port) throw new Error('The backend is not connected')
      port.postMessage(message)
    },
    onMessage: (listener) => {
      messageListeners.add(listener)
    },
    onLinkChange: (listener) => {
      linkListeners.add(listener)
    },
  }
}

/**
 * Copies only the named functions of the client: one per request channel, plus onEvent and onLink.
 * Building the object by hand guarantees nothing else (a property added to the client later, a
 * prototype) reaches the page.
 */
export function bridgeableApi(client: PilotLightApi): PilotLightApi {
  const onEvent: PilotLightApi['onEvent'] = (event, listener) => client.onEvent(event, listener)
  const onLink: PilotLightApi['onLink'] = (listener) => client.onLink(listener)
  const api: Record<string, unknown> = { onEvent, onLink }
  for (const channel of requestChannels) {
    const call = client[channel] as (request: unknown) => ReturnType<PilotLightApi[typeof channel]>
    api[channel] = (request: unknown) => call(request)
  }
  return api as PilotLightApi
}

contextBridge.exposeInMainWorld(
  'pilotLight',
  bridgeableApi(createApiClient(createPortTransport(ipcRenderer))),
)
