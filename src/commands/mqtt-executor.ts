// Relay commands through concentrators (MQTT). send() publishes {id, meter, action, expiresAt} to
// the meter's concentrator and waits for its ack until the command expires: held while the
// concentrator is offline, published again when it (or the broker link) comes back. readBack() is
// satisfied only by the ack plus a reading taken after the command was sent (newer than every
// reading known then) that shows the relay state. That reading may be committed by another daemon
// (several daemons split the readings through a shared subscription): the meter's stored relay
// state, changed by a reading newer than the baseline, confirms as well.
//
//   send ─▶ [concentrator offline? hold] ─▶ publish commands ─▶ …/acks {id, ok}
//   readBack ─▶ ack ok? ─▶ wait for a newer reading with "relay" ─▶ {relay}
import { randomUUID } from 'node:crypto';
import type { Repositories, MeterRow } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Ack } from '../mqtt/payload.js';
import type { ChargedReading } from '../ledger/pending-charging.js';
import type { RelayAction, RelayExecutor, RelayReadback, SendResult } from './executor.js';

/** The downlink command of the concentrator contract. */
export interface CommandMessage {
  id: string;
  meter: string;
  action: RelayAction;
  expiresAt: string;
}

/** What the executor needs from the MQTT side. */
export interface ConcentratorLink {
  publish(concentratorId: string, message: CommandMessage): Promise<void>;
  isOnline(concentratorId: string): boolean;
  waitOnline(concentratorId: string, until: number, signal: AbortSignal): Promise<boolean>;
}

export interface MqttExecutorOptions {
  /** how long one read-back waits for the confirming reading */
  readBackTimeoutMs: number;
  /** how often a read-back looks at the stored relay state for a reading another daemon committed */
  storedCheckMs?: number;
}

const STORED_CHECK_MS = 250;

interface InFlight {
  commandId: string;
  meterId: string;
  concentratorId: string;
  message: CommandMessage;
  wanted: 'open' | 'closed';
  /** newest reading time of the meter when the command was published */
  baselineTs: number;
  /** when the command was published (head-end clock): a reading received before cannot confirm it */
  publishedAt: number;
  ack: Ack | null;
  onAck: ((ack: Ack | null) => void) | null;
  /** newest reading after the baseline that reported the relay */
  reading: { ts: number; relay: 'open' | 'closed' } | null;
  onReading: (() => void) | null;
}

