// The payments load generator (see payment-load.ts), run as its own process: autocannon posting a
// new payment per request for the spec's duration, connections round-robin over the spec's
// daemons; prints one JSON result line. Argument: a file holding the PaymentLoad as JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { accountId } from './seed.js';
import type { PaymentLoad, PaymentLoadResult } from './payment-load.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as PaymentLoad;
const urls = spec.urls.map((u) => `${u}/v1/payments`);
let n = 0;
let cpuAtStart = process.cpuUsage();
const instance = autocannon({
  // autocannon takes a list of URLs too (its declaration here names one).
  url: (urls.length === 1 ? urls[0]! : urls) as string,
  connections: spec.connections, duration: spec.durationS, method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.key}` },
  requests: [{
    setupRequest: (req) => {
      n++;
      const body = JSON.stringify({ accountId: accountId(n % spec.accounts), channel: 'wechat', channelTxnId: `${spec.prefix}-${n}`, amountFen: 100 + (n % 900) });
      return { ...req, method: 'POST', body };
    },
  }],
}, (err, result) => {
  if (err) {
    process.stderr.write(`load generator failed: ${err.message}\n`);
    process.exit(1);
  }
  const cpu = process.cpuUsage(cpuAtStart);
  const r = result as typeof result & { '2xx': number };
  const out: PaymentLoadResult = {
    ok: r['2xx'], seconds: result.duration, p99Ms: result.latency.p99, failed: result.non2xx + result.errors + result.timeouts,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / result.duration) * 100,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
});
instance.on('start', () => {
  cpuAtStart = process.cpuUsage();
  process.stdout.write('{"started":true}\n');
});
