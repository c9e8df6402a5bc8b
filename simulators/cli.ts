// Command line for the simulators: starts a bus of DL/T 645 prepaid meters on a pseudo-terminal,
// a serial port or a TCP port (DTU), or Modbus meters (modbus/cli.ts), prints where the head-end
// should connect, and logs every request in one line until interrupted. Meters can be made faulty
// on a schedule (--fault, see fault-schedule.ts), so the head-end can be rehearsed against them.
//
//   feikong-sim dlt645 --pty --baud 2400 --meters 000000000001,000000000002 --load-w 2000 --td 30 \
//       --fault 000000000002=silent,for=30s
//   feikong-sim modbus --tcp 1502 --units 1,2 --fault 1=exception,only=reconnect
import { parseArgs } from 'node:util';
import { FunctionCode } from '../protocols/dlt645/index.js';
import { startDlt645Bus, type SimBusEvent } from './dlt645/index.js';
import { FaultSyntaxError } from './dlt645/fault-grammar.js';
import { FAULT_HELP } from './dlt645/fault-help.js';
import { FaultPlacementError, installFaults, placeFaults, type PlacedFault } from './dlt645/install-faults.js';
import type { SimTransport } from './dlt645/transports.js';
import { runModbus } from './modbus/cli.js';

const OVERVIEW = `Usage: feikong-sim dlt645 [options]    DL/T 645-2007 prepaid meters on a bus (pty, serial port, DTU)
       feikong-sim modbus [options]    Modbus meters (Modbus TCP, or an RTU line)

Both take --fault to make meters faulty on a schedule. For the options of one:
  feikong-sim dlt645 --help
  feikong-sim modbus --help
`;

const USAGE = `Usage: feikong-sim dlt645 (--pty | --tcp PORT | --serial PATH) [options]

Simulates DL/T 645-2007 prepaid meters on one bus. Each meter answers only its own address.

Transport (one of):
  --pty                 create a pseudo-terminal pair; the head-end opens the printed device
  --tcp PORT            listen on 127.0.0.1:PORT as a DTU (0 = any free port)
  --serial PATH         use a real serial port (8E1)

Options:
  --baud N              line speed; replies are paced at it (default 2400)
  --meters A,B,...      12-digit meter addresses (default 000000000001)
  --load-w W            load of every meter while its relay is closed, watts (default 0)
  --energy-wh WH        forward active energy at start, Wh (default 0)
  --td MS               response delay Td, 20..500 ms (default 30)
  --trip-delay-ms MS    delay between a trip command and the relay opening (default 0)
  --password HEX        6-hex-digit control password (default 000000)
  --no-direct-close     meters only know 1B (close permitted), not 1C (direct close)
  --fault METER=EFFECT  make a meter faulty, on a schedule (below; repeatable)
  --esam VERSION        ESAM meters holding the public test keys of this key version: 0x1C only
                        encrypted after identity authentication (03H), top-ups with the next
                        purchase count (docs/security-module.md)
  --session-minutes N   ESAM session validity, minutes (default 5)
  --quiet               do not log requests
  -h, --help            show this text

${FAULT_HELP}`;

const FUNCTION_NAMES = new Map<number, string>(Object.entries(FunctionCode).map(([name, code]) => [code, name]));

function fail(message: string, usage = USAGE): never {
  process.stderr.write(`feikong-sim: ${message}\n\n${usage}`);
  process.exit(2);
}

