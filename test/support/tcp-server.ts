import { createServer, type Socket } from 'node:net'

export type LoopbackServer = {
  port: number
  /** Connections still open. */
  openSockets: () => number
  /** Destroys every open connection and stops listening. */
  close: () => Promise<void>
}

/**
 * A raw TCP server on 127.0.0.1 for tests that play a misbehaving device: `onSocket` decides what,
 * if anything, goes back. Socket errors are expected (the driver resets connections) and ignored.
 */
export async function listenOnLoopback(
  onSocket: (socket: Socket) => void,
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (typeof address !== 'object' || !address) throw new Error('the test server has no address')
  return {
    port: address.port,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
