// A simulated concentrator (集中器): a real MQTT client that speaks the concentrator contract.
// Publishes its meters' readings (QoS 1) on a schedule or when asked, executes relay commands and
// acknowledges them, then reports the meter's new reading; announces itself with a retained
// "online" and leaves a retained "offline" will; misbehaves on purpose when told (behaviours.ts).
//
//   {prefix}/concentrators/{id}/status    ◀ retained online / will offline
//   {prefix}/concentrators/{id}/readings  ◀ {"readings":[…]}
//   {prefix}/concentrators/{id}/commands  ▶ {"id","meter","action","expiresAt"}
//   {prefix}/concentrators/{id}/acks      ◀ {"id","ok":true,"relay"} | {"id","ok":false,"error"}
import mqtt, { type MqttClient } from 'mqtt';
import { SimConcentratorMeter, isoWithOffset, type SimMeterSpec, type WireReading } from './meters.js';
import { WELL_BEHAVED, malformedPayload, seededRandom, shuffle, type Misbehaviour } from './behaviours.js';

export interface SimConcentratorOptions {
  url: string;
  id: string;
  meters: SimMeterSpec[];
  prefix?: string;
  /** its MQTT credentials: user name (default: the concentrator id) and password; none = anonymous */
  username?: string;
  password?: string;
  /** client id (default concentrator-{id}) */
  clientId?: string;
  /** TLS (mqtts:// URLs): the CA the broker's certificate chains to, and a client certificate and key */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; servername?: string };
  /** 4 (MQTT 3.1.1, what the embedded broker speaks) or 5; default 4 */
  protocolVersion?: 4 | 5;
  /** readings per message (default: every meter in one message) */
  readingsPerMessage?: number;
  /** time of the concentrator's clock, ms (default Date.now) */
  clock?: () => number;
  utcOffsetMinutes?: number;
  energyUnit?: 'kWh' | 'Wh';
  behaviour?: Partial<Misbehaviour>;
  seed?: number;
}

export interface SimCommandEvent {
  id: string;
  meter: string;
  action: string;
  outcome: 'executed' | 'refused' | 'expired' | 'unknown-meter' | 'malformed';
}

export class SimConcentrator {
  readonly id: string;
  readonly meters = new Map<string, SimConcentratorMeter>();
  behaviour: Misbehaviour;
  /** every command received, in order */
  readonly commands: SimCommandEvent[] = [];
  /** readings messages published and acknowledged by the broker */
  published = 0;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private round = 0;
  private readonly history: WireReading[][] = [];
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly base: string;

