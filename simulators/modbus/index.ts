// The Modbus meter simulator: meters driven by register maps, on an RTU line (pty, serial port or
// TCP serial server; optionally shared with DL/T 645 meters) or behind a Modbus TCP endpoint.
export { SimModbusMeter, type SimModbusMeterOptions, type RelayWrite } from './meter.js';
export { startModbusRtuLine, type ModbusRtuLineOptions, type ModbusLineEvent, type ModbusLineStats, type SimModbusLine } from './rtu-line.js';
export { startModbusTcpServer, type ModbusTcpServerOptions, type SimModbusTcpServer } from './tcp-server.js';
export { delay, exception, forFunction, forWrites, silence, wrongCrc, type ModbusBehaviour, type ModbusBehaviourOptions } from './behaviours.js';
export { SILENT, exceptionReply, type SimReply } from './reply.js';
export { formatModbusFault, parseModbusFault, type ModbusFaultEffect, type ModbusFaultSpec, type ModbusRequestFilter } from './fault-grammar.js';
export { modbusFaultBehaviour, type ModbusFaultOptions } from './faults.js';
