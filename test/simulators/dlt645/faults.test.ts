// Command-line faults on a meter model: each schedule (for, after, rate, count, only) decides on
// which requests the effect shows, with time from an injected clock; placing resolves meters and
// keeps the order given.
import { describe, expect, it } from 'vitest';
import {
  DataIdentifier,
  FunctionCode,
  decodeFrame,
  encodeBroadcastTimeRequest,
  parseControl,
  type Dlt645Frame,
} from '../../../protocols/dlt645/index.js';
import { SimMeter, type Reply } from '../../../simulators/dlt645/index.js';
import { parseFault } from '../../../simulators/dlt645/fault-grammar.js';
import { faultBehaviour } from '../../../simulators/dlt645/faults.js';
import { FaultPlacementError, placeFaults } from '../../../simulators/dlt645/install-faults.js';
import { METER_1, METER_2, controlRequest, readRequest } from './fixtures.js';

function frame(bytes: Buffer): Dlt645Frame {
  return decodeFrame(bytes.subarray(bytes.indexOf(0x68)));
}
const readEnergy = (): Dlt645Frame => frame(readRequest(METER_1, DataIdentifier.forwardActiveTotal));
const readStatus = (): Dlt645Frame => frame(readRequest(METER_1, DataIdentifier.statusWord3));

/** What the head-end would make of a reply: nothing, a good frame (its function), or a broken one. */
function seen(reply: Reply): string {
  if (reply.kind === 'silent') return 'silent';
  const bytes = Buffer.from(reply.bytes);
  try {
    const decoded = decodeFrame(bytes.subarray(bytes.indexOf(0x68)));
    const control = parseControl(decoded.control);
    return control.abnormal ? `abnormal ${decoded.data[0]}` : decoded.address === METER_1 ? 'ok' : `from ${decoded.address}`;
  } catch {
    return 'broken';
  }
}

function faulty(text: string, clock: () => number = () => 0): SimMeter {
  const meter = new SimMeter({ address: METER_1, energyWh: 100 });
  meter.addBehaviour(faultBehaviour(parseFault(text), { clock }));
  return meter;
}