export class MqttExecutor implements RelayExecutor {
  private readonly byCommand = new Map<string, InFlight>();
  private readonly byMeter = new Map<string, InFlight>();
  private readonly abort = new AbortController();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly link: ConcentratorLink,
    private readonly repos: Repositories,
    private readonly events: EventBus,
    private readonly options: MqttExecutorOptions,
    private readonly onPublishError: (commandId: string, err: Error) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe.push(this.events.on('command-finished', (commandId) => this.forget(commandId)));
  }

  async send(meter: MeterRow, action: RelayAction, deadline: Date): Promise<SendResult> {
    const cid = meter.concentratorId;
    if (!cid) return { accepted: false, outcome: 'refused', message: `meter ${meter.id} has no concentrator` };
    const commandId = this.repos.commands.activeFor(meter.id)?.id ?? randomUUID();
    const until = deadline.getTime();
    this.assertRunning();
    if (!this.link.isOnline(cid)) {
      this.repos.commands.noteError(commandId, `held: concentrator ${cid} is offline`, this.now());
      const online = await this.link.waitOnline(cid, until, this.abort.signal);
      this.assertRunning();
      if (!online) return { accepted: false, outcome: 'expired', message: `concentrator ${cid} stayed offline until the command expired at ${deadline.toISOString()}` };
    }
    this.forget(commandId);
    const entry: InFlight = {
      commandId, meterId: meter.id, concentratorId: cid, wanted: action === 'disconnect' ? 'open' : 'closed',
      message: { id: commandId, meter: meter.address, action, expiresAt: deadline.toISOString() },
      baselineTs: this.repos.meters.get(meter.id)?.lastReadingAt ?? Number.NEGATIVE_INFINITY,
      publishedAt: this.now(),
      ack: null, onAck: null, reading: null, onReading: null,
    };
    // Wait for the ack from before the publish: the ack may come back before publish() returns.
    const acked = new Promise<Ack | null>((resolve) => {
      const timer = setTimeout(() => finish(null), Math.max(0, until - this.now()));
      const onAbort = () => finish(null);
      const finish = (ack: Ack | null) => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        entry.onAck = null;
        resolve(ack);
      };
      entry.onAck = finish;
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    this.byCommand.set(commandId, entry);
    this.byMeter.set(meter.id, entry);
    this.publish(entry);
    const ack = await acked;
    this.assertRunning();
    if (!ack) {
      this.forget(commandId);
      return { accepted: false, outcome: 'expired', message: `no ack from concentrator ${cid} before the command expired at ${deadline.toISOString()}` };
    }
    if (!ack.ok) {
      this.forget(commandId);
      return { accepted: false, outcome: 'refused', message: `concentrator ${cid} refused ${action} of meter ${meter.address}: ${ack.error}` };
    }
    return { accepted: true };
  }

  async readBack(meter: MeterRow): Promise<RelayReadback> {
    const entry = this.byMeter.get(meter.id);
    if (!entry || !entry.ack) throw new Error(`no ack from concentrator ${meter.concentratorId ?? '(none)'} for a command to meter ${meter.id}`);
    if (entry.reading?.relay !== entry.wanted && !this.storedConfirms(entry)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.readBackTimeoutMs);
        const look = setInterval(() => {
          if (this.storedConfirms(entry)) done();
        }, this.options.storedCheckMs ?? STORED_CHECK_MS);
        this.abort.signal.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          clearInterval(look);
          entry!.onReading = null;
          resolve();
        }
        entry.onReading = done;
      });
    }
    if (!entry.reading) {
      throw new Error(`no reading of meter ${meter.id} with its relay state since the command was sent (waited ${this.options.readBackTimeoutMs} ms)`);
    }
    return { relay: entry.reading.relay, tripPending: false, closePermitted: false };
  }

  /**
   * Whether the stored relay state shows the wanted state since a reading newer than the baseline
   * (committed here or by another daemon); notes it as the confirming reading.
   */
  private storedConfirms(entry: InFlight): boolean {
    if (!entry.ack?.ok) return false;
    const m = this.repos.meters.get(entry.meterId);
    if (!m || m.relayState !== entry.wanted || m.relayStateAt === null || m.relayStateAt <= entry.baselineTs) return false;
    if (entry.reading && m.relayStateAt < entry.reading.ts) return false;
    entry.reading = { ts: m.relayStateAt, relay: entry.wanted };
    return true;
  }

  /** An ack from a concentrator; false when no command of ours has that id. */
  handleAck(concentratorId: string, ack: Ack): boolean {
    const entry = this.byCommand.get(ack.id);
    if (!entry || entry.concentratorId !== concentratorId) return false;
    if (!entry.ack || !entry.ack.ok) entry.ack = ack; // a refusal after an ok (a re-sent copy) does not undo it
    entry.onAck?.(entry.ack);
    return true;
  }

  /**
   * Charged readings: the ones received after a command was published and newer than its
   * baseline may confirm it (a reading received earlier may be charged after the publish).
   */
  handleReadings(readings: ChargedReading[]): void {
    if (this.byMeter.size === 0) return;
    for (const r of readings) {
      const entry = this.byMeter.get(r.meterId);
      if (!entry || r.receivedAt < entry.publishedAt || r.ts <= entry.baselineTs || (entry.reading && r.ts < entry.reading.ts)) continue;
      entry.reading = { ts: r.ts, relay: r.relay };
      if (entry.ack?.ok && r.relay === entry.wanted) entry.onReading?.();
    }
  }

  /** Publishes again every command of a concentrator (or all) still waiting for its ack. */
  republish(concentratorId?: string): void {
    for (const entry of this.byCommand.values()) {
      if (entry.ack === null && (concentratorId === undefined || entry.concentratorId === concentratorId)) this.publish(entry);
    }
  }

  stop(): void {
    this.abort.abort();
    for (const off of this.unsubscribe.splice(0)) off();
    this.byCommand.clear();
    this.byMeter.clear();
  }

  private publish(entry: InFlight): void {
    if (!this.link.isOnline(entry.concentratorId)) return; // published when it comes back
    this.link.publish(entry.concentratorId, entry.message).catch((err: Error) => {
      // Still waiting for the ack: mqtt.js sends the queued copy on reconnect, and we publish again then.
      this.onPublishError(entry.commandId, err);
      this.repos.commands.noteError(entry.commandId, `publish failed: ${err.message}`, this.now());
    });
  }

  private forget(commandId: string): void {
    const entry = this.byCommand.get(commandId);
    if (!entry) return;
    this.byCommand.delete(commandId);
    if (this.byMeter.get(entry.meterId) === entry) this.byMeter.delete(entry.meterId);
  }

  private assertRunning(): void {
    if (this.abort.signal.aborted) throw new Error('MQTT link stopped');
  }
}
