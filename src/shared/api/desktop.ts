// Names used only by the desktop app to wire renderer ↔ main ↔ backend utilityProcess.
// Main hands each window one end of a MessageChannel and the backend the other (DESIGN.md §2).

export const desktopIpc = {
  /** main → preload: carries a MessagePort connected to the backend (in `event.ports[0]`). */
  backendPort: 'pilot-light:backend-port',
  /** main → preload: the backend process stopped or is being restarted ({status, detail}). */
  backendState: 'pilot-light:backend-state',
} as const

/** main → backend utilityProcess: a new renderer connection; the port travels with the message. */
export type UtilityCommand = { type: 'connect' }

/** backend utilityProcess → main, once it has loaded the site and can take connections. */
export type UtilityReport = { type: 'ready' } | { type: 'fatal'; message: string }
