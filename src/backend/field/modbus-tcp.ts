import { Socket } from 'node:net'
import ModbusRTU from 'modbus-serial'
import type { ModbusTcpSource } from '../../shared/site/schema'
import type { DriverFactory } from './driver'
import { createModbusPoller, hex, type ModbusLinkOpener } from './modbus-poller'
import { describeError } from '../log/logger'

// Polls one Modbus TCP endpoint (a PLC or a gateway). The polling, the block plan, the watchdog,
// the backoff and the diagnostics live in modbus-poller.ts, shared with Modbus RTU; this file only
// says how a TCP link is opened and what its failures mean.

/** A TCP handshake across a plant network may take longer than a Modbus answer on it. */
const minConnectTimeoutMs = 2_000

/**
 * Modbus Messaging on TCP/IP Implementation Guide v1.0b §3.1.3: the MBAP header is a transaction
 * id (2 bytes), a protocol id that is 0 for Modbus (2), the length of what follows including the
 * unit id (2), and the unit id (1). A PDU is at most 253 bytes, so the length is 2…254.
 */
const mbapBeforeLength = 6
const maxMbapLength = 254

export const createModbusTcpDriver: DriverFactory<ModbusTcpSource> = (
  source,
  tags,
  sink,
  context,
) =>
  createModbusPoller(
    {
      protocol: 'modbus-tcp',
      source,
      tags,
      endpoint: `${source.host}:${source.port}`,
      connectTimeoutMs: Math.max(source.timeoutMs, minConnectTimeoutMs),
      open: openTcpLink(source.host, source.port),
      // A TCP stream that missed an answer is out of step or hung: rebuild it (DESIGN.md §4).
      silence: 'connection',
    },
    sink,
    context,
  )

/** Opens a TCP connection we own, so closing it can wait for the socket's 'close' event. */
export function openTcpLink(host: string, port: number): ModbusLinkOpener {
  const endpoint = `${host}:${port}`
  return (events) => {
    const socket = new Socket()
    let client: ModbusRTU | null = null
    let open = false
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', (error) => {
      events.failed(
        open
          ? `connection to ${endpoint} lost: ${describeSocketError(error)}`
          : `cannot connect to ${endpoint}: ${describeSocketError(error)}`,
      )
    })
    // Also what a half-close (the device's FIN) ends in: Node answers it with its own end.
    socket.on('close', () => events.failed(`${endpoint} closed the connection`))
    // modbus-serial trusts the MBAP length of whatever arrives and would wait for bytes that never
    // come; a stream that is not Modbus at all is better called what it is, at once.
    let received = Buffer.alloc(0)
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data])
      while (received.length >= mbapBeforeLength) {
        const protocolId = received.readUInt16BE(2)
        const length = received.readUInt16BE(4)
        if (protocolId !== 0 || length < 2 || length > maxMbapLength) {
          const head = hex([...received.subarray(0, 8)])
          events.failed(`garbled reply from ${endpoint}: not a Modbus TCP frame (${head}…)`)
          received = Buffer.alloc(0)
          return
        }
        if (received.length < mbapBeforeLength + length) return
        received = received.subarray(mbapBeforeLength + length)
      }
    })
    socket.once('connect', () => {
      socket.setNoDelay(true)
      const modbus = new ModbusRTU()
      client = modbus
      // connectTCP adopts our socket instead of making its own.
      modbus.connectTCP(host, { port, socket }, (error: unknown) => {
        if (error) {
          events.failed(`cannot connect to ${endpoint}: ${describeError(error)}`)
          return
        }
        open = true
        events.opened(modbus)
      })
    })
    socket.connect({ host, port })
    return {
      close: () => {
        // destroy(), unlike close(), also clears the client's timers of any unanswered request.
        if (client) client.destroy(() => {})
        socket.destroy()
        return closed
      },
    }
  }
}

const socketErrorWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'connection reset by the device',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host name',
  ETIMEDOUT: 'the network timed out',
  EPIPE: 'the device closed the connection while we were sending',
}

function describeSocketError(error: Error & { code?: string }): string {
  const words = error.code ? socketErrorWords[error.code] : undefined
  return words ? `${words} (${error.code})` : error.message
}
