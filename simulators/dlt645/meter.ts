// A simulated DL/T 645-2007 prepaid meter: its registers (energy, instantaneous values, prepaid
// amounts, limits), its relay, its clock, and the behaviours that decide what it puts on the wire.
//
//   request frame ─▶ behaviours (newest first; the first that answers wins) ─▶ Reply
//                           └─ none answered ─▶ defaultReply (the model, responder.ts)
//
// Time: `clock()` is physical time (energy, trip delay); the meter's own clock is that plus an
// offset that broadcast time sync (08H) corrects and that validity deadlines are checked against.
import {
  DataIdentifier as DI,
  ESAM_PASSWORD_LEVEL,
  decodeEsamControlBody,
  decodeMoneyFen,
  decodePlaintextControlBlock,
  isDlt645Error,
  type DecodedControlRequest,
  type DecodedProtectedWrite,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import { SimEsam, type EsamOptions } from './esam.js';
import { type Behaviour } from './behaviours.js';
import { EnergyRegisters, defaultTariffPeriod, type TariffNumber, type TariffPeriodFn } from './energy.js';
import { Relay, type ControlAction, type ControlOutcome, type RelayOptions, type RelayStatus } from './relay.js';
import { type Reply } from './reply.js';
import { respond } from './responder.js';
import { MeterHistory, nextLocalMidnight, type SimEvent, type SimEventKind } from './history.js';

/** Meter-side limits (DI 04001001..04001005), integer fen. */
export interface MeterLimits {
  alarmLevel1Fen: number;
  alarmLevel2Fen: number;
  overdraftLimitFen: number;
  hoardingLimitFen: number;
  restoreLevelFen: number;
}

export interface SimMeterOptions extends RelayOptions {
  /** 12 digits as printed, most significant first. */
  address: string;
  /** P2 P1 P0 as 6 hex digits; a 1CH with another password is refused 'unauthorised'. Default '000000'. */
  password?: string;
  /** Forward active energy at start, Wh. Default 0. */
  energyWh?: number;
  /** Per-tariff energy at start (tariffs 1..4), Wh; default: all of `energyWh` in tariff 3. */
  tariffWh?: [number, number, number, number];
  /** Load drawn while the relay is closed, W. Default 0, allowed 0..60 000 (a single-phase meter's range). */
  loadW?: number;
  /** Which tariff is in force at a moment of the meter's clock. Default: see energy.ts. */
  tariffPeriod?: TariffPeriodFn;
  /** Phase A voltage, V. Default 220.0. */
  voltageV?: number;
  /** Grid frequency, Hz. Default 50.00. */
  frequencyHz?: number;
  /** Remaining amount (00900200), fen. Default 10 000 (100.00 yuan). */
  remainingFen?: number;
  /** Overdraft amount (00900201), fen. Default 0. */
  overdraftFen?: number;
  limits?: Partial<MeterLimits>;
  /** Meter clock minus physical clock at start, ms (a drifted meter). Default 0. */
  clockOffsetMs?: number;
  /** FEH wake-up bytes before every reply (DL/T 645-2007 §5.3.1). Default 4, allowed 0..4. */
  preamble?: number;
  /** Behaviours installed at start, in priority order (first wins). */
  behaviours?: Behaviour[];
  /** DL/T 645 edition: '1997' meters answer only 01H reads of 1997 DIs and ignore 2007 frames. Default '2007'. */
  edition?: '2007' | '1997';
  /**
   * The registers this meter has, as real meters of its kind do: a read of any other DI gets the
   * error word "no requested data". A daily-freeze DI counts as present when its latest (…01) is
   * listed. Default: every register the model knows.
   */
  registers?: readonly number[];
  /** DIs the meter does not answer at all (it stays silent). Default none. */
  silentFor?: readonly number[];
  /** 1 (single-phase, default) or 3: a three-phase meter answers phases B and C and the blocks. */
  phases?: 1 | 3;
  /** Power factor, 0..1. Default 1.000. */
  powerFactor?: number;
  /** Daily freezes kept (日冻结), 0..62. Default 62. */
  frozenDaysKept?: number;
  /**
   * ESAM mode (State Grid remote fee control, esam.ts): 1CH only with PA 98H inside an
   * authenticated session, plaintext 1CH refused 'unauthorised'; 03H answered; 14H limits
   * written only with PA 98H/99H and a right MAC. Default: no ESAM (plaintext meter).
   */
  esam?: EsamOptions;
}

/** What the meter did with a 1CH: the relay's outcome, or (ESAM mode) why the ESAM refused it. */
export type MeterControlOutcome = ControlOutcome | 'session-expired' | 'mac-error';

export interface ControlRecord {
  /** The meter's clock when the command arrived. */
  at: Date;
  action: ControlAction | null;
  pa: number;
  /** Operator code C3..C0 as received. */
  operator: string;
  deadline: Date | null;
  outcome: MeterControlOutcome;
}

const DEFAULT_LIMITS: MeterLimits = {
  alarmLevel1Fen: 2_000,
  alarmLevel2Fen: 1_000,
  overdraftLimitFen: 0,
  hoardingLimitFen: 99_999_900,
  restoreLevelFen: 0,
};
const MAX_LOAD_W = 60_000;
/** DIs of the meter-side limits, writable with PA 98H/99H in ESAM mode. */
const LIMIT_DIS: Readonly<Record<number, keyof MeterLimits>> = {
  [DI.alarmAmount1]: 'alarmLevel1Fen',
  [DI.alarmAmount2]: 'alarmLevel2Fen',
  [DI.overdraftLimit]: 'overdraftLimitFen',
  [DI.hoardingLimit]: 'hoardingLimitFen',
  [DI.closePermitAmount]: 'restoreLevelFen',
};

export class SimMeter {
  readonly address: string;
  readonly password: string;
  readonly preamble: number;
  readonly relay: Relay;
  readonly energy: EnergyRegisters;
  readonly limits: MeterLimits;
  /** Every 1CH command received, in order, with what the meter did about it. */
  readonly controls: ControlRecord[] = [];
  remainingFen: number;
  overdraftFen: number;
  voltageV: number;
  frequencyHz: number;
  /** Meter clock minus physical clock, ms. */
  clockOffsetMs: number;
  private loadWatts: number;
  private readonly tariffPeriod: TariffPeriodFn;
  private readonly clock: () => number;
  /** Physical time up to which energy has been integrated. */
  private integratedUntil: number;
  private behaviourList: Behaviour[];
  readonly edition: '2007' | '1997';
  readonly phases: 1 | 3;
  powerFactor: number;
  readonly history: MeterHistory;
  private readonly registerSet: ReadonlySet<number> | null;
  private readonly silentSet: ReadonlySet<number>;
  /** The ESAM, in ESAM mode; null for a plaintext meter. */
  readonly esam: SimEsam | null;

  constructor(options: SimMeterOptions, clock: () => number = Date.now) {
    if (!/^\d{12}$/.test(options.address)) throw new RangeError(`meter address must be 12 digits, got '${options.address}'`);
    this.address = options.address;
    this.password = (options.password ?? '000000').toUpperCase();
    if (!/^[0-9A-F]{6}$/.test(this.password)) throw new RangeError(`password must be 6 hex digits, got '${options.password}'`);
    this.preamble = options.preamble ?? 4;
    if (!Number.isInteger(this.preamble) || this.preamble < 0 || this.preamble > 4) {
      throw new RangeError(`preamble must be 0..4, got ${options.preamble}`);
    }
    this.relay = new Relay(options);
    this.energy = new EnergyRegisters({ totalWh: options.energyWh, tariffWh: options.tariffWh });
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.remainingFen = options.remainingFen ?? 10_000;
    this.overdraftFen = options.overdraftFen ?? 0;
    this.voltageV = options.voltageV ?? 220;
    this.frequencyHz = options.frequencyHz ?? 50;
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.loadWatts = checkLoad(options.loadW ?? 0);
    this.tariffPeriod = options.tariffPeriod ?? defaultTariffPeriod;
    this.clock = clock;
    this.integratedUntil = clock();
    this.behaviourList = [...(options.behaviours ?? [])];
    this.edition = options.edition ?? '2007';
    this.phases = options.phases ?? 1;
    this.powerFactor = options.powerFactor ?? 1;
    if (!(this.powerFactor >= 0 && this.powerFactor <= 1)) throw new RangeError(`powerFactor must be 0..1, got ${options.powerFactor}`);
    this.history = new MeterHistory(options.frozenDaysKept ?? 62);
    this.registerSet = options.registers ? new Set(options.registers) : null;
    this.silentSet = new Set(options.silentFor ?? []);
    this.esam = options.esam ? new SimEsam(this.address, options.esam, clock) : null;
  }

  /** Whether the meter has register `di` (a daily freeze: whether it keeps freezes at all). */
  hasRegister(di: number): boolean {
    if (this.registerSet === null) return true;
    if (this.registerSet.has(di)) return true;
    const family = di >>> 8 === 0x050600 ? 0x05060001 : di >>> 8 === 0x050601 ? 0x05060101 : null;
    return family !== null && this.registerSet.has(family);
  }

  /** Whether the meter stays silent when asked for `di`. */
  silentFor(di: number): boolean {
    return this.silentSet.has(di);
  }

  /** Records an event (power-down, programming, cover opened) at the meter's clock now, unless given. */
  recordEvent(kind: SimEventKind, event: Partial<SimEvent> = {}): void {
    this.history.addEvent(kind, { at: this.now(), ...event });
  }

  /** The meter's own clock, ms since the epoch. */
  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  /** Broadcast time sync: sets the meter's clock. */
  setClock(time: Date): void {
    this.clockOffsetMs = time.getTime() - this.clock();
  }

  get loadW(): number {
    return this.loadWatts;
  }

  setLoad(watts: number): void {
    this.sync();
    this.loadWatts = checkLoad(watts);
  }

  /** Forward active energy, total, Wh, integrated up to now. */
  get energyWh(): number {
    this.sync();
    return this.energy.totalWh;
  }

  tariffEnergyWh(tariff: TariffNumber): number {
    this.sync();
    return this.energy.tariffWh[tariff - 1] ?? 0;
  }

  relayStatus(): RelayStatus {
    this.sync();
    return this.relay.status(this.clock());
  }

  /** Active power now, W: the load while the relay is closed, else 0. */
  get powerW(): number {
    return this.relayStatus().relayOpen ? 0 : this.loadWatts;
  }

  get currentA(): number {
    return this.voltageV > 0 ? this.powerW / this.voltageV : 0;
  }

  /** The customer presses the button; closes the relay only after a 1B close-permit. */
  pressButton(): boolean {
    this.sync();
    return this.relay.pressButton(this.clock());
  }

  /**
   * Checks and applies a decoded 1CH command the way a meter does (password, then deadline on
   * the meter's clock, then the action), records it, and returns the outcome.
   */
  applyControl(request: DecodedControlRequest): MeterControlOutcome {
    this.sync();
    const nowMs = this.now();
    let outcome: MeterControlOutcome;
    if (this.esam !== null) {
      const opened = this.openEsamControl(request);
      if ('refusal' in opened) {
        this.recordControl(request, opened.refusal);
        return opened.refusal;
      }
      request = opened.request;
    }
    if (this.esam === null && (request.pa === ESAM_PASSWORD_LEVEL || request.password.toUpperCase() !== this.password)) {
      // a plaintext meter has no key for an ESAM body
      outcome = 'unauthorised';
    } else if (request.deadline === null || request.deadline.getTime() < nowMs) {
      outcome = 'expired';
    } else if (request.action === null) {
      outcome = 'other';
    } else {
      outcome = this.relay.apply(request.action, this.clock());
    }
    this.recordControl(request, outcome);
    return outcome;
  }

  /**
   * ESAM mode: a plaintext 1CH is refused 'unauthorised' (the ESAM meter's error word bit 2);
   * an encrypted one is opened by the ESAM (session, MAC) into the plaintext command, which the
   * meter then checks as any other (deadline, relay).
   */
  private openEsamControl(request: DecodedControlRequest): { request: DecodedControlRequest } | { refusal: MeterControlOutcome } {
    if (request.pa !== ESAM_PASSWORD_LEVEL) return { refusal: 'unauthorised' };
    let block;
    try {
      block = decodeEsamControlBody(request.body);
    } catch (e) {
      if (!isDlt645Error(e)) throw e;
      return { refusal: 'mac-error' };
    }
    const opened = this.esam!.openControl(block);
    if (!opened.ok) return { refusal: opened.refusal };
    return { request: { ...request, ...decodePlaintextControlBlock(opened.plaintext), body: opened.plaintext } };
  }

  /** ESAM mode: a 14H write with PA 98H/99H of a limit (04001001..04001005). */
  applyProtectedWrite(write: DecodedProtectedWrite): 'ok' | 'unauthorised' | 'other' {
    if (this.esam === null) return 'other';
    const limit = LIMIT_DIS[write.di];
    if (limit === undefined) return 'other';
    const opened = this.esam.openWrite(write);
    if (!opened.ok) return 'unauthorised';
    try {
      this.limits[limit] = decodeMoneyFen(opened.value);
    } catch (e) {
      if (!isDlt645Error(e)) throw e;
      return 'other';
    }
    return 'ok';
  }

  /** Records a 1CH command without applying it (used by behaviours that refuse on purpose). */
  recordControl(request: DecodedControlRequest, outcome: MeterControlOutcome): void {
    this.controls.push({ at: new Date(this.now()), action: request.action, pa: request.pa, operator: request.operator, deadline: request.deadline, outcome });
  }

  /** Adds a behaviour ahead of the others: the newest behaviour is asked first. */
  addBehaviour(behaviour: Behaviour): () => void {
    this.behaviourList.unshift(behaviour);
    return () => this.removeBehaviour(behaviour);
  }

  removeBehaviour(behaviour: Behaviour | string): void {
    this.behaviourList = this.behaviourList.filter((b) => b !== behaviour && b.name !== behaviour);
  }

  clearBehaviours(): void {
    this.behaviourList = [];
  }

  get behaviours(): readonly Behaviour[] {
    return this.behaviourList;
  }

  /** What the meter puts on the wire for a frame addressed to it. */
  handleRequest(frame: Dlt645Frame): Reply {
    for (const behaviour of [...this.behaviourList]) {
      const reply = behaviour.onRequest(frame, this);
      if (reply === undefined) continue;
      if (behaviour.once) this.removeBehaviour(behaviour);
      return reply;
    }
    return this.defaultReply(frame);
  }

  /** The model's own answer, bypassing behaviours (behaviours call it to alter the normal reply). */
  defaultReply(frame: Dlt645Frame): Reply {
    return respond(this, frame);
  }

  /** Integrates energy up to now; a delayed trip that came due stops the load at its moment. */
  private sync(): void {
    const now = this.clock();
    const tripAt = this.relay.pendingTripAt;
    if (tripAt !== null && tripAt <= now) {
      this.integrateTo(tripAt);
      this.relay.settle(tripAt);
    }
    this.integrateTo(now);
  }

  /** Integrates up to `until`, freezing the registers at every local midnight of the meter's clock on the way (日冻结). */
  private integrateTo(until: number): void {
    while (until > this.integratedUntil) {
      const offset = this.clockOffsetMs;
      const midnight = nextLocalMidnight(this.integratedUntil + offset) - offset;
      const end = Math.min(until, midnight);
      if (!this.relay.status(this.integratedUntil).relayOpen) {
        this.energy.advance(this.integratedUntil, end, this.loadWatts, (t) => this.tariffPeriod(t + offset));
      }
      this.integratedUntil = end;
      if (end === midnight) this.history.freeze({ at: midnight + offset, totalWh: this.energy.totalWh, tariffWh: [...this.energy.tariffWh] });
    }
  }

  /** The daily freezes, integrated up to now. */
  frozenDay(n: number) {
    this.sync();
    return this.history.frozenAt(n);
  }
}

function checkLoad(watts: number): number {
  if (!(Number.isFinite(watts) && watts >= 0 && watts <= MAX_LOAD_W)) {
    throw new RangeError(`load must be 0..${MAX_LOAD_W} W, got ${watts}`);
  }
  return watts;
}
