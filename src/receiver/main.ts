import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createReceiver, type ReceiverExchange } from './receiver'

// `npm run receiver -- --db FILE [--port N] [--host ADDRESS] [--tls-key FILE --tls-cert FILE]`:
// the reference receiver of sync protocol v1 (docs/sync-protocol.md) as a process. Prints one line
// `Pilot Light receiver: URL` once it listens, then one line per batch. The bearer token consoles
// must send comes from PILOT_LIGHT_RECEIVER_TOKEN (not the command line, where `ps` shows it);
// without it no token is asked for. Exit codes: 0 stopped by SIGINT/SIGTERM, 2 wrong command line
// or cannot start.

const usage =
  'usage: npm run receiver -- --db FILE [--port N] [--host ADDRESS] [--tls-key FILE --tls-cert FILE]'

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`)
  process.exit(2)
}

function line(exchange: ReceiverExchange): string {
  const what = [
    new Date().toISOString(),
    exchange.stream ?? '-',
    exchange.consoleId ?? '-',
    exchange.batchId ?? '-',
    exchange.status === null ? 'no answer' : `HTTP ${exchange.status}`,
  ]
  if (exchange.status === 200)
    what.push(
      `accepted ${exchange.accepted}`,
      `duplicate ${exchange.duplicate}`,
      `rejected ${exchange.rejected}`,
    )
  if (exchange.error !== null) what.push(exchange.error)
  return `${what.join(' ')}\n`
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        db: { type: 'string' },
        port: { type: 'string', default: '8480' },
        host: { type: 'string', default: '127.0.0.1' },
        'tls-key': { type: 'string' },
        'tls-cert': { type: 'string' },
      },
      strict: true,
    }))
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  if (values.db === undefined) fail('--db is required')
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`--port ${values.port} is not a port`)
  const keyFile = values['tls-key']
  const certFile = values['tls-cert']
  if ((keyFile === undefined) !== (certFile === undefined))
    fail('--tls-key and --tls-cert go together')
  const token = process.env.PILOT_LIGHT_RECEIVER_TOKEN || undefined
  let receiver
  try {
    receiver = await createReceiver({
      dbPath: values.db,
      port,
      host: values.host,
      token,
      tls:
        keyFile === undefined || certFile === undefined
          ? undefined
          : { key: readFileSync(keyFile), cert: readFileSync(certFile) },
      onExchange: (exchange) => process.stdout.write(line(exchange)),
    })
  } catch (error) {
    fail(`Cannot start the receiver: ${error instanceof Error ? error.message : String(error)}`)
  }
  process.stdout.write(`Pilot Light receiver: ${receiver.url}\n`)
  const stop = (): void => {
    void receiver.dispose().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

void main()
