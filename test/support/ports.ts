import { createServer } from 'node:net'

/**
 * A TCP port that is free on 127.0.0.1 right now: the OS picks one for a throw-away listener, which
 * is closed before the port is returned. Servers that cannot listen on port 0 themselves (node-opcua)
 * are then started on it. Another process could take it in between; on loopback in a test run that
 * is rare enough to accept.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = createServer()
    listener.unref()
    listener.once('error', reject)
    listener.listen(0, host, () => {
      const address = listener.address()
      if (address === null || typeof address === 'string') {
        listener.close()
        reject(new Error(`Could not read the port of a listener on ${host}`))
        return
      }
      listener.close((error) => (error ? reject(error) : resolve(address.port)))
    })
  })
}
