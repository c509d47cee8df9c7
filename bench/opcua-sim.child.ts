import { createLivePlant } from '../src/sim/live-plant'
import { startOpcUaSimServer } from '../src/sim/opcua-server'

// The OPC UA simulator in a process of its own, for bench/opcua.measure.ts: the driver's CPU is then
// measured without the server's. Run as
//   node --import jiti/register bench/opcua-sim.child.ts <port> <extraPoints> <pkiDir>
// It prints `ready <endpoint>` once it serves, and stops on SIGTERM or when its stdin closes (the
// measurement ended or died).

const [portText = '', pointsText = '0', pkiDir] = process.argv.slice(2)
const server = await startOpcUaSimServer({
  port: Number(portText),
  plant: createLivePlant(),
  extraPoints: Number(pointsText),
  pkiDir,
})
process.stdout.write(`ready ${server.endpoint}\n`)

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void server.dispose().finally(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
process.stdin.once('end', stop)
process.stdin.resume()
