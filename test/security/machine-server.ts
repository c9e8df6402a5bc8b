// A small encryption machine for the tests: a TCP server speaking the documented interface
// (src/security/machine-protocol.ts, docs/security-module.md), answering with the reference
// scheme and the public test keys, and misbehaving on request (silence, a dropped connection,
// garbage, a named refusal).
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  MessageSplitter,
  encodeMessage,
  fromHex,
  isRequest,
  toHex,
  type MachineRequest,
} from '../../src/security/machine-protocol.js';
import { SoftwareSecurityModule } from '../../src/security/software-module.js';
import { isSecurityModuleError, type SecuritySession } from '../../src/security/types.js';

export type Misbehaviour = 'none' | 'silent' | 'drop' | 'garbage';

export interface TestMachine {
  port: number;
  /** What the next requests get; 'drop' closes the connection on the next request. */
  misbehave(m: Misbehaviour): void;
  /** Requests received, by op. */
  received: string[];
  connections: number;
  close(): Promise<void>;
}

function session(args: Record<string, unknown>): SecuritySession {
  const s = (args.session ?? {}) as Record<string, unknown>;
  const random1 = fromHex(s.random1, 8);
  const random2 = fromHex(s.random2, 4);
  const esamSerial = fromHex(s.esamSerial, 8);
  if (typeof s.address !== 'string' || typeof s.keyVersion !== 'number' || !random1 || !random2 || !esamSerial) throw new Error('bad session');
  return { address: s.address, keyVersion: s.keyVersion, random1, random2, esamSerial };
}

async function answer(module: SoftwareSecurityModule, r: MachineRequest): Promise<Record<string, unknown>> {
  const a = r.args;
  switch (r.op) {
    case 'ping':
      return {};
    case 'identityAuthentication': {
      const c = await module.identityAuthentication({ address: String(a.address), keyVersion: Number(a.keyVersion) });
      return { random1: toHex(c.random1), ciphertext: toHex(c.ciphertext), dispersionFactor: toHex(c.dispersionFactor) };
    }
    case 'encryptControl': {
      const p = await module.encryptControl(session(a), fromHex(a.plaintext) ?? Buffer.alloc(0));
      return { ciphertext: toHex(p.ciphertext), mac: toHex(p.mac) };
    }
    case 'purchaseMacs': {
      const m = await module.purchaseMacs(session(a), { di: Number(a.di), amountFen: Number(a.amountFen), purchaseCount: Number(a.purchaseCount), customer: String(a.customer) });
      return { mac1: toHex(m.mac1), mac2: toHex(m.mac2) };
    }
    case 'parameterMac':
      return { mac: toHex(await module.parameterMac(session(a), Number(a.di), fromHex(a.value) ?? Buffer.alloc(0))) };
    case 'encryptParameter': {
      const p = await module.encryptParameter(session(a), Number(a.di), fromHex(a.value) ?? Buffer.alloc(0));
      return { ciphertext: toHex(p.ciphertext), mac: toHex(p.mac) };
    }
    case 'verifyFigureMac':
      return { valid: await module.verifyFigureMac(session(a), Number(a.tag), Number(a.value), fromHex(a.mac, 4) ?? Buffer.alloc(4)) };
    default:
      throw Object.assign(new Error(`unknown op ${String(r.op)}`), { machineCode: 'UNSUPPORTED' });
  }
}

export async function startTestMachine(options: { keyVersions?: number[]; random?: (n: number) => Buffer; port?: number } = {}): Promise<TestMachine> {
  const module = new SoftwareSecurityModule(options.keyVersions ?? [0, 1], options.random ?? ((n) => Buffer.alloc(n, 0x5a)));
  let mode: Misbehaviour = 'none';
  const sockets = new Set<Socket>();
  const machine: TestMachine = {
    port: 0,
    received: [],
    connections: 0,
    misbehave: (m) => {
      mode = m;
    },
    close: async () => {
      if (!server.listening) return;
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((socket) => {
    machine.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const splitter = new MessageSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const m of splitter.push(chunk)) {
        if (m.kind !== 'message' || !isRequest(m.value)) continue;
        const request = m.value;
        machine.received.push(request.op);
        if (mode === 'silent') continue;
        if (mode === 'drop') {
          mode = 'none';
          socket.destroy();
          return;
        }
        if (mode === 'garbage') {
          socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]));
          continue;
        }
        answer(module, request).then(
          (result) => socket.write(encodeMessage({ v: 1, id: request.id, ok: true, result })),
          (e: unknown) => {
            const code = isSecurityModuleError(e) && e.code === 'SECURITY_KEY_UNKNOWN' ? 'KEY_UNKNOWN' : ((e as { machineCode?: string }).machineCode ?? 'BAD_REQUEST');
            socket.write(encodeMessage({ v: 1, id: request.id, ok: false, error: { code, message: (e as Error).message } }));
          },
        );
      }
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  machine.port = typeof address === 'object' && address !== null ? address.port : 0;
  return machine;
}
