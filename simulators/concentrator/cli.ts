// Command line for simulated concentrators: connects one or many to a broker, each with N meters,
// publishes readings on a schedule (or as fast as the broker acknowledges), executes relay
// commands with acks, and misbehaves on purpose when asked. Can write the seed file that
// registers the simulated meters with the daemon.
//
//   tsx simulators/concentrator/cli.ts --url mqtt://127.0.0.1:1883 --concentrators 2 --meters 50 \
//       --credentials credentials.json --interval-ms 60000 --load-w 1500 --duplicates 0.1 --reorder --write-seed fleet.json
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimConcentrator } from './concentrator.js';

const USAGE = `Usage: tsx simulators/concentrator/cli.ts --url URL [options]

Simulates concentrators speaking the feikong MQTT contract (readings, commands, acks, status).

Options:
  --url URL               broker, e.g. mqtt://127.0.0.1:1883 (required)
  --prefix P              topic prefix (default feikong/v1)
  --credentials FILE      MQTT passwords by concentrator id, JSON {"dcu-1":"…"} (what
                          \`feikong mqtt credentials create dcu-1 … --out FILE\` writes); the
                          user name is the concentrator id
  --password P            the password of a single concentrator (--concentrators 1)
  --ca FILE               CA certificate of an mqtts:// broker (PEM)
  --cert FILE --key FILE  client certificate and key (mqtts://, CN = concentrator id)
  --concentrators N       how many concentrators, ids dcu-1 … dcu-N (default 1)
  --meters N              meters per concentrator, addresses 000000000001 … (default 10)
  --load-w W              load of every meter while its relay is closed, watts (default 1000)
  --energy-wh WH          registers at start, Wh (default 1000000)
  --interval-ms MS        publish a reading of every meter this often (default 60000)
  --flood SECONDS         instead: publish rounds back to back for SECONDS, then report and exit
  --readings-per-message N  split a round into messages of N readings (default: one message)
  --protocol-version 4|5  MQTT 3.1.1 (embedded broker) or 5 (default 4)
  --duplicates RATE       publish this share of messages twice (0..1)
  --reorder               shuffle readings and messages
  --late-every N          every N rounds, send an earlier round again
  --malformed RATE        replace this share of messages by malformed ones (0..1)
  --refuse ERROR          refuse relay commands with this error
  --silent                execute relay commands but never acknowledge them
  --offline-every-ms MS   drop the connection (the broker publishes the will) this often …
  --offline-for-ms MS     … and come back after this long (default 5000)
  --write-seed FILE       write a seed file (accounts and meters) for the daemon's seedFile, then go on
  -h, --help              show this text
`;

