// `npm run demo`: the daemon, a simulated DTU with four DL/T 645 prepaid meters, a simulated
// concentrator with a fifth meter (connected to the embedded broker with its own MQTT credential),
// and a seeded demo fleet. Loads are exaggerated so that within a minute one account is warned and cut off, and a
// protected one goes to manual review instead; the printed payment command restores supply.
// Needs nothing but Node: the meters sit behind a TCP serial server (DTU) on loopback.
import { rmSync, mkdirSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { startDaemon } from '../src/daemon.js';
import { createApiKey } from '../src/http/auth.js';
import { formatYuan } from '../src/domain/money.js';
import { startDlt645Bus } from '../simulators/dlt645/bus.js';
import { SimConcentrator } from '../simulators/concentrator/index.js';
import { createMqttCredential } from '../src/mqtt/credentials.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(root, '.demo/data');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const sim = await startDlt645Bus({
  transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
  baudRate: 9600,
  meters: [
    { address: '000000000001', energyWh: 8_120_000, loadW: 3_000 },
    { address: '000000000002', energyWh: 15_300_000, loadW: 60_000 },
    { address: '000000000003', energyWh: 2_480_000, loadW: 60_000 },
    { address: '000000000004', energyWh: 990_000, loadW: 10_000 },
  ],
});

const config = loadConfig({
  overrides: {
    dataDir,
    log: { level: process.env.FEIKONG_LOG__LEVEL ?? 'warn' },
    seedFile: resolve(root, 'scripts/demo-fleet.json'),
    buses: [{ id: 'dtu-1', kind: 'tcp', host: '127.0.0.1', port: sim.port!, baudRate: 9600 }],
    polling: { intervalMs: 3000 },
    engine: { sweepIntervalMs: 5000, graceMs: 15_000, noCut: { nights: false, weekends: false, holidays: false } },
  },
});
const daemon = await startDaemon(config, createLogger(config.log.level));
const admin = createApiKey(daemon.repos, 'demo-admin', 'admin', Date.now());
const api = daemon.httpUrl;
// The concentrator gets its MQTT credential as an operator would give it one (POST /v1/mqtt-credentials
// or `feikong mqtt credentials create dcu-1`): anonymous clients are refused.
const dcu = daemon.repos.transaction(() => createMqttCredential(daemon.repos, 'dcu-1', 'demo', Date.now()));
const concentrator = new SimConcentrator({
  url: daemon.mqttUrl, id: 'dcu-1', username: dcu.username, password: dcu.password,
  meters: [{ address: '000000000005', energyWh: 3_400_000, loadW: 2_000 }],
});
await concentrator.start();
concentrator.schedule(3000);
void concentrator.publishRound().catch(() => {});
const mqttPort = new URL(daemon.mqttUrl).port;

const line = '─'.repeat(78);
process.stdout.write(`
${line}
 feikong demo — 4 simulated prepaid meters behind a TCP DTU, a 5th behind a concentrator (MQTT)
${line}
 Console        ${api}/         (operator console: log in with the admin API key below)
 API            ${api}/v1        (OpenAPI and a browsable UI at ${api}/docs)
 Metrics        ${api}/metrics
 MQTT broker    ${daemon.mqttUrl}  (concentrator dcu-1: user name dcu-1, password ${dcu.password})
 Admin API key  ${admin.secret}

 Watch: demo-02 (李娜) runs low: alarm 1, alarm 2, then a cut-off after a 15 s grace.
        demo-03 (陈洁) is protected: at zero she goes to manual review, never cut.
 Then restore demo-02 with a payment:

   curl -s -X POST ${api}/v1/payments \\
     -H "Authorization: Bearer ${admin.secret}" -H 'content-type: application/json' \\
     -d '{"accountId":"demo-02","channel":"wechat","channelTxnId":"demo-pay-1","amountFen":5000}'

 demo-05 (王强) is behind the simulated concentrator dcu-1, read over MQTT every 3 s. Listen as it:
   mosquitto_sub -h 127.0.0.1 -p ${mqttPort} -u dcu-1 -P '${dcu.password}' -t feikong/v1/concentrators/dcu-1/commands -v
 (without -u/-P, or on another concentrator's topics, the broker refuses: try it)

 Look at an account:  curl -s -H "Authorization: Bearer ${admin.secret}" ${api}/v1/accounts/demo-02
 Ask the engine why:  curl -s -H "Authorization: Bearer ${admin.secret}" ${api}/v1/accounts/demo-02/why
 Ctrl-C stops everything.
${line}
`);

let lastEvent = 0;
const timer = setInterval(() => {
  for (const e of daemon.repos.journal.events(lastEvent, null, 100)) {
    lastEvent = e.id;
    const data = JSON.parse(e.data) as Record<string, unknown>;
    const balance = typeof data.balanceFen === 'number' ? ` balance ${formatYuan(data.balanceFen)} yuan` : '';
    const extra = typeof data.reason === 'string' ? ` — ${data.reason}` : typeof data.amountFen === 'number' ? ` (amount ${formatYuan(data.amountFen)} yuan)` : '';
    const time = new Date(e.createdAt).toLocaleTimeString('en-GB', { hour12: false });
    process.stdout.write(`${time}  ${e.type.padEnd(16)} ${(e.accountId ?? '').padEnd(8)} ${e.meterId ?? ''}${balance}${extra}\n`);
  }
}, 500);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write('\nstopping…\n');
  await concentrator.stop();
  await daemon.stop();
  await sim.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
