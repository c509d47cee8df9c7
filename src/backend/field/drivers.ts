import type { DriverFactories } from './acquisition'
import { createModbusRtuDriver } from './modbus-rtu'
import { createModbusTcpDriver } from './modbus-tcp'
import { createOpcUaDriver } from './opcua'

/** The real drivers, one per protocol: used by the console and by the probe command alike. */
export const fieldDrivers: DriverFactories = {
  'modbus-tcp': createModbusTcpDriver,
  'modbus-rtu': createModbusRtuDriver,
  opcua: createOpcUaDriver,
}
