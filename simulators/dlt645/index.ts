// The DL/T 645 prepaid meter simulator: a meter model with behaviours, on a bus that speaks the
// real protocol over a pseudo-terminal, a serial port or a TCP DTU.
export { startDlt645Bus, type Dlt645BusOptions, type SimBus, type SimBusEvent, type SimBusStats } from './bus.js';
export { SimMeter, type ControlRecord, type MeterControlOutcome, type MeterLimits, type SimMeterOptions } from './meter.js';
export { SimEsam, MAC_FAILURES_CLOSING_SESSION, type EsamOptions, type EsamRecord, type EsamWallet } from './esam.js';
export {
  behaviours,
  fixedDelay,
  forFunction,
  garbage,
  refuseRelayCommand,
  silence,
  slowBytes,
  truncated,
  wrongAddress,
  wrongChecksum,
  type Behaviour,
  type BehaviourOptions,
} from './behaviours.js';
export { SILENT, send, type Reply } from './reply.js';
export { formatFault, parseFault, type FaultEffect, type FaultSpec, type RequestFilter } from './fault-grammar.js';
export { faultBehaviour, type FaultOptions } from './faults.js';
export { installFaults, placeFaults, type PlacedFault } from './install-faults.js';
export { Relay, type ControlOutcome, type RelayOptions, type RelayStatus } from './relay.js';
export { EnergyRegisters, defaultTariffPeriod, type EnergySnapshot, type TariffNumber, type TariffPeriodFn } from './energy.js';
export { BITS_PER_CHARACTER, wireTimeMs } from './pacing.js';
export { readRegister, supportedDataIdentifiers } from './registers.js';
export type { SimTransport } from './transports.js';
export { replayFrames } from './replay.js';
export type { SimEvent, SimEventKind, FrozenDay } from './history.js';
