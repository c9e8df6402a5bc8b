// Security-module metrics for /metrics, read at scrape time from the module's own health:
// whether the encryption machine is connected, requests by operation and result, drops.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MachineHealth } from './encryption-machine.js';

export interface SecurityModuleSource {
  kind: string;
  /** Absent for the in-process software module (always up). */
  health?: MachineHealth;
}

export function registerSecurityModuleMetrics(registry: Registry, source: () => SecurityModuleSource | null): void {
  new Gauge({
    name: 'feikong_security_module_up',
    help: '1 while the security module can answer (encryption machine connected, or the in-process software module), 0 otherwise',
    labelNames: ['kind'], registers: [registry],
    collect() {
      this.reset();
      const s = source();
      if (s) this.set({ kind: s.kind }, s.health === undefined || s.health.connected ? 1 : 0);
    },
  });
  new Counter({
    name: 'feikong_security_module_requests_total',
    help: 'Requests to the encryption machine by operation and result (ok, or the error code: SECURITY_TIMEOUT, SECURITY_UNAVAILABLE, SECURITY_KEY_UNKNOWN, …)',
    labelNames: ['op', 'result'], registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of source()?.health?.requests ?? []) {
        const [op = '', result = ''] = key.split('|');
        this.inc({ op, result }, n);
      }
    },
  });
  new Counter({
    name: 'feikong_security_module_connection_drops_total',
    help: 'Times the connection to the encryption machine was lost',
    registers: [registry],
    collect() {
      this.reset();
      const drops = source()?.health?.drops ?? 0;
      if (drops > 0) this.inc(drops);
    },
  });
}
