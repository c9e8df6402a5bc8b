// Simulated concentrators speaking the MQTT concentrator contract, for tests, demos and benchmarks.
export { SimConcentrator, type SimConcentratorOptions, type SimCommandEvent } from './concentrator.js';
export { SimConcentratorMeter, isoWithOffset, type SimMeterSpec, type WireReading } from './meters.js';
export { WELL_BEHAVED, seededRandom, type Misbehaviour } from './behaviours.js';
