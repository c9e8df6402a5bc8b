// A Modbus TCP endpoint (a meter with an Ethernet port, or a Modbus TCP gateway in front of an
// RS-485 line): modbus-serial's TCP client, one per endpoint, behind a queue that lets one request
// out at a time with priorities command > on-demand read > scheduled poll, like a serial bus.
// modbus-serial keeps MBAP framing and transaction ids (Modbus Messaging on TCP/IP Implementation
// Guide V1.0b §3.1.3); this class keeps order, bounds every wait and turns its errors into
// ModbusError codes. A lost connection is opened again by the next request.
//
//   transact ─▶ [command][read][poll] ─▶ connect (bounded) ─▶ writeFCxx(unit, …) ─▶ resolve
//                                                               └─ exception / timeout ─▶ ModbusError
import modbusSerial from 'modbus-serial';
import { ModbusError, exceptionName } from './errors.js';
import type { ModbusRequest, ModbusResponse } from './pdu.js';

export type Priority = 'command' | 'read' | 'poll';
const PRIORITIES: readonly Priority[] = ['command', 'read', 'poll'];

export interface ModbusTcpClientOptions {
  host: string;
  port: number;
  /** Reply timeout of one request, counted from its sending. */
  responseTimeoutMs: number;
  /** Bound on opening the TCP connection. */
  connectTimeoutMs: number;
}

export interface ModbusTcpStats {
  requests: number;
  replies: number;
  timeouts: number;
  exceptions: number;
  connects: number;
}

interface Pending {
  unit: number;
  request: ModbusRequest;
  label: string;
  resolve: (r: ModbusResponse) => void;
  reject: (e: Error) => void;
}

// Under NodeNext the package's CommonJS export is the namespace; its `default` is the client class
// (modbus-serial sets module.exports.default = module.exports).
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;
type Callback<T> = (err: (Error & { modbusCode?: number; errno?: string }) | null, value: T) => void;

export class ModbusTcpClient {
  readonly stats: ModbusTcpStats = { requests: 0, replies: 0, timeouts: 0, exceptions: 0, connects: 0 };
  private readonly queues = new Map<Priority, Pending[]>(PRIORITIES.map((p) => [p, []]));
  private client: Client | null = null;
  private inFlight: Pending | null = null;
  private closed = false;

  constructor(readonly id: string, private readonly options: ModbusTcpClientOptions) {}

  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  transact(unit: number, request: ModbusRequest, label: string, priority: Priority): Promise<ModbusResponse> {
    if (this.closed) return Promise.reject(this.closedError(label));
    return new Promise((resolve, reject) => {
      this.queues.get(priority)!.push({ unit, request, label, resolve, reject });
      this.pump();
    });
  }

