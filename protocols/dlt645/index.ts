// Public surface of the pure DL/T 645 codec (2007 edition, and 1997 for reads).
// Nothing here does I/O: bytes in, typed values out.

export * from './errors.js';
export * from './frame.js';
export * from './parser.js';
export * from './read.js';
export * from './error-word.js';
export * from './control-strategy.js';
export * from './control.js';
export * from './security.js';
export * from './security-payloads.js';
export * from './esam-commands.js';
export * from './data-identifiers.js';
export * from './catalogue.js';
export * from './status-words.js';
export * from './values.js';
export * from './clock-values.js';
export * from './event-records.js';
export * from './datetime.js';
export * from './edition1997.js';
export * from './profile.js';
export * from './ack.js';
export * from './commands-protected.js';
export * from './commands-station.js';
export {
  addOffset33,
  removeOffset33,
  addressToBytes,
  bytesToAddress,
  bcdToNumber,
  numberToBcd,
  signedBcdToNumber,
  numberToSignedBcd,
} from './bcd.js';