  constructor(private readonly options: SimConcentratorOptions) {
    this.id = options.id;
    this.clock = options.clock ?? Date.now;
    this.base = `${options.prefix ?? 'feikong/v1'}/concentrators/${options.id}`;
    this.behaviour = { ...WELL_BEHAVED, ...options.behaviour };
    this.random = seededRandom(options.seed ?? 1);
    for (const spec of options.meters) this.meters.set(spec.address, new SimConcentratorMeter(spec, this.clock()));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects with its will and announces itself online (retained). */
  async start(): Promise<void> {
    const client = mqtt.connect(this.options.url, {
      protocolVersion: this.options.protocolVersion ?? 4,
      clientId: this.options.clientId ?? `concentrator-${this.id}`,
      ...(this.options.password !== undefined ? { username: this.options.username ?? this.id, password: this.options.password } : {}),
      ...(this.options.tls ?? {}),
      clean: true,
      reconnectPeriod: 500,
      will: { topic: `${this.base}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('error', () => {});
    client.on('message', (topic, payload) => {
      if (topic === `${this.base}/commands`) void this.onCommand(payload);
    });
    client.on('connect', () => {
      client.subscribe(`${this.base}/commands`, { qos: 1 });
      client.publish(`${this.base}/status`, 'online', { qos: 1, retain: true });
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  /** Drops the connection without DISCONNECT, as a power cut would: the broker publishes the will. */
  async goOffline(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.stopSchedule();
    if (client) await client.endAsync(true);
  }

  /** Clean shutdown: says offline itself, then disconnects. */
  async stop(): Promise<void> {
    this.stopSchedule();
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (client.connected) await client.publishAsync(`${this.base}/status`, 'offline', { qos: 1, retain: true }).catch(() => {});
    // A client that is not connected (its session taken over, the broker gone) ends at once: a
    // graceful end would wait for acknowledgements of messages in flight that can never come.
    await client.endAsync(!client.connected).catch(() => {});
  }

  /** Current readings of every meter (or the given ones) at the concentrator's clock. */
  readings(addresses?: string[], at = this.clock()): WireReading[] {
    const list = addresses ? addresses.map((a) => this.meter(a)) : [...this.meters.values()];
    return list.map((m) => m.reading(at, this.options.utcOffsetMinutes ?? 480, this.options.energyUnit ?? 'kWh'));
  }

  /**
   * Publishes readings (default: a round of every meter), split into messages and misbehaving as
   * configured; resolves when the broker acknowledged every message.
   */
  async publishRound(readings = this.readings()): Promise<void> {
    this.round++;
    this.history.push(readings);
    const b = this.behaviour;
    const late = b.lateBatchEvery > 0 && this.round % b.lateBatchEvery === 0 && this.history.length > 1
      ? this.history[Math.floor(this.random() * (this.history.length - 1))]!
      : [];
    const all = b.reorder ? shuffle([...readings, ...late], this.random) : [...readings, ...late];
    const size = this.options.readingsPerMessage ?? Math.max(1, all.length);
    const messages: string[] = [];
    for (let i = 0; i < all.length; i += size) {
      if (b.malformedRate > 0 && this.random() < b.malformedRate) {
        messages.push(malformedPayload(this.random, isoWithOffset(this.clock()), all[i]!.meter));
      }
      const body = JSON.stringify({ readings: all.slice(i, i + size) });
      messages.push(body);
      if (b.duplicateRate > 0 && this.random() < b.duplicateRate) messages.push(body);
    }
    await Promise.all((b.reorder ? shuffle(messages, this.random) : messages).map((m) => this.publishRaw(m)));
  }

  /** Sends every reading published so far again (a concentrator re-sending its day), shuffled. */
  async replayHistory(): Promise<void> {
    const all = shuffle(this.history.flat(), this.random);
    const size = this.options.readingsPerMessage ?? Math.max(1, all.length);
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < all.length; i += size) sends.push(this.publishRaw(JSON.stringify({ readings: all.slice(i, i + size) })));
    await Promise.all(sends);
  }

  /** Publishes one readings payload as it is (QoS 1), resolving on the broker's PUBACK. */
  async publishRaw(payload: string | Buffer, topic = `${this.base}/readings`): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`concentrator ${this.id} is offline`);
    await client.publishAsync(topic, payload, { qos: 1 });
    this.published++;
  }

  /** Publishes a round every `intervalMs` until stopped. */
  schedule(intervalMs: number, onError: (err: Error) => void = () => {}): void {
    this.stopSchedule();
    this.timer = setInterval(() => {
      if (this.client?.connected) this.publishRound().catch(onError);
    }, intervalMs);
  }

  stopSchedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  meter(address: string): SimConcentratorMeter {
    const m = this.meters.get(address);
    if (!m) throw new Error(`concentrator ${this.id} has no meter ${address}`);
    return m;
  }

  private async onCommand(payload: Buffer): Promise<void> {
    let command: { id?: unknown; meter?: unknown; action?: unknown; expiresAt?: unknown };
    try {
      command = JSON.parse(payload.toString('utf8')) as typeof command;
    } catch {
      this.commands.push({ id: '', meter: '', action: '', outcome: 'malformed' });
      return;
    }
    const id = String(command.id ?? '');
    const address = String(command.meter ?? '');
    const action = String(command.action ?? '');
    const b = this.behaviour;
    if (b.commandDelayMs > 0) await new Promise((r) => setTimeout(r, b.commandDelayMs));
    const ack = (body: Record<string, unknown>) => this.client?.publishAsync(`${this.base}/acks`, JSON.stringify({ id, ...body }), { qos: 1 }).catch(() => {});
    const meter = this.meters.get(address);
    const expiresAt = typeof command.expiresAt === 'string' ? Date.parse(command.expiresAt) : NaN;
    if (!meter || (action !== 'disconnect' && action !== 'reconnect')) {
      this.commands.push({ id, meter: address, action, outcome: meter ? 'malformed' : 'unknown-meter' });
      if (!b.silentCommands) await ack({ ok: false, error: meter ? `unknown action ${action}` : `unknown meter ${address}` });
      return;
    }
    if (!(expiresAt > this.clock())) {
      this.commands.push({ id, meter: address, action, outcome: 'expired' });
      if (!b.silentCommands) await ack({ ok: false, error: `command expired at ${String(command.expiresAt)}` });
      return;
    }
    if (b.refuseCommands !== null) {
      this.commands.push({ id, meter: address, action, outcome: 'refused' });
      if (!b.silentCommands) await ack({ ok: false, error: b.refuseCommands });
      return;
    }
    meter.advance(this.clock());
    meter.relay = action === 'disconnect' ? 'open' : 'closed';
    this.commands.push({ id, meter: address, action, outcome: 'executed' });
    if (!b.silentCommands) await ack({ ok: true, relay: meter.relay });
    if (!b.noReadingAfterCommand && this.client) {
      await this.publishRaw(JSON.stringify({ readings: this.readings([address]) })).catch(() => {});
    }
  }
}