  /** Rejects everything queued and in flight, and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queues.values()) for (const p of q.splice(0)) p.reject(this.closedError(p.label));
    if (this.inFlight) {
      const p = this.inFlight;
      this.inFlight = null;
      p.reject(this.closedError(p.label));
    }
    this.drop();
  }

  private closedError(label: string): ModbusError {
    return new ModbusError('MODBUS_UNREACHABLE', `Modbus TCP endpoint ${this.id} closed before ${label} completed`, { endpoint: this.id, label, reason: 'closed' });
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    let next: Pending | undefined;
    for (const p of PRIORITIES) {
      next = this.queues.get(p)!.shift();
      if (next) break;
    }
    if (!next) return;
    this.inFlight = next;
    void this.run(next);
  }

  private settle(p: Pending, err: Error | null, value?: ModbusResponse): void {
    if (this.inFlight !== p) return; // closed meanwhile
    this.inFlight = null;
    if (err) p.reject(err);
    else p.resolve(value!);
    this.pump();
  }

  private async run(p: Pending): Promise<void> {
    let client: Client;
    try {
      client = await this.connect();
    } catch (err) {
      this.settle(p, err as Error);
      return;
    }
    this.stats.requests++;
    call(client, p.unit, p.request, (err, value) => {
      if (err) {
        this.settle(p, this.translate(err, p));
        return;
      }
      this.stats.replies++;
      this.settle(p, null, value);
    });
  }

  private translate(err: Error & { modbusCode?: number; errno?: string }, p: Pending): ModbusError {
    const context = { endpoint: this.id, unit: p.unit, label: p.label };
    if (typeof err.modbusCode === 'number') {
      this.stats.exceptions++;
      return new ModbusError('MODBUS_EXCEPTION', `${p.label} on Modbus TCP endpoint ${this.id}: exception ${err.modbusCode} (${exceptionName(err.modbusCode)})`, {
        ...context, exceptionCode: err.modbusCode, exceptionName: exceptionName(err.modbusCode),
      });
    }
    if (err.errno === 'ETIMEDOUT') {
      this.stats.timeouts++;
      return new ModbusError('MODBUS_TIMEOUT', `no reply to ${p.label} on Modbus TCP endpoint ${this.id} within ${this.options.responseTimeoutMs} ms`, {
        ...context, timeoutMs: this.options.responseTimeoutMs,
      });
    }
    if (err.errno === 'ECONNREFUSED' || !this.client?.isOpen) {
      this.drop();
      return new ModbusError('MODBUS_UNREACHABLE', `${p.label}: Modbus TCP endpoint ${this.id} is not connected: ${err.message}`, { ...context, reason: 'link-lost' });
    }
    return new ModbusError('FRAME_INVALID', `${p.label} on Modbus TCP endpoint ${this.id}: ${err.message}`, context);
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    client?.destroy(() => {});
  }

  private async connect(): Promise<Client> {
    if (this.client?.isOpen) return this.client;
    this.drop();
    const { host, port, connectTimeoutMs, responseTimeoutMs } = this.options;
    const client = new ModbusRTU();
    // modbus-serial re-emits socket errors; without a listener they would be thrown.
    client.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connectTCP(host, { port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (err) {
      client.destroy(() => {});
      throw new ModbusError('MODBUS_UNREACHABLE', `cannot connect to Modbus TCP endpoint ${this.id} at ${host}:${port}: ${(err as Error).message}`, {
        endpoint: this.id, host, port, reason: 'link-down',
      });
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      client.destroy(() => {});
      throw this.closedError('connect');
    }
    // Set after connecting: set before, modbus-serial would also use it as the socket idle timeout.
    client.setTimeout(responseTimeoutMs);
    this.client = client;
    this.stats.connects++;
    return client;
  }
}

/** One request through modbus-serial's callback API, which takes the unit id per call. */
function call(client: Client, unit: number, req: ModbusRequest, done: Callback<ModbusResponse>): void {
  switch (req.function) {
    case 'readCoils':
    case 'readDiscreteInputs': {
      const cb: Callback<{ data: boolean[] }> = (err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, bits: r.data.slice(0, req.quantity) }));
      if (req.function === 'readCoils') client.writeFC1(unit, req.address, req.quantity, cb as never);
      else client.writeFC2(unit, req.address, req.quantity, cb as never);
      return;
    }
    case 'readHoldingRegisters':
    case 'readInputRegisters': {
      const cb: Callback<{ data: number[] }> = (err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, registers: r.data }));
      if (req.function === 'readHoldingRegisters') client.writeFC3(unit, req.address, req.quantity, cb as never);
      else client.writeFC4(unit, req.address, req.quantity, cb as never);
      return;
    }
    case 'writeSingleCoil':
      client.writeFC5(unit, req.address, req.value, ((err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, address: r.address, value: r.state }))) as Callback<{ address: number; state: boolean }> as never);
      return;
    case 'writeSingleRegister':
      client.writeFC6(unit, req.address, req.value, ((err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, address: r.address, value: r.value }))) as Callback<{ address: number; value: number }> as never);
      return;
    case 'writeMultipleCoils':
      client.writeFC15(unit, req.address, req.values, ((err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, address: r.address, quantity: r.length }))) as Callback<{ address: number; length: number }> as never);
      return;
    case 'writeMultipleRegisters':
      client.writeFC16(unit, req.address, req.values, ((err, r) => (err ? done(err, undefined as never) : done(null, { function: req.function, address: r.address, quantity: r.length }))) as Callback<{ address: number; length: number }> as never);
      return;
  }
}
