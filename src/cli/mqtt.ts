// `feikong mqtt credentials create|revoke|list` and `feikong mqtt mosquitto`: concentrators' MQTT
// credentials on the configured database (the password of a new one printed once; only its hash
// is stored), and a Mosquitto configuration with the same rights as the embedded broker.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMqttCredential, revokeMqttCredential } from '../mqtt/credentials.js';
import { hashMqttPassword } from '../mqtt/password-hash.js';
import { mosquittoConfig } from '../mqtt/mosquitto-config.js';
import { clientIdStem } from '../mqtt/service.js';
import { Topics } from '../mqtt/topics.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { allPages, cliActor, cliSettings, withRepositories, type CliIo } from './context.js';

export const MQTT_HELP = `Usage: feikong mqtt <command> [options]

Commands:
  credentials create CID [CID…] [--out FILE]
                          create an MQTT credential for each concentrator (user name = its id),
                          replacing its active one; prints each password once, or with --out
                          writes them to FILE as JSON {"CID":"password"} (mode 0600)
  credentials revoke ID   revoke a credential at once
  credentials list [--all] [--concentrator CID]
                          list active credentials (--all: revoked ones too); never passwords
  mosquitto --out DIR [--port N] [--bind ADDRESS] [--cert FILE --key FILE] [--daemons STEM,STEM…]
                          write feikong.passwd, feikong.acl and feikong.conf for Mosquitto 2 from
                          the concentrator registry: the embedded broker's rights, the daemon's
                          connections authenticated with mqtt.password; feikong.conf brings its
                          listener (port default 1883; with --cert/--key: TLS, e.g. 8883);
                          --daemons: the mqtt.clientId stems of every daemon (default this
                          configuration's)

Options:
  --config FILE           configuration file (default: FEIKONG_CONFIG)
  --help                  this text
`;

export function mqttCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, {
    out: 'value', all: 'flag', concentrator: 'value', daemons: 'value', port: 'value', bind: 'value', cert: 'value', key: 'value', config: 'value', help: 'flag',
  });
  const [group, sub, ...rest] = args.positionals;
  if (args.options.help || !group) {
    io.out.write(MQTT_HELP);
    return args.options.help ? 0 : 2;
  }
  if (group === 'mosquitto') return mosquitto(args, io);
  if (group !== 'credentials') throw new UsageError(`unknown mqtt command "${group}" (credentials, mosquitto)`);
  const settings = cliSettings(optionValue(args, 'config'), io);
  const { config } = settings;
  const actor = cliActor(io.env);
  const now = Date.now();
  switch (sub) {
    case 'create': {
      if (rest.length === 0) throw new UsageError('mqtt credentials create needs at least one concentrator id');
      const created = withRepositories(settings, io, (repos) => repos.transaction(() => rest.map((cid) => createMqttCredential(repos, cid, actor, now, undefined, clientIdStem(config.mqtt.clientId)))));
      const out = optionValue(args, 'out');
      if (out) {
        writeFileSync(out, `${JSON.stringify(Object.fromEntries(created.map((c) => [c.username, c.password])), null, 2)}\n`, { mode: 0o600 });
        chmodSync(out, 0o600);
      }
      for (const c of created) {
        io.out.write(`created MQTT credential ${c.id} for ${c.username}${c.replaced ? ` (revoked ${c.replaced})` : ''}\n`);
        if (!out) io.out.write(`user name: ${c.username}\npassword: ${c.password}\n`);
      }
      io.err.write(out ? `The passwords are in ${out} (only there); store them safely.\n` : 'The passwords are shown only now; store them safely.\n');
      return 0;
    }
    case 'revoke': {
      const id = rest[0];
      if (!id) throw new UsageError('mqtt credentials revoke needs the credential id (see: feikong mqtt credentials list)');
      withRepositories(settings, io, (repos) => repos.transaction(() => revokeMqttCredential(repos, id, actor, now)));
      io.out.write(`revoked MQTT credential ${id}; a daemon closes its connections within mqtt.auth.revocationCheckMs\n`);
      return 0;
    }
    case 'list': {
      const rows = withRepositories(settings, io, (repos) => allPages((after, size) => repos.mqttCredentials.list(after, !args.options.all, optionValue(args, 'concentrator') ?? null, size)));
      io.out.write(`${'id'.padEnd(36)}  ${'created'.padEnd(24)}  ${'revoked'.padEnd(24)}  concentrator\n`);
      for (const c of rows) {
        const revoked = c.revokedAt === null ? '-' : new Date(c.revokedAt).toISOString();
        io.out.write(`${c.id.padEnd(36)}  ${new Date(c.createdAt).toISOString().padEnd(24)}  ${revoked.padEnd(24)}  ${c.concentratorId}\n`);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown mqtt credentials command "${sub ?? ''}" (create, revoke, list)`);
  }
}

function mosquitto(args: ReturnType<typeof parseArgs>, io: CliIo): number {
  const out = optionValue(args, 'out');
  if (!out) throw new UsageError('mqtt mosquitto needs --out DIR');
  const settings = cliSettings(optionValue(args, 'config'), io);
  const { config } = settings;
  const m = config.mqtt;
  if (m.password === undefined) {
    throw new UsageError('mqtt.password is not set: the daemon authenticates to Mosquitto with it (set it, e.g. FEIKONG_MQTT__PASSWORD, where the daemon reads its configuration too)');
  }
  if (m.username !== undefined) {
    throw new UsageError('mqtt.username is set: the generated configuration gives each daemon connection its client id as user name (use_username_as_clientid); leave mqtt.username unset');
  }
  const stems = optionValue(args, 'daemons')?.split(',').map((s) => s.trim()).filter(Boolean) ?? [clientIdStem(m.clientId)];
  for (const stem of stems) if (!/^[A-Za-z0-9_.-]{1,64}$/.test(stem)) throw new UsageError(`--daemons: "${stem}" is not a client id stem (letters, digits, _ . -)`);
  const portText = optionValue(args, 'port') ?? '1883';
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`--port needs a port number 1..65535, got "${portText}"`);
  const [certFile, keyFile] = [optionValue(args, 'cert'), optionValue(args, 'key')];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together');
  const credentials = withRepositories(settings, io, (repos) => repos.mqttCredentials.allActive());
  const files = mosquittoConfig({
    topics: new Topics(m.topicPrefix), credentials, daemonStems: stems, readingsConnections: m.ingest.connections,
    daemonPasswordHash: hashMqttPassword(m.password), directory: out, listener: { port, bind: optionValue(args, 'bind'), certFile, keyFile },
  });
  mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const mode = name.endsWith('.passwd') ? 0o640 : 0o644;
    writeFileSync(join(out, name), text, { mode });
    chmodSync(join(out, name), mode);
  }
  io.out.write(`wrote ${join(out, 'feikong.conf')}, feikong.passwd (${credentials.length} concentrators, ${stems.length} daemon(s)) and feikong.acl\n`);
  io.err.write('Include feikong.conf from mosquitto.conf (no other listener on its port) and reload Mosquitto (SIGHUP) after each change of credentials.\n');
  return 0;
}
