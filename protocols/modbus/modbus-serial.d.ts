// Types for the one module of modbus-serial that the codec imports directly: its CRC-16, a plain
// function that the package ships without a declaration.
declare module 'modbus-serial/utils/crc16.js' {
  /** Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF) of the bytes. */
  const crc16: (buffer: Uint8Array) => number;
  export default crc16;
}
