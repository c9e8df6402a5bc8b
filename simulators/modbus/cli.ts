// `feikong-sim modbus`: Modbus meters driven by a register map, behind a Modbus TCP endpoint or on
// an RTU line (pseudo-terminal, serial port or TCP serial server), with faults on a schedule.
//
//   feikong-sim modbus --tcp 1502 --map generic --units 1,2 --fault 2=silent,for=30s
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateRegisterMap, type RegisterMap } from '../../protocols/modbus/index.js';
import { FaultSyntaxError } from '../fault-schedule.js';
import type { SimTransport } from '../dlt645/transports.js';
import { formatModbusFault, parseModbusFault, type ModbusFaultSpec } from './fault-grammar.js';
import { MODBUS_FAULT_HELP } from './fault-help.js';
import { modbusFaultBehaviour } from './faults.js';
import type { SimModbusMeter } from './meter.js';
import { startModbusRtuLine } from './rtu-line.js';
import { startModbusTcpServer } from './tcp-server.js';

export const MODBUS_USAGE = `Usage: feikong-sim modbus (--tcp PORT | --rtu-tcp PORT | --pty | --serial PATH) [options]

Simulates Modbus meters laid out by a register map; each answers only its own unit id.

Transport (one of):
  --tcp PORT            Modbus TCP endpoint on 127.0.0.1:PORT (0 = any free port)
  --rtu-tcp PORT        Modbus RTU line behind a TCP serial server (DTU) on 127.0.0.1:PORT
  --pty                 Modbus RTU line on a pseudo-terminal pair; the head-end opens the printed device
  --serial PATH         Modbus RTU line on a real serial port

Options:
  --map NAME            register map registermaps/NAME.json (default generic)
  --units A,B,...       unit ids 1..247 (default 1)
  --baud N              RTU line speed; replies are paced at it (default 9600)
  --load-w W            load of every meter while its relay is closed, watts (default 0)
  --energy-wh WH        forward active energy at start, Wh (default 0)
  --fault UNIT=EFFECT   make a meter faulty, on a schedule (below; repeatable)
  --quiet               do not log requests
  -h, --help            show this text

${MODBUS_FAULT_HELP}`;

const MAPS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'registermaps');

export interface Running {
  /** What to print: where to connect, and the faults in force. */
  lines: string[];
  close(): Promise<void>;
}

export async function runModbus(args: string[], fail: (message: string, usage: string) => never): Promise<Running | undefined> {
  const { values } = parseArgs({
    args,
    options: {
      tcp: { type: 'string' }, 'rtu-tcp': { type: 'string' }, pty: { type: 'boolean' }, serial: { type: 'string' },
      map: { type: 'string' }, units: { type: 'string' }, baud: { type: 'string' }, 'load-w': { type: 'string' }, 'energy-wh': { type: 'string' },
      fault: { type: 'string', multiple: true }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(MODBUS_USAGE);
    return undefined;
  }
  const bad = (message: string): never => fail(message, MODBUS_USAGE);
  const whole = (text: string | undefined, name: string, fallback: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) bad(`--${name} needs a whole number, got '${text}'`);
    return Number(text);
  };
  const chosen = [values.tcp, values['rtu-tcp'], values.pty, values.serial].filter((v) => v !== undefined && v !== false);
  if (chosen.length !== 1) bad('choose exactly one of --tcp PORT, --rtu-tcp PORT, --pty, --serial PATH');
  const units = (values.units ?? '1').split(',').map((u) => u.trim()).filter(Boolean).map((u) => {
    if (!/^\d+$/.test(u) || Number(u) < 1 || Number(u) > 247) bad(`a unit id is 1..247, got '${u}'`);
    return Number(u);
  });
  const map = loadMap(values.map ?? 'generic', bad);
  const faults = parseFaults(values.fault ?? [], units, bad);
  const meters = units.map((unit) => ({ unit, map, loadW: whole(values['load-w'], 'load-w', 0), energyWh: whole(values['energy-wh'], 'energy-wh', 0) }));
  const log = (line: string): void => {
    if (!values.quiet) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  };

  let where: string;
  let meterOf: (unit: number) => SimModbusMeter;
  let close: () => Promise<void>;
  if (values.tcp !== undefined) {
    const server = await startModbusTcpServer({ port: whole(values.tcp, 'tcp', 0), meters });
    [where, meterOf, close] = [`Modbus TCP port: ${server.port}`, (u) => server.meter(u), () => server.close()];
  } else {
    const transport: SimTransport = values.pty ? { kind: 'pty' }
      : values.serial !== undefined ? { kind: 'serial', path: values.serial } : { kind: 'tcp', host: '127.0.0.1', port: whole(values['rtu-tcp'], 'rtu-tcp', 0) };
    const line = await startModbusRtuLine({
      transport, baudRate: whole(values.baud, 'baud', 9600), meters,
      onEvent: (event) => {
        if (event.kind === 'request') log(`unit ${event.unit} ${event.function}: ${event.outcome}`);
        else if (event.kind === 'error') process.stdout.write(`${new Date().toISOString()} error: ${event.error.message}\n`);
      },
    });
    where = line.devicePath !== undefined ? `device: ${line.devicePath}` : `port: ${String(line.port)}`;
    [meterOf, close] = [(u) => line.meter(u), () => line.close()];
  }
  const lines = [`Modbus simulator (${map.name}): ${units.length} meter(s), unit ${units.join(', ')}`, where];
  // A meter asks its newest behaviour first: install the last fault first, so the first given is asked first.
  for (const { spec, unit, text } of [...faults].reverse()) {
    meterOf(unit).addBehaviour(modbusFaultBehaviour(spec, { onHit: (hit) => log(`unit ${unit} fault ${text}: hit ${hit}`) }));
  }
  lines.push(...faults.map((f) => `fault: ${f.text}`));
  return { lines, close };
}

function loadMap(name: string, bad: (message: string) => never): RegisterMap {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) bad(`--map needs a register map name, got '${name}'`);
  const file = join(MAPS_DIR, `${name}.json`);
  try {
    return validateRegisterMap(JSON.parse(readFileSync(file, 'utf8')), file, name);
  } catch (error) {
    return bad(`--map ${name}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? `no register map ${file}` : (error as Error).message}`);
  }
}

function parseFaults(texts: readonly string[], units: readonly number[], bad: (message: string) => never): { spec: ModbusFaultSpec; unit: number; text: string }[] {
  return texts.flatMap((text) => {
    let spec: ModbusFaultSpec;
    try {
      spec = parseModbusFault(text);
    } catch (error) {
      if (error instanceof FaultSyntaxError) return bad(error.message);
      throw error;
    }
    const targets = spec.meter === 'all' ? units : units.filter((u) => String(u) === spec.meter);
    if (targets.length === 0) bad(`--fault '${text}': meter: no unit ${spec.meter} here; the units are ${units.join(', ')}, or all`);
    return targets.map((unit) => ({ spec, unit, text: formatModbusFault({ ...spec, meter: String(unit) }) }));
  });
}