/** Stops on SIGINT or SIGTERM: exit 0 once `close` is done, 1 if it fails. */
function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`feikong-sim: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function integer(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) fail(`--${name} needs a whole number, got '${text}'`);
  return value;
}

function describe(event: SimBusEvent): string {
  const time = new Date().toISOString();
  switch (event.kind) {
    case 'request': {
      const fc = `${event.functionCode.toString(16).toUpperCase().padStart(2, '0')}H ${FUNCTION_NAMES.get(event.functionCode) ?? '?'}`;
      const di = event.di === undefined ? '' : ` DI ${event.di.toString(16).padStart(8, '0').toUpperCase()}`;
      const outcome = event.outcome === 'reply' ? `reply ${event.replyBytes} bytes` : event.outcome;
      return `${time} ${event.address} ${fc}${di} -> ${event.meter === null ? 'no meter' : event.meter}: ${outcome}`;
    }
    case 'discarded':
      return `${time} discarded ${event.bytes.length} bytes (${event.reason}): ${event.bytes.toString('hex')}`;
    case 'error':
      return `${time} error: ${event.error.message}`;
  }
}

async function runDlt645(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      pty: { type: 'boolean' },
      tcp: { type: 'string' },
      serial: { type: 'string' },
      baud: { type: 'string' },
      meters: { type: 'string' },
      'load-w': { type: 'string' },
      'energy-wh': { type: 'string' },
      td: { type: 'string' },
      'trip-delay-ms': { type: 'string' },
      password: { type: 'string' },
      'no-direct-close': { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      esam: { type: 'string' },
      'session-minutes': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const chosen = [values.pty, values.tcp, values.serial].filter((v) => v !== undefined && v !== false);
  if (chosen.length !== 1) fail('choose exactly one of --pty, --tcp PORT, --serial PATH');
  const transport: SimTransport = values.pty
    ? { kind: 'pty' }
    : values.tcp !== undefined
      ? { kind: 'tcp', host: '127.0.0.1', port: integer(values.tcp, 'tcp', 0) }
      : { kind: 'serial', path: values.serial ?? '' };
  const addresses = (values.meters ?? '000000000001').split(',').map((a) => a.trim()).filter(Boolean);
  for (const address of addresses) if (!/^\d{12}$/.test(address)) fail(`meter address must be 12 digits, got '${address}'`);
  let faults: PlacedFault[] = [];
  try {
    faults = placeFaults(values.fault ?? [], addresses);
  } catch (error) {
    if (error instanceof FaultSyntaxError || error instanceof FaultPlacementError) fail(error.message);
    throw error;
  }

  const bus = await startDlt645Bus({
    transport,
    baudRate: integer(values.baud, 'baud', 2400),
    responseDelayMs: integer(values.td, 'td', 30),
    meters: addresses.map((address) => ({
      address,
      loadW: integer(values['load-w'], 'load-w', 0),
      energyWh: integer(values['energy-wh'], 'energy-wh', 0),
      tripDelayMs: integer(values['trip-delay-ms'], 'trip-delay-ms', 0),
      supportsDirectClose: !values['no-direct-close'],
      ...(values.password === undefined ? {} : { password: values.password }),
      ...(values.esam === undefined ? {} : { esam: { keyVersion: integer(values.esam, 'esam', 1), sessionMinutes: integer(values['session-minutes'], 'session-minutes', 5) } }),
    })),
    onEvent: (event) => {
      if (!values.quiet || event.kind === 'error') process.stdout.write(`${describe(event)}\n`);
    },
  });
  const faulty = installFaults(bus, faults, {
    onHit: (address, fault, hit) => {
      if (!values.quiet) process.stdout.write(`${new Date().toISOString()} ${address} fault ${fault}: hit ${hit}\n`);
    },
  });
  const where = bus.devicePath !== undefined ? `device: ${bus.devicePath}` : `port: ${String(bus.port)}`;
  process.stdout.write(`DL/T 645 simulator: ${addresses.length} meter(s) ${addresses.join(', ')}\n${where}\n`);
  for (const fault of faulty) process.stdout.write(`fault: ${fault.text}\n`);
  stopOnSignals(() => bus.close());
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(OVERVIEW);
    return;
  }
  if (command === 'modbus') {
    const running = await runModbus(rest, fail);
    if (!running) return;
    process.stdout.write(running.lines.map((line) => `${line}\n`).join(''));
    stopOnSignals(running.close);
    return;
  }
  if (command !== 'dlt645') fail(`unknown simulator '${command}'`, OVERVIEW);
  await runDlt645(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`feikong-sim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