function fail(message: string): never {
  process.stderr.write(`concentrator simulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function num(text: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > max) fail(`--${name} needs a number in 0..${max}, got '${text}'`);
  return value;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' }, prefix: { type: 'string' }, credentials: { type: 'string' }, password: { type: 'string' },
    ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, concentrators: { type: 'string' }, meters: { type: 'string' },
    'load-w': { type: 'string' }, 'energy-wh': { type: 'string' }, 'interval-ms': { type: 'string' }, flood: { type: 'string' },
    'readings-per-message': { type: 'string' }, 'protocol-version': { type: 'string' }, duplicates: { type: 'string' },
    reorder: { type: 'boolean' }, 'late-every': { type: 'string' }, malformed: { type: 'string' }, refuse: { type: 'string' },
    silent: { type: 'boolean' }, 'offline-every-ms': { type: 'string' }, 'offline-for-ms': { type: 'string' },
    'write-seed': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!values.url) fail('--url is required');
const prefix = values.prefix ?? 'feikong/v1';
const count = num(values.concentrators, 'concentrators', 1, 10_000);
const meters = num(values.meters, 'meters', 10, 100_000);
const protocolVersion = values['protocol-version'] === '5' ? 5 : 4;
const perMessage = values['readings-per-message'] ? num(values['readings-per-message'], 'readings-per-message', 1, 100_000) : undefined;

function readFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`--${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

let passwords: Record<string, unknown> = {};
if (values.credentials) {
  try {
    passwords = JSON.parse(readFile(values.credentials, 'credentials')) as Record<string, unknown>;
  } catch (err) {
    fail(`--credentials: ${values.credentials} is not JSON: ${(err as Error).message}`);
  }
}
if (values.password !== undefined) {
  if (count !== 1) fail('--password is for one concentrator; use --credentials FILE for several');
  passwords['dcu-1'] = values.password;
}
const tls = {
  ...(values.ca ? { ca: readFile(values.ca, 'ca') } : {}),
  ...(values.cert ? { cert: readFile(values.cert, 'cert') } : {}),
  ...(values.key ? { key: readFile(values.key, 'key') } : {}),
};

const address = (i: number) => String(i).padStart(12, '0');
if (values['write-seed']) {
  const seed = { accounts: [] as unknown[], meters: [] as unknown[] };
  for (let c = 1; c <= count; c++) {
    for (let i = 1; i <= meters; i++) {
      seed.accounts.push({ id: `dcu-${c}-a${i}`, name: `Customer ${c}-${i}`, openingBalanceFen: 10_000 });
      seed.meters.push({ id: `dcu-${c}-m${i}`, accountId: `dcu-${c}-a${i}`, protocol: 'mqtt', concentratorId: `dcu-${c}`, address: address(i) });
    }
  }
  writeFileSync(values['write-seed'], JSON.stringify(seed, null, 2));
  process.stdout.write(`wrote ${seed.meters.length} meters to ${values['write-seed']}\n`);
}

const sims: SimConcentrator[] = [];
for (let c = 1; c <= count; c++) {
  const password = passwords[`dcu-${c}`];
  if (password !== undefined && typeof password !== 'string') fail(`--credentials: the password of dcu-${c} is not a string`);
  sims.push(new SimConcentrator({
    url: values.url, id: `dcu-${c}`, prefix, ...(password !== undefined ? { password } : {}), tls, protocolVersion, readingsPerMessage: perMessage, seed: c,
    meters: Array.from({ length: meters }, (_, i) => ({ address: address(i + 1), energyWh: num(values['energy-wh'], 'energy-wh', 1_000_000), loadW: num(values['load-w'], 'load-w', 1000) })),
    behaviour: {
      duplicateRate: num(values.duplicates, 'duplicates', 0, 1), reorder: values.reorder ?? false,
      lateBatchEvery: num(values['late-every'], 'late-every', 0), malformedRate: num(values.malformed, 'malformed', 0, 1),
      refuseCommands: values.refuse ?? null, silentCommands: values.silent ?? false,
    },
  }));
}
await Promise.all(sims.map((s) => s.start()));
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
log(`${count} concentrator(s) × ${meters} meters connected to ${values.url} under ${prefix}`);

const stop = async () => {
  await Promise.all(sims.map((s) => s.stop()));
  const commands = sims.flatMap((s) => s.commands);
  log(`stopped: ${sims.reduce((n, s) => n + s.published, 0)} messages published, ${commands.length} commands (${commands.filter((c) => c.outcome === 'executed').length} executed)`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

if (values.flood) {
  const end = Date.now() + num(values.flood, 'flood', 10) * 1000;
  const t0 = Date.now();
  await Promise.all(sims.map(async (s) => {
    while (Date.now() < end) await s.publishRound();
  }));
  const published = sims.reduce((n, s) => n + s.published, 0);
  log(`flood: ${published} messages acknowledged by the broker in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await stop();
} else {
  const interval = num(values['interval-ms'], 'interval-ms', 60_000);
  for (const s of sims) {
    s.schedule(interval, (err) => log(`${s.id}: publish failed: ${err.message}`));
    void s.publishRound().catch(() => {});
  }
  const offlineEvery = values['offline-every-ms'] ? num(values['offline-every-ms'], 'offline-every-ms', 0) : 0;
  if (offlineEvery > 0) {
    const offlineFor = num(values['offline-for-ms'], 'offline-for-ms', 5000);
    setInterval(() => {
      const s = sims[Math.floor(Math.random() * sims.length)]!;
      if (!s.connected) return;
      log(`${s.id}: going offline for ${offlineFor} ms`);
      void s.goOffline().then(() => setTimeout(() => {
        void s.start().then(() => {
          s.schedule(interval);
          log(`${s.id}: back online`);
        });
      }, offlineFor));
    }, offlineEvery);
  }
  setInterval(() => {
    log(`${sims.reduce((n, s) => n + s.published, 0)} messages published, ${sims.reduce((n, s) => n + s.commands.length, 0)} commands received`);
  }, 10_000);
}
