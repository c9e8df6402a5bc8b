// `npm run demo`: the daemon, a simulated DTU with DL/T 645 prepaid meters, a simulated
// concentrator with one more meter (connected to the embedded broker with its own MQTT credential),
// and a seeded demo fleet. Loads are exaggerated, and the no-cut windows are off
// (scripts/demo-config.ts), so that within a minute, at any hour, one account is warned and cut
// off and a protected one goes to manual review instead; the printed payment command restores
// supply. The configuration is written to .demo/feikong.json, so the CLI can work on the demo's
// database and bus.
// Needs nothing but Node: the meters sit behind a TCP serial server (DTU) on loopback.
// `--fault meter-03=silent,for=30s` (repeatable) starts a meter faulty: see `npm run demo -- --help`.
import { rmSync, mkdirSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../src/config/load.js';
import { createLogger } from '../src/logger.js';
import { startDaemon } from '../src/daemon.js';
import { createApiKey } from '../src/http/auth.js';
import { formatYuan } from '../src/domain/money.js';
import { isStartupError } from '../src/listen-errors.js';
import { databaseLine } from '../src/cli/database.js';
import { startDlt645Bus } from '../simulators/dlt645/bus.js';
import { DEMO_BUS, DEMO_GRACE_MS, demoConfig, writeDemoConfig } from './demo-config.js';
import { SimConcentrator } from '../simulators/concentrator/index.js';
import { createMqttCredential } from '../src/mqtt/credentials.js';
import { DEMO_DTU_METERS, DEMO_HELP, demoFaults } from './demo-faults.js';
import { installFaults } from '../simulators/dlt645/install-faults.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = (() => {
  try {
    return parseArgs({ options: { fault: { type: 'string', multiple: true }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`feikong demo: ${(err as Error).message}\n\n${DEMO_HELP}`);
    process.exit(2);
  }
})();
if (args.help) {
  process.stdout.write(DEMO_HELP);
  process.exit(0);
}
const faults = demoFaults(args.fault ?? [], (message) => {
  process.stderr.write(`feikong demo: ${message}\n\n${DEMO_HELP}`);
  process.exit(2);
});
const demoDir = resolve(root, args.dir ?? '.demo');
const dataDir = resolve(demoDir, 'data');
const configFile = resolve(demoDir, 'feikong.json');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const sim = await startDlt645Bus({
  transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
  baudRate: 9600,
  meters: DEMO_DTU_METERS.map(({ address, energyWh, loadW }) => ({ address, energyWh, loadW })),
});
const faultLines = installFaults(sim, faults);

writeDemoConfig(configFile, demoConfig({ dataDir, simPort: sim.port!, seedFile: resolve(root, 'scripts/demo-fleet.json') }));
let daemon;
let config;
try {
  // The same file the CLI reads (FEIKONG_CONFIG), plus FEIKONG_* variables such as FEIKONG_HTTP__PORT.
  config = loadConfig({ file: configFile, overrides: { log: { level: process.env.FEIKONG_LOG__LEVEL ?? 'warn' } } });
  daemon = await startDaemon(config, createLogger(config.log.level));
} catch (err) {
  await sim.close();
  if (!isStartupError(err) && !(err instanceof ConfigError)) throw err;
  process.stderr.write(`feikong demo: ${err.message}\n`);
  process.exit(1);
}
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
 feikong demo — simulated prepaid meters behind a TCP DTU (${DEMO_BUS}), one more behind a concentrator (MQTT)
${line}
 Console        ${api}/         (operator console: log in with the admin API key below)
 API            ${api}/v1        (OpenAPI and a browsable UI at ${api}/docs)
 Metrics        ${api}/metrics
 MQTT broker    ${daemon.mqttUrl}  (concentrator dcu-1: user name dcu-1, password ${dcu.password})
 Admin API key  ${admin.secret}
 Database       ${databaseLine(config)}
                (made anew at every start of the demo)

 No-cut windows are OFF in this demo: it cuts off at any hour, at night, at weekends
 and on public holidays, so that you see a cut-off within a minute whenever you run it,
 and the grace after the second warning is ${DEMO_GRACE_MS / 1000} s instead of a day. Out of the box
 feikong never cuts off automatically 18:00–08:00, at weekends or on public holidays
 (engine.noCut), and waits engine.graceMs (1 day) after the second warning.

 Watch: demo-02 (李娜) runs low: alarm 1, alarm 2, then a cut-off after the ${DEMO_GRACE_MS / 1000} s grace.
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

 The CLI on the demo's database and bus (in another terminal, in ${root}):
   export FEIKONG_CONFIG=${configFile}
   npx feikong keys list
   npx feikong import accounts scripts/demo-accounts.csv   # a sixth customer,
   npx feikong import meters scripts/demo-meters.csv       # and her meter on ${DEMO_BUS}
 Without FEIKONG_CONFIG the CLI looks for ./data/feikong.db, and refuses when there is none.
${faultLines.length === 0 ? '' : `
 Faulty meters (--fault; the schedules started with the simulator):
${faultLines.map((f) => `   ${(DEMO_DTU_METERS.find((m) => m.address === f.address)?.id ?? '').padEnd(9)} ${f.text}`).join('\n')}
`}
 Ctrl-C stops everything.
${line}
`);
// The no-cut calendar (off in this demo, so that cut-offs happen at any hour): say when the
// official holiday schedule of this year (or, from 1 November, of the next) is missing.
for (const notice of daemon.engine.calendar.notices(Date.now(), true)) {
  process.stdout.write(` Calendar       ${notice.message}\n${line}\n`);
}

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
