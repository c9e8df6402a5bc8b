// A connection paused with two publishes of one TCP segment in hand, handled while paused, reads
// what arrived meanwhile once it is resumed (src/mqtt/connection-pause.ts): a real aedes broker, a raw socket
// writing MQTT 3.1.1 packets (OASIS MQTT 3.1.1 §3.1 CONNECT, §3.3 PUBLISH, §3.4 PUBACK).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes, type Client } from 'aedes';
import { pausableConnection } from '../../src/mqtt/connection-pause.js';
import { eventually } from '../helpers/eventually.js';

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}
function packet(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}
const connectPacket = (id: string) => packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 60]), utf8(id)]));
const publishQos1 = (topic: string, packetId: number, payload: string) =>
  packet(0x32, Buffer.concat([utf8(topic), Buffer.from([packetId >> 8, packetId & 0xff]), Buffer.from(payload)]));

describe('pausing an aedes connection', () => {
  let broker: Aedes | null = null;
  let server: Server | null = null;
  let socket: Socket | null = null;
  afterEach(async () => {
    socket?.destroy();
    if (broker) await new Promise<void>((r) => broker!.close(() => r()));
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    broker = server = socket = null;
  });

  it('reads what arrived while paused, after two publishes of one segment were handled while paused', async () => {
    broker = await Aedes.createBroker();
    const held: Array<(err: Error | null) => void> = [];
    broker.authorizePublish = (_client, _packet, callback) => { held.push(callback); };
    let reading: ReturnType<typeof pausableConnection> | null = null;
    let conn: { readableLength: number } | null = null;
    broker.on('clientReady', (client: Client) => {
      reading = pausableConnection(client);
      conn = (client as unknown as { conn: { readableLength: number } }).conn;
    });
    server = createServer(broker.handle);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;

    socket = connect(port, '127.0.0.1');
    const acks: number[] = [];
    let connacked = false;
    let buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer[1]!) {
        if (buffer[0] === 0x20) connacked = true;
        if (buffer[0] === 0x40) acks.push(buffer.readUInt16BE(2));
        buffer = buffer.subarray(2 + buffer[1]!);
      }
    });
    socket.write(connectPacket('dcu-pause'));
    await eventually(() => expect(connacked && reading !== null).toBe(true));

    // Two publishes in one write: aedes parses both from one chunk, and each is held.
    socket.write(Buffer.concat([publishQos1('t/readings', 1, 'a'), publishQos1('t/readings', 2, 'b')]));
    await eventually(() => expect(held).toHaveLength(2));
    reading!.pause();
    for (const done of held.splice(0)) done(null); // both handled while paused
    await eventually(() => expect(acks).toEqual([1, 2]));
    // The next publish arrives while still paused: it waits in the socket's buffer, unread.
    socket.write(publishQos1('t/readings', 3, 'c'));
    await eventually(() => expect(conn!.readableLength).toBeGreaterThan(0));
    expect(held).toHaveLength(0);
    reading!.resume();

    // Resumed, it is read and handled: the connection was not left waiting for a count that never comes.
    await eventually(() => expect(held).toHaveLength(1));
    held.splice(0).forEach((done) => done(null));
    await eventually(() => expect(acks).toEqual([1, 2, 3]));
  });
});
