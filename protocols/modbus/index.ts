// Modbus for meters: PDU and RTU codecs, register values, register maps as data, the meter logic
// driven by a map, and the Modbus TCP client. Import from here.
export { ModbusError, isModbusError, exceptionName, EXCEPTION_NAMES, type ModbusErrorCode } from './errors.js';
export { crc16, withCrc, crcMatches } from './crc.js';
export {
  FunctionCode, EXCEPTION_FLAG, LIMITS, functionName, encodeRequest, decodeRequest, encodeResponse, encodeException, decodeResponse,
  type FunctionName, type ModbusRequest, type ModbusResponse,
} from './pdu.js';
export { BROADCAST_UNIT, MAX_UNIT, MAX_RTU_FRAME, RtuParser, announcedLength, encodeRtuFrame, isUnitId, type RtuEvent, type RtuExpectation } from './rtu.js';
export { DATA_TYPES, decodeValue, encodeValue, energyToWh, whToRaw, whPerCount, registerCount, type DataType, type WordOrder, type EnergyUnit } from './values.js';
export {
  RegisterMapSchema, validateRegisterMap,
  type RegisterMap, type MeasurementPoint, type RelayStatePoint, type RelayControlPoint,
} from './register-map.js';
export { planReads, readPoints, relayStateOf, relayWriteRequest, describeRead, type Transact, type PointKey, type PlannedRead, type MeterReadout } from './meter.js';
export { ModbusTcpClient, type ModbusTcpClientOptions, type ModbusTcpStats, type Priority } from './tcp-client.js';
