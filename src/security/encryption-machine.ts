// Security module backed by a network encryption machine (密码机): the utility's hardware holds
// the keys, feikong sends random numbers and plaintext blocks and gets ciphertexts and MACs.
// One TCP connection, many requests in flight matched by id (machine-protocol.ts).
//
//   request ─▶ connected? ──no──▶ backoff over? ──no──▶ SECURITY_UNAVAILABLE (fail fast)
//                 │yes                  │yes
//                 ▼                     ▼
//            write, start timer ◀── connect (connectTimeoutMs)
//                 │
//   reply by id ──┴──▶ resolve │ timer ──▶ SECURITY_TIMEOUT │ connection lost ──▶ every pending: SECURITY_UNAVAILABLE
//
// Reconnection is lazy: the next request after a drop connects again, no sooner than the backoff
// (doubling from min to max, reset by a successful connection) measured on the injected clock.

import { connect, type Socket } from 'node:net';
import {
  MessageSplitter,
  PROTOCOL_VERSION,
  encodeMessage,
  fromHex,
  isResponse,
  toHex,
  type MachineOp,
  type MachineResponse,
} from './machine-protocol.js';
import {
  SecurityModuleError,
  type IdentityChallenge,
  type MeterKeyRef,
  type ProtectedBytes,
  type PurchaseInput,
  type SecurityModule,
  type SecurityModuleErrorCode,
  type SecuritySession,
} from './types.js';

/** Every timeout of the adapter, with its default and allowed range (checked by validateMachineOptions). */
export const MACHINE_OPTION_LIMITS = {
  requestTimeoutMs: { default: 2_000, min: 50, max: 60_000 },
  connectTimeoutMs: { default: 3_000, min: 50, max: 60_000 },
  reconnectMinMs: { default: 200, min: 0, max: 60_000 },
  reconnectMaxMs: { default: 10_000, min: 0, max: 600_000 },
} as const;

export interface EncryptionMachineOptions {
  host: string;
  port: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Clock for the reconnection backoff; default Date.now. */
  now?: () => number;
}

type Resolved = Required<Omit<EncryptionMachineOptions, 'now'>> & { now: () => number };

export function validateMachineOptions(o: EncryptionMachineOptions): Resolved {
  if (typeof o.host !== 'string' || o.host === '') throw new SecurityModuleError('SECURITY_INVALID_INPUT', 'encryption machine host must be set', { key: 'host' });
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) throw new SecurityModuleError('SECURITY_INVALID_INPUT', 'encryption machine port must be 1..65535', { key: 'port', value: o.port });
  const out = { host: o.host, port: o.port, now: o.now ?? Date.now } as Resolved;
  for (const [key, limit] of Object.entries(MACHINE_OPTION_LIMITS) as [keyof typeof MACHINE_OPTION_LIMITS, { default: number; min: number; max: number }][]) {
    const value = o[key] ?? limit.default;
    if (!Number.isInteger(value) || value < limit.min || value > limit.max) {
      throw new SecurityModuleError('SECURITY_INVALID_INPUT', `${key} must be an integer in ${limit.min}..${limit.max}`, { key, value });
    }
    out[key] = value;
  }
  if (out.reconnectMaxMs < out.reconnectMinMs) throw new SecurityModuleError('SECURITY_INVALID_INPUT', 'reconnectMaxMs must be ≥ reconnectMinMs', { key: 'reconnectMaxMs' });
  return out;
}

export interface MachineHealth {
  connected: boolean;
  /** Requests by op and result ('ok', or a SecurityModuleErrorCode). */
  requests: Map<string, number>;
  connects: number;
  drops: number;
  consecutiveFailures: number;
  lastError: string | null;
}

