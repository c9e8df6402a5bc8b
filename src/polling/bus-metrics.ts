// Per-bus metrics for /metrics, read from the buses' and pollers' own counters at scrape time:
// line traffic (requests, replies, timeouts, checksum failures, discarded bytes, foreign frames,
// link drops), load (utilisation over the last minute, busy seconds, queue length, link up) and
// collection (采集成功率 of the last complete cycle, offline meters).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, BusStats } from './bus.js';
import type { BusPoller } from './poller.js';
import type { TimeSync } from './time-sync.js';

export interface BusMetricSources {
  buses: Bus[];
  pollers: BusPoller[];
  timeSyncs: TimeSync[];
}

export function registerBusMetrics(registry: Registry): BusMetricSources {
  const sources: BusMetricSources = { buses: [], pollers: [], timeSyncs: [] };
  const labelNames = ['bus'] as const;

  const busCounter = (name: string, help: string, pick: (s: BusStats) => number) =>
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const b of sources.buses) this.inc({ bus: b.id }, pick(b.stats));
      },
    });
  busCounter('feikong_bus_requests_total', 'Requests written to the bus', (s) => s.requests);
  busCounter('feikong_bus_replies_total', 'Awaited replies received', (s) => s.replies);
  busCounter('feikong_bus_timeouts_total', 'Exchanges whose reply did not arrive in time', (s) => s.timeouts);
  busCounter('feikong_bus_checksum_failures_total', 'Frames discarded for a bad checksum', (s) => s.checksumFailures);
  busCounter('feikong_bus_discarded_bytes_total', 'Bytes heard that were not part of a valid frame or arrived unawaited', (s) => s.discardedBytes);
  busCounter('feikong_bus_foreign_frames_total', 'Valid frames that were not the awaited reply (another address, a late reply, an echo)', (s) => s.foreignFrames);
  busCounter('feikong_bus_link_drops_total', 'Times the open link (serial port, DTU connection) was lost', (s) => s.linkDrops);
  busCounter('feikong_bus_link_failures_total', 'Exchanges failed because the link was down or dropped', (s) => s.linkFailures);
  busCounter('feikong_bus_busy_seconds_total', 'Time the bus spent on exchanges', (s) => s.busyMs / 1000);

  const gauge = (name: string, help: string, fill: (g: Gauge<'bus'>) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect() { this.reset(); fill(this); } });
  gauge('feikong_bus_utilisation_ratio', 'Share of the last minute the bus was busy', (g) => {
    const now = Date.now();
    for (const b of sources.buses) g.set({ bus: b.id }, b.utilisation(now));
  });
  gauge('feikong_bus_queue_length', 'Exchanges waiting for the bus', (g) => {
    for (const b of sources.buses) g.set({ bus: b.id }, b.queued);
  });
  gauge('feikong_bus_link_up', '1 while the bus link is open', (g) => {
    for (const b of sources.buses) g.set({ bus: b.id }, b.linkIsUp ? 1 : 0);
  });
  gauge('feikong_collection_success_ratio', 'Collection success rate (采集成功率): share of the meters read in the last complete poll cycle', (g) => {
    for (const p of sources.pollers) if (p.stats.successRatio !== null) g.set({ bus: p.busId }, p.stats.successRatio);
  });
  gauge('feikong_meters_offline', 'Meters on the bus marked offline', (g) => {
    for (const p of sources.pollers) g.set({ bus: p.busId }, p.offlineCount());
  });
  new Counter({
    name: 'feikong_time_sync_broadcasts_total', help: 'Broadcast time sync frames sent', labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const t of sources.timeSyncs) this.inc({ bus: t.busId }, t.stats.broadcasts);
    },
  });
  return sources;
}