describe('fault schedules', () => {
  it('silent,for=30s: no reply during the first 30 s of the clock, answers from then on', () => {
    let now = 1_000_000;
    const meter = faulty('m=silent,for=30s', () => now);
    expect(seen(meter.handleRequest(readEnergy()))).toBe('silent');
    now += 29_999;
    expect(seen(meter.handleRequest(readEnergy()))).toBe('silent');
    now += 1;
    expect(seen(meter.handleRequest(readEnergy()))).toBe('ok');
  });

  it('after=1m,for=10s: only inside the window', () => {
    let now = 0;
    const meter = faulty('m=bad-checksum,after=1m,for=10s', () => now);
    const at = (ms: number): string => {
      now = ms;
      return seen(meter.handleRequest(readEnergy()));
    };
    expect([at(0), at(59_999), at(60_000), at(69_999), at(70_000)]).toEqual(['ok', 'ok', 'broken', 'broken', 'ok']);
  });

  it('rate=1/5: the first of every five requests', () => {
    const meter = faulty('m=bad-checksum,rate=1/5');
    const replies = Array.from({ length: 11 }, () => seen(meter.handleRequest(readEnergy())));
    expect(replies).toEqual(['broken', 'ok', 'ok', 'ok', 'ok', 'broken', 'ok', 'ok', 'ok', 'ok', 'broken']);
  });

  it('rate=2/3,count=3: two of every three, three times in all', () => {
    const meter = faulty('m=garbage,rate=2/3,count=3');
    const replies = Array.from({ length: 8 }, () => meter.handleRequest(readEnergy()));
    const noisy = replies.map((r) => (r.kind === 'send' && r.bytes[0] === 0x00 ? 'noise' : 'clean'));
    expect(noisy).toEqual(['noise', 'noise', 'clean', 'noise', 'clean', 'clean', 'clean', 'clean']);
  });

  it('refuse-reconnect: a trip is carried out, reconnects (1C and 1B) are refused and not acted on', () => {
    const meter = faulty('m=refuse-reconnect');
    expect(seen(meter.handleRequest(frame(controlRequest(METER_1, 'trip'))))).toBe('ok');
    expect(meter.relayStatus().relayOpen).toBe(true);
    expect(seen(meter.handleRequest(frame(controlRequest(METER_1, 'directClose'))))).toBe('abnormal 1');
    expect(seen(meter.handleRequest(frame(controlRequest(METER_1, 'closePermitted'))))).toBe('abnormal 1');
    expect(meter.relayStatus().relayOpen).toBe(true);
    expect(meter.controls.map((c) => `${c.action} ${c.outcome}`)).toEqual(['trip ok', 'directClose other', 'closePermitted other']);
    expect(seen(meter.handleRequest(readEnergy()))).toBe('ok');
  });

  it('refuse:keep-power,only=disconnect: the trip is refused with the keep-power error word', () => {
    const meter = faulty('m=refuse:keep-power,only=disconnect');
    const reply = meter.handleRequest(frame(controlRequest(METER_1, 'trip')));
    expect(reply.kind).toBe('send');
    const decoded = decodeFrame(Buffer.from((reply as { bytes: Uint8Array }).bytes).subarray(4));
    expect(parseControl(decoded.control)).toMatchObject({ functionCode: FunctionCode.Control, abnormal: true });
    expect(meter.controls.at(-1)?.outcome).toBe('keep-power');
    expect(meter.relayStatus().relayOpen).toBe(false);
  });

  it('missing:status-word-3: "no requested data" for that register only', () => {
    const meter = faulty('m=missing:status-word-3');
    expect(seen(meter.handleRequest(readStatus()))).toBe('abnormal 2');
    expect(seen(meter.handleRequest(readEnergy()))).toBe('ok');
  });

  it('only=status-word-3: silent for that register, the energy still answered', () => {
    const meter = faulty('m=silent,only=status-word-3');
    expect(seen(meter.handleRequest(readStatus()))).toBe('silent');
    expect(seen(meter.handleRequest(readEnergy()))).toBe('ok');
  });

  it('wrong-address, truncated, slow-bytes and delay alter the reply as named', () => {
    expect(seen(faulty('m=wrong-address:000000000009').handleRequest(readEnergy()))).toBe('from 000000000009');
    const cut = faulty('m=truncated:7').handleRequest(readEnergy());
    expect(cut.kind === 'send' && cut.bytes.length).toBe(7);
    expect(faulty('m=slow-bytes:250ms').handleRequest(readEnergy())).toMatchObject({ kind: 'send', interByteGapMs: 250 });
    expect(faulty('m=delay:800ms').handleRequest(readEnergy())).toMatchObject({ kind: 'send', delayMs: 800 });
  });

  it('broadcast time is never faulted and does not use up a count', () => {
    const meter = faulty('m=silent,count=1');
    const broadcast = frame(encodeBroadcastTimeRequest(new Date(Date.UTC(2026, 0, 1))));
    meter.handleRequest(broadcast);
    expect(seen(meter.handleRequest(readEnergy()))).toBe('silent');
    expect(seen(meter.handleRequest(readEnergy()))).toBe('ok');
  });

  it('reports every hit with its number', () => {
    const hits: number[] = [];
    const meter = new SimMeter({ address: METER_1 });
    meter.addBehaviour(faultBehaviour(parseFault('m=silent,rate=1/2'), { onHit: (n) => hits.push(n) }));
    for (let i = 0; i < 5; i++) meter.handleRequest(readEnergy());
    expect(hits).toEqual([1, 2, 3]);
  });
});

describe('placeFaults', () => {
  it('resolves addresses, names and all', () => {
    const placed = placeFaults(['all=silent', 'meter-02=garbage', `${METER_1}=delay:1s`], [METER_1, METER_2], new Map([['meter-02', METER_2]]));
    expect(placed.map((p) => p.addresses)).toEqual([[METER_1, METER_2], [METER_2], [METER_1]]);
  });

  it('names the meters there are when a fault names another', () => {
    expect(() => placeFaults(['meter-07=silent'], [METER_1, METER_2], new Map([['meter-02', METER_2]]))).toThrow(FaultPlacementError);
    expect(() => placeFaults(['meter-07=silent'], [METER_1, METER_2], new Map([['meter-02', METER_2]]))).toThrow(
      `--fault 'meter-07=silent': meter: no meter meter-07 on this bus; the meters are meter-02 (${METER_2}), ${METER_1}, or all`,
    );
  });
});
