// Flow control of the embedded broker under a burst: many concentrators publish their backlog at
// once. The daemon reads only as many messages as its budget holds (the rest wait in TCP's
// buffers, connection by connection), serves the connections in turn, and every message is
// acknowledged and stored. The budget is pinned small here (min = max held readings) so the test
// does not depend on how fast this machine is.
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { address, committedCount, fleet } from './fixtures.js';

const CONCENTRATORS = 8;
const METERS = 40;
/** readings a message: about 300 kB of JSON, so one socket read never holds a whole message */
const ROUNDS_PER_MESSAGE = 20;
const MESSAGES = 3;
const T0 = Date.parse('2026-11-22T00:00:00+08:00');

function messageOf(message: number): string {
  const readings: string[] = [];
  for (let r = 0; r < ROUNDS_PER_MESSAGE; r++) {
    const round = message * ROUNDS_PER_MESSAGE + r;
    const ts = new Date(T0 + round * 900_000).toISOString();
    for (let m = 1; m <= METERS; m++) readings.push(JSON.stringify({ meter: address(m), ts, energyWh: 1_000_000 + round * 100, relay: 'closed', pad: 'x'.repeat(300) }));
  }
  return `{"readings":[${readings.join(',')}]}`;
}

describe('flow control of readings through the embedded broker', () => {
  let td: TestDaemon | null = null;
  const clients: MqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await td?.stop();
    td = null;
  });

  it('holds at most its budget of messages, serves the connections in turn, and acknowledges everything', async () => {
    const perMessage = METERS * ROUNDS_PER_MESSAGE;
    td = await startTestDaemon({
      engine: { sweepIntervalMs: 3_600_000 },
      mqtt: { ingest: { minHeldReadings: 2 * perMessage, maxHeldReadings: 2 * perMessage, connectionInFlight: 8, batchMaxReadings: perMessage } },
    });
    const { repos, config } = td.daemon;
    for (let c = 0; c < CONCENTRATORS; c++) fleet(repos, config, `dcu-f${c}`, METERS);
    const pipeline = td.daemon.mqtt.pipeline;
    // Watch what the pipeline holds as each message comes in.
    let mostHeld = 0;
    const submit = pipeline.submit.bind(pipeline);
    pipeline.submit = (...args: Parameters<typeof submit>) => {
      const weight = submit(...args);
      mostHeld = Math.max(mostHeld, pipeline.inFlight);
      return weight;
    };
    for (let c = 0; c < CONCENTRATORS; c++) {
      const client = mqtt.connect(td.daemon.mqttUrl, { clientId: `dcu-f${c}`, protocolVersion: 4, reconnectPeriod: 0, ...td.credentials(`dcu-f${c}`) });
      await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject); });
      clients.push(client);
    }
    const bodies = Array.from({ length: MESSAGES }, (_, k) => messageOf(k));
    expect(Buffer.byteLength(bodies[0]!)).toBeGreaterThan(256 * 1024);
    const acks: Array<{ c: number; k: number }> = [];
    // Every concentrator sends its whole backlog at once, without waiting for acknowledgements.
    await Promise.all(clients.flatMap((client, c) => bodies.map((body, k) => client.publishAsync(`feikong/v1/concentrators/dcu-f${c}/readings`, body, { qos: 1 })
      .then(() => { acks.push({ c, k }); }))));
    expect(acks).toHaveLength(CONCENTRATORS * MESSAGES);
    // Without flow control every message sent would be held at once (24); the budget is 2 messages,
    // plus at most one being read on each connection given its turn.
    expect(mostHeld).toBeLessThanOrEqual(6);
    // In turn: every concentrator has its first message acknowledged before any has its last.
    const firstOfEach = Math.max(...Array.from({ length: CONCENTRATORS }, (_, c) => acks.findIndex((a) => a.c === c)));
    const firstLast = acks.findIndex((a) => a.k === MESSAGES - 1 && acks.filter((b) => b.c === a.c).indexOf(a) === MESSAGES - 1);
    expect(firstOfEach).toBeLessThan(firstLast);
    for (let c = 0; c < CONCENTRATORS; c++) expect(committedCount(repos, `dcu-f${c}-m1`)).toBe(MESSAGES * ROUNDS_PER_MESSAGE);
    const metrics = await (await fetch(`${td.daemon.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^feikong_mqtt_ack_seconds_count ${CONCENTRATORS * MESSAGES}$`, 'm'));
  });
});