interface Pending {
  op: MachineOp;
  address: string | undefined;
  resolve: (r: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const MACHINE_ERRORS: Record<string, SecurityModuleErrorCode> = { KEY_UNKNOWN: 'SECURITY_KEY_UNKNOWN', BAD_REQUEST: 'SECURITY_INVALID_INPUT' };

export class EncryptionMachineModule implements SecurityModule {
  readonly kind = 'encryption-machine';
  private readonly o: Resolved;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private backoffMs = 0;
  private notBefore = 0;
  private closed = false;
  readonly health: MachineHealth = { connected: false, requests: new Map(), connects: 0, drops: 0, consecutiveFailures: 0, lastError: null };

  constructor(options: EncryptionMachineOptions) {
    this.o = validateMachineOptions(options);
  }

  private fail(code: SecurityModuleErrorCode, message: string, context: Record<string, unknown> = {}): SecurityModuleError {
    this.health.lastError = `${code}: ${message}`;
    return new SecurityModuleError(code, message, { host: this.o.host, port: this.o.port, ...context });
  }

  private scheduleBackoff(): void {
    this.backoffMs = this.backoffMs === 0 ? this.o.reconnectMinMs : Math.min(this.o.reconnectMaxMs, this.backoffMs * 2);
    this.notBefore = this.o.now() + this.backoffMs;
  }

  private connectOnce(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const wait = this.notBefore - this.o.now();
    if (wait > 0) return Promise.reject(this.fail('SECURITY_UNAVAILABLE', `encryption machine unreachable, next attempt in ${wait} ms`, { retryInMs: wait }));
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.o.host, port: this.o.port });
      const timer = setTimeout(() => {
        socket.destroy();
        this.scheduleBackoff();
        reject(this.fail('SECURITY_UNAVAILABLE', `no connection to the encryption machine within ${this.o.connectTimeoutMs} ms`));
      }, this.o.connectTimeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        this.scheduleBackoff();
        reject(this.fail('SECURITY_UNAVAILABLE', `encryption machine connection failed: ${e.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        this.attach(socket);
        resolve(socket);
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.backoffMs = 0;
    this.notBefore = 0;
    this.health.connected = true;
    this.health.connects++;
    socket.setNoDelay(true);
    const splitter = new MessageSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const m of splitter.push(chunk)) {
        if (m.kind === 'invalid' || !isResponse(m.value)) {
          this.drop(socket, this.fail('SECURITY_PROTOCOL', `unreadable message from the encryption machine${m.kind === 'invalid' ? `: ${m.reason}` : ''}`));
          return;
        }
        this.settle(m.value);
      }
    });
    socket.on('error', (e) => this.drop(socket, this.fail('SECURITY_UNAVAILABLE', `encryption machine connection lost: ${e.message}`)));
    socket.on('close', () => this.drop(socket, this.fail('SECURITY_UNAVAILABLE', 'encryption machine closed the connection')));
  }

  private drop(socket: Socket, error: SecurityModuleError): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.health.connected = false;
    this.health.drops++;
    socket.destroy();
    if (!this.closed) this.scheduleBackoff();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      this.count(p.op, error.code);
      p.reject(new SecurityModuleError(error.code, error.message, { ...error.context, op: p.op, address: p.address }));
    }
  }

  private settle(r: MachineResponse): void {
    const p = this.pending.get(r.id);
    if (!p) return; // late answer to a request that timed out
    clearTimeout(p.timer);
    this.pending.delete(r.id);
    if (r.ok) {
      this.count(p.op, 'ok');
      p.resolve(r.result);
    } else {
      const code = MACHINE_ERRORS[r.error.code] ?? 'SECURITY_REFUSED';
      this.count(p.op, code);
      p.reject(this.fail(code, `encryption machine refused ${p.op}: ${r.error.code} ${r.error.message}`, { op: p.op, address: p.address, machineCode: r.error.code }));
    }
  }

  private count(op: string, result: string): void {
    const key = `${op}|${result}`;
    this.health.requests.set(key, (this.health.requests.get(key) ?? 0) + 1);
    if (result === 'ok') this.health.consecutiveFailures = 0;
    else this.health.consecutiveFailures++;
  }

  /** One request; bounded by requestTimeoutMs after it is written. */
  async request(op: MachineOp, args: Record<string, unknown>, address?: string): Promise<Record<string, unknown>> {
    if (this.closed) throw this.fail('SECURITY_UNAVAILABLE', 'security module closed', { op });
    let socket: Socket;
    try {
      socket = await this.connectOnce();
    } catch (e) {
      this.count(op, (e as SecurityModuleError).code ?? 'SECURITY_UNAVAILABLE');
      throw e;
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.count(op, 'SECURITY_TIMEOUT');
        reject(this.fail('SECURITY_TIMEOUT', `encryption machine did not answer ${op}${address ? ` for meter ${address}` : ''} within ${this.o.requestTimeoutMs} ms`, { op, address, timeoutMs: this.o.requestTimeoutMs }));
      }, this.o.requestTimeoutMs);
      this.pending.set(id, { op, address, resolve, reject, timer });
      socket.write(encodeMessage({ v: PROTOCOL_VERSION, id, op, args }));
    });
  }

  private bytes(result: Record<string, unknown>, field: string, length: number, op: MachineOp): Buffer {
    const b = fromHex(result[field], length);
    if (!b) throw this.fail('SECURITY_PROTOCOL', `encryption machine answered ${op} without a valid ${field} of ${length} bytes`, { op, field });
    return b;
  }

  async ping(): Promise<void> {
    await this.request('ping', {});
  }

  async identityAuthentication(meter: MeterKeyRef): Promise<IdentityChallenge> {
    const r = await this.request('identityAuthentication', { address: meter.address, keyVersion: meter.keyVersion }, meter.address);
    const op = 'identityAuthentication';
    return { random1: this.bytes(r, 'random1', 8, op), ciphertext: this.bytes(r, 'ciphertext', 8, op), dispersionFactor: this.bytes(r, 'dispersionFactor', 8, op) };
  }

  async encryptControl(session: SecuritySession, plaintext: Uint8Array): Promise<ProtectedBytes> {
    const r = await this.request('encryptControl', { session: sessionArgs(session), plaintext: toHex(plaintext) }, session.address);
    return { ciphertext: this.bytes(r, 'ciphertext', 16, 'encryptControl'), mac: this.bytes(r, 'mac', 4, 'encryptControl') };
  }

  async purchaseMacs(session: SecuritySession, p: PurchaseInput): Promise<{ mac1: Buffer; mac2: Buffer }> {
    const r = await this.request('purchaseMacs', { session: sessionArgs(session), di: p.di, amountFen: p.amountFen, purchaseCount: p.purchaseCount, customer: p.customer }, session.address);
    return { mac1: this.bytes(r, 'mac1', 4, 'purchaseMacs'), mac2: this.bytes(r, 'mac2', 4, 'purchaseMacs') };
  }

  async parameterMac(session: SecuritySession, di: number, value: Uint8Array): Promise<Buffer> {
    const r = await this.request('parameterMac', { session: sessionArgs(session), di, value: toHex(value) }, session.address);
    return this.bytes(r, 'mac', 4, 'parameterMac');
  }

  async encryptParameter(session: SecuritySession, di: number, value: Uint8Array): Promise<ProtectedBytes> {
    const r = await this.request('encryptParameter', { session: sessionArgs(session), di, value: toHex(value) }, session.address);
    const ciphertext = fromHex(r.ciphertext);
    if (!ciphertext || ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw this.fail('SECURITY_PROTOCOL', 'encryption machine answered encryptParameter without whole blocks of ciphertext', { op: 'encryptParameter' });
    return { ciphertext, mac: this.bytes(r, 'mac', 4, 'encryptParameter') };
  }

  async verifyFigureMac(session: SecuritySession, tag: number, value: number, mac: Uint8Array): Promise<boolean> {
    const r = await this.request('verifyFigureMac', { session: sessionArgs(session), tag, value, mac: toHex(mac) }, session.address);
    if (typeof r.valid !== 'boolean') throw this.fail('SECURITY_PROTOCOL', 'encryption machine answered verifyFigureMac without valid', { op: 'verifyFigureMac' });
    return r.valid;
  }

  close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    if (socket) this.drop(socket, this.fail('SECURITY_UNAVAILABLE', 'security module closed'));
    return Promise.resolve();
  }
}

function sessionArgs(s: SecuritySession): Record<string, unknown> {
  return { address: s.address, keyVersion: s.keyVersion, random1: toHex(s.random1), random2: toHex(s.random2), esamSerial: toHex(s.esamSerial) };
}
