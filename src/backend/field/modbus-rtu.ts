import type { EventEmitter } from 'node:events'
import ModbusRTU from 'modbus-serial'
import type { ModbusRtuSource } from '../../shared/site/schema'
import type { DriverFactory } from './driver'
import { createModbusPoller, type ModbusLinkOpener } from './modbus-poller'
import { describeError } from '../log/logger'

// Polls the devices on one RS-485 bus through one serial port. One source is one bus: its tags may
// name several unit ids, and every request to any of them goes through one queue, so there is one
// request on the wire at a time (Modbus over Serial Line v1.02 §2.4.1: a single master, one
// outstanding request, a reply or a response time-out before the next). The engine is shared with
// Modbus TCP (modbus-poller.ts); this file opens the port and says what silence means on a bus.

/** Opening a local serial device is quick; a stuck USB adapter is not. */
const minOpenTimeoutMs = 2_000

export const createModbusRtuDriver: DriverFactory<ModbusRtuSource> = (
  source,
  tags,
  sink,
  context,
) =>
  createModbusPoller(
    {
      protocol: 'modbus-rtu',
      source,
      tags,
      endpoint: source.path,
      connectTimeoutMs: Math.max(source.timeoutMs, minOpenTimeoutMs),
      open: openSerialLink(source),
      // One silent device on a bus says nothing about the others.
      silence: 'unit',
      // A device that answers after our time-out answers into the next request's window unless we
      // wait it out and drop what came; one more time-out is the longest a late reply plausibly takes.
      quietMs: source.timeoutMs,
    },
    sink,
    context,
  )

type SerialOptions = Pick<ModbusRtuSource, 'path' | 'baudRate' | 'parity' | 'dataBits' | 'stopBits'>

/** modbus-serial's buffered RTU port keeps bytes no request has claimed here (8.0.25). */
type BufferedPort = { _buffer?: Buffer }
/** How long closing the serial port may take before we stop waiting for it. */
const releaseTimeoutMs = 5_000

/** Clears the timers of unanswered requests; close() alone leaves them running (8.0.25). */
type CancellableClient = { _cancelPendingTransactions?: () => void }

export function openSerialLink(options: SerialOptions): ModbusLinkOpener {
  const { path } = options
  return (events) => {
    const client = new ModbusRTU()
    let phase: 'opening' | 'open' | 'failed' = 'opening'
    /** Set when close() comes while the port is still opening: close it once it has opened. */
    let closeWhenOpened: (() => void) | null = null
    // Port errors are re-emitted by the client; an 'error' without a listener would throw.
    client.on('error', (error: unknown) => {
      events.failed(`serial port ${path} failed: ${describeError(error)}`)
    })
    // A USB adapter pulled out, or the device behind the path gone, ends in 'close'.
    client.on('close', () => {
      events.failed(`serial port ${path} closed (the adapter or the device behind it went away)`)
    })
    try {
      client.connectRTUBuffered(
        path,
        {
          baudRate: options.baudRate,
          parity: options.parity,
          dataBits: options.dataBits,
          stopBits: options.stopBits,
        },
        (error: unknown) => {
          if (error) {
            phase = 'failed'
            closeWhenOpened?.()
            events.failed(`cannot open ${path}: ${describeOpenError(error)}`)
            return
          }
          phase = 'open'
          if (closeWhenOpened) closeWhenOpened()
          else events.opened(client)
        },
      )
    } catch (error) {
      // Options the serial library refuses throw before any port exists.
      phase = 'failed'
      queueMicrotask(() => events.failed(`cannot open ${path}: ${describeError(error)}`))
    }
    return {
      close: () =>
        new Promise<void>((resolve) => {
          ;(client as unknown as CancellableClient)._cancelPendingTransactions?.()
          // The client is an EventEmitter at run time; its typings only declare on().
          const emitter = client as unknown as EventEmitter
          emitter.removeAllListeners('close')
          emitter.removeAllListeners('error')
          // An 'error' after we let go must not throw for want of a listener.
          emitter.on('error', () => {})
          // A stuck USB adapter may never call back: stop waiting for it, so a shutdown ends.
          const giveUp = setTimeout(resolve, releaseTimeoutMs)
          giveUp.unref()
          const done = (): void => {
            clearTimeout(giveUp)
            resolve()
          }
          const release = (): void => {
            if (client.isOpen) client.close(done)
            else done()
          }
          if (phase === 'opening') closeWhenOpened = release
          else release()
        }),
      discardInput: () => {
        const port = (client as unknown as { _port?: BufferedPort })._port
        if (port && port._buffer && port._buffer.length > 0) port._buffer = Buffer.alloc(0)
      },
    }
  }
}

/** serialport says "Error: No such file or directory, cannot open /dev/ttyUSB0"; we name the path once. */
function describeOpenError(error: unknown): string {
  return describeError(error)
    .replace(/^Error: /, '')
    .replace(/, cannot open .*$/, '')
}
