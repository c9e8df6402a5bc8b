// Prometheus metrics, one registry per daemon (no global default registry: tests start several).
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Bus } from './polling/bus.js';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'feikong_process_' });
  const buses: Bus[] = [];
  const m = {
    registry,
    pollsTotal: new Counter({ name: 'feikong_polls_total', help: 'Scheduled meter reads by result', labelNames: ['bus', 'result'], registers: [registry] }),
    readingsTotal: new Counter({ name: 'feikong_readings_total', help: 'Readings received by source and result', labelNames: ['source', 'result'], registers: [registry] }),
    paymentsTotal: new Counter({ name: 'feikong_payments_total', help: 'Payments posted by channel and result', labelNames: ['channel', 'result'], registers: [registry] }),
    commandsTotal: new Counter({ name: 'feikong_commands_total', help: 'Relay commands by action and final outcome', labelNames: ['action', 'state', 'outcome'], registers: [registry] }),
    restoreLatency: new Histogram({
      name: 'feikong_restore_latency_seconds', help: 'Reconnect command created to relay confirmed closed',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry],
    }),
    cutoffLatency: new Histogram({
      name: 'feikong_cutoff_latency_seconds', help: 'Disconnect command created to relay confirmed open',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [registry],
    }),
    engineDecisions: new Counter({ name: 'feikong_engine_decisions_total', help: 'Engine decisions by action', labelNames: ['action'], registers: [registry] }),
    watchBus(bus: Bus) {
      buses.push(bus);
    },
  };
  const busGauge = (name: string, help: string, pick: (b: Bus) => number) =>
    new Gauge({
      name, help, labelNames: ['bus'], registers: [registry],
      collect() {
        for (const b of buses) this.set({ bus: b.id }, pick(b));
      },
    });
  busGauge('feikong_bus_requests', 'Requests written to the bus', (b) => b.stats.requests);
  busGauge('feikong_bus_timeouts', 'Requests that got no reply in time', (b) => b.stats.timeouts);
  busGauge('feikong_bus_checksum_failures', 'Frames discarded for a bad checksum', (b) => b.stats.checksumFailures);
  busGauge('feikong_bus_discarded_bytes', 'Bytes that were not part of a valid awaited frame', (b) => b.stats.discardedBytes);
  busGauge('feikong_bus_queue_length', 'Exchanges waiting for the bus', (b) => b.queued);
  busGauge('feikong_bus_utilisation_ratio', 'Share of time the bus was busy since it opened', (b) => {
    const elapsed = Date.now() - b.stats.openedAt;
    return elapsed > 0 ? Math.min(1, b.stats.busyMs / elapsed) : 0;
  });
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
