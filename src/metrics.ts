// Prometheus metrics, one registry per daemon (no global default registry: tests start several).
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Bus } from './polling/bus.js';
import type { BusPoller } from './polling/poller.js';
import type { TimeSync } from './polling/time-sync.js';
import { registerBusMetrics } from './polling/bus-metrics.js';

/** What the bus-lease gauge reads (src/cluster/leases.ts). */
export interface LeaseSource {
  allBusIds(): string[];
  holds(busId: string): boolean;
}

export function createMetrics() {
  const registry = new Registry();
  // prom-client's own names begin with process_ and nodejs_: feikong_process_cpu_seconds_total, feikong_nodejs_heap_size_total_bytes, …
  collectDefaultMetrics({ register: registry, prefix: 'feikong_' });
  const busSources = registerBusMetrics(registry);
  let accountStates: (() => Promise<Record<string, number>>) | null = null;
  let supplyPointStates: (() => Promise<Record<string, number>>) | null = null;
  let leases: LeaseSource | null = null;
  let calendarCoverage: (() => Array<{ year: number; source: string; covered: boolean }>) | null = null;
  new Gauge({
    name: 'feikong_calendar_covered',
    help: "1 when the year's official holiday schedule is known (source operator: entered by an operator; library: chinese-days), 0 when its holidays are derived (provisional) or automatic cut-offs are suspended; the current and the next year",
    labelNames: ['year', 'source'], registers: [registry],
    collect() {
      this.reset();
      for (const c of calendarCoverage?.() ?? []) this.set({ year: String(c.year), source: c.source }, c.covered ? 1 : 0);
    },
  });
  new Gauge({
    name: 'feikong_bus_lease_held', help: '1 while this daemon holds the bus lease (polls the bus and runs its commands), 0 while another daemon may',
    labelNames: ['bus'], registers: [registry],
    collect() {
      this.reset();
      if (leases) for (const bus of leases.allBusIds()) this.set({ bus }, leases.holds(bus) ? 1 : 0);
    },
  });
  let webhookLag: (() => Array<{ webhookId: string; seconds: number }>) | null = null;
  new Gauge({
    name: 'feikong_webhook_delivery_lag_seconds', help: "Per webhook subscriber, the age of its oldest undelivered event (0 when its queue is empty); counted on scrape in the daemon that delivers",
    labelNames: ['webhook'], registers: [registry],
    collect() {
      this.reset();
      if (webhookLag) for (const { webhookId, seconds } of webhookLag()) this.set({ webhook: webhookId }, seconds);
    },
  });
  const m = {
    registry,
    /** Sets where the webhook lag gauge reads its figures (the dispatcher). */
    watchWebhookLag(fn: () => Array<{ webhookId: string; seconds: number }>) {
      webhookLag = fn;
    },
    pollsTotal: new Counter({ name: 'feikong_polls_total', help: 'Scheduled meter reads by result', labelNames: ['bus', 'result'], registers: [registry] }),
    readingsTotal: new Counter({ name: 'feikong_readings_total', help: 'Readings received by source and result', labelNames: ['source', 'result'], registers: [registry] }),
    readingsSplitTotal: new Counter({ name: 'feikong_readings_split_total', help: 'Readings whose interval from the reading before was split by time at a period reset, band edge or tariff change (docs/charging.md)', labelNames: ['source'], registers: [registry] }),
    dataIdentifierMisses: new Counter({
      name: 'feikong_dlt645_data_identifier_misses_total', help: 'DL/T 645 data identifiers a meter did not answer, by reason (per meter and DI: GET /v1/meters/{id})',
      labelNames: ['bus', 'reason'], registers: [registry],
    }),
    frozenReadingsTotal: new Counter({ name: 'feikong_frozen_readings_total', help: 'Daily frozen readings stored, read on the day or backfilled', labelNames: ['bus', 'kind'], registers: [registry] }),
    paymentsTotal: new Counter({ name: 'feikong_payments_total', help: 'Payments posted by channel and result', labelNames: ['channel', 'result'], registers: [registry] }),
    paymentGroupSize: new Histogram({ name: 'feikong_payment_group_size', help: 'Payments committed together in one transaction (group commit)', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [registry] }),
    webhookDeliveriesTotal: new Counter({ name: 'feikong_webhook_deliveries_total', help: 'Webhook delivery attempts by result (delivered; retry: failed, tried again later; failed: the last attempt failed and the subscriber was paused)', labelNames: ['result'], registers: [registry] }),
    commandsTotal: new Counter({ name: 'feikong_commands_total', help: 'Relay commands by action and final outcome', labelNames: ['action', 'state', 'outcome'], registers: [registry] }),
    restoreLatency: new Histogram({
      name: 'feikong_restore_latency_seconds', help: 'Payment committed (or, without one, reconnect command created) to relay confirmed closed',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry],
    }),
    cutoffLatency: new Histogram({
      name: 'feikong_cutoff_latency_seconds', help: 'Disconnect command created to relay confirmed open',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry],
    }),
    engineDecisions: new Counter({ name: 'feikong_engine_decisions_total', help: 'Engine decisions by action', labelNames: ['action'], registers: [registry] }),
    engineSweepSeconds: new Histogram({ name: 'feikong_engine_sweep_seconds', help: 'Duration of one engine sweep over every account', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [registry] }),
    accountsByState: new Gauge({
      name: 'feikong_accounts_by_state',
      help: 'Accounts by state, as the API and the console name them (normal, alarm-1, alarm-2, cut-off, review), each account once; counted on scrape at most every engine.accountStatesMaxAgeMs',
      labelNames: ['state'], registers: [registry],
      async collect() {
        if (!accountStates) return;
        const counts = await accountStates();
        this.reset();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    }),
    /** Sets where the accounts-by-state gauge reads its counts (the engine, with a cache). */
    watchAccountStates(fn: () => Promise<Record<string, number>>) {
      accountStates = fn;
    },
    supplyPointsByState: new Gauge({
      name: 'feikong_supply_points_by_state',
      help: "Supply points (an account's meter; an account without meters counts once) by the engine's state: in-credit, alarm-level-1, alarm-level-2, in-arrears, cut-off, awaiting-restore, relay-unknown, no-meter; counted with feikong_accounts_by_state",
      labelNames: ['state'], registers: [registry],
      async collect() {
        if (!supplyPointStates) return;
        const counts = await supplyPointStates();
        this.reset();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    }),
    /** Sets where the supply-points-by-state gauge reads its counts (the engine, with the same cache). */
    watchSupplyPointStates(fn: () => Promise<Record<string, number>>) {
      supplyPointStates = fn;
    },
    mqttMessagesTotal: new Counter({ name: 'feikong_mqtt_messages_total', help: 'Concentrator uplink messages by kind (readings, acks, status) and result', labelNames: ['kind', 'result'], registers: [registry] }),
    mqttRefusedTotal: new Counter({ name: 'feikong_mqtt_refused_total', help: 'Embedded broker refusals by action (connect, publish, subscribe) and reason', labelNames: ['action', 'reason'], registers: [registry] }),
    deadLettersTotal: new Counter({ name: 'feikong_dead_letters_total', help: 'Messages or readings kept as dead letters, by source and reason', labelNames: ['source', 'reason'], registers: [registry] }),
    ingestBatchReadings: new Histogram({ name: 'feikong_mqtt_ingest_batch_readings', help: 'Readings committed per ingest transaction', buckets: [1, 10, 100, 500, 1000, 2000, 4000, 10_000], registers: [registry] }),
    ingestCommitSeconds: new Histogram({ name: 'feikong_mqtt_ingest_commit_seconds', help: 'Duration of one ingest transaction, commit included', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [registry] }),
    ingestInFlight: new Gauge({ name: 'feikong_mqtt_ingest_in_flight_messages', help: 'Readings messages received and not yet acknowledged', registers: [registry] }),
    readingsPending: new Gauge({ name: 'feikong_readings_pending', help: 'Concentrator readings committed and acknowledged, not yet charged', registers: [registry] }),
    chargingSeconds: new Histogram({ name: 'feikong_charging_seconds', help: 'Duration of one transaction charging pending readings, commit included', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2], registers: [registry] }),
    mqttAckSeconds: new Histogram({
      name: 'feikong_mqtt_ack_seconds', help: 'Readings message read from its connection to its PUBACK (embedded broker): what the flow control bounds by mqtt.ingest.ackLatencyBoundMs',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30], registers: [registry],
    }),
    mqttHeldReadings: new Gauge({ name: 'feikong_mqtt_held_readings', help: 'Readings in messages read and not yet acknowledged (embedded broker)', registers: [registry] }),
    mqttHeldBudget: new Gauge({ name: 'feikong_mqtt_held_readings_budget', help: 'Readings the flow control lets connections hold at once now: the acknowledgement rate times half mqtt.ingest.ackLatencyBoundMs, within its bounds', registers: [registry] }),
    mqttWaitingConnections: new Gauge({ name: 'feikong_mqtt_waiting_connections', help: 'Concentrator connections the flow control does not read now, waiting their turn', registers: [registry] }),
    chargingMeters: new Histogram({ name: 'feikong_charging_meters', help: 'Meters charged in one transaction of pending readings (each once, for all its readings there)', buckets: [1, 10, 100, 1000, 5000, 10_000, 50_000], registers: [registry] }),
    httpRefusedTotal: new Counter({
      name: 'feikong_http_refused_total', help: 'HTTP requests refused before their handler, by reason (unauthenticated, forbidden, rate-limited-anonymous, rate-limited-key)',
      labelNames: ['reason'], registers: [registry],
    }),
    webhookTargetsRefusedTotal: new Counter({
      name: 'feikong_webhook_targets_refused_total', help: 'Webhook URLs refused because they point at a loopback, private, link-local or reserved address or at the daemon itself, by stage (create, delivery)',
      labelNames: ['stage'], registers: [registry],
    }),
    watchBus(bus: Bus) {
      busSources.buses.push(bus);
    },
    watchPoller(poller: BusPoller) {
      busSources.pollers.push(poller);
    },
    watchTimeSync(timeSync: TimeSync) {
      busSources.timeSyncs.push(timeSync);
    },
    /** Sets where the calendar-coverage gauge reads the current and next year's coverage. */
    watchCalendar(fn: () => Array<{ year: number; source: string; covered: boolean }>) {
      calendarCoverage = fn;
    },
    /** Sets where the bus-lease gauge reads which leases are held. */
    watchLeases(source: LeaseSource) {
      leases = source;
    },
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
