// The simulated meter in ESAM mode on a pseudo-terminal: plaintext 1CH refused with the 2013
// supplement's error word, encrypted 1CH only inside an authenticated session, sessions that
// expire on the injected clock, wrong MACs refused (three close the session), a wrong key
// refused at identity authentication. The head-end side is the software security module and
// the codec, writing real frames on the line.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ControlErrorBit,
  SecurityErrorBit,
  controlSecurityCause,
  decodeControlResponse,
  decodeFrame,
  decodeSecurityResponse,
  decodeSessionClosed,
  encodeFrame,
  type Dlt645Frame,
} from '../../../protocols/dlt645/index.js';
import { MAC_FAILURES_CLOSING_SESSION } from '../../../simulators/dlt645/index.js';
import { EsamExchanges } from '../../../src/security/esam-exchanges.js';
import { SoftwareSecurityModule } from '../../../src/security/software-module.js';
import type { SecuritySession } from '../../../src/security/types.js';
import { Harness, METER_1, controlRequest } from './fixtures.js';

const BAUD = 9600;
const START = Date.UTC(2026, 11, 8, 2, 0, 0);
const harness = new Harness();
afterEach(() => harness.stop());

const module = new SoftwareSecurityModule([1, 2], (n) => Buffer.alloc(n, 0x3c));
const esam = new EsamExchanges(module, '00000042');

async function start(sessionMinutes = 5) {
  let now = START;
  const { bus } = await harness.start({
    baudRate: BAUD,
    clock: () => now,
    meters: [{ address: METER_1, esam: { keyVersion: 1, sessionMinutes, random: () => Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]) } }],
  });
  return { bus, meter: bus.meter(METER_1), advance: (ms: number) => (now += ms), now: () => now };
}

async function authenticate(keyVersion = 1) {
  const meter = { address: METER_1, keyVersion };
  const { frame, challenge } = await esam.authenticationRequest(meter);
  return esam.sessionFrom(meter, challenge, await harness.ask(frame));
}

async function trip(session: SecuritySession, now: number, action: 'trip' | 'directClose' = 'trip'): Promise<Dlt645Frame> {
  return harness.ask(await esam.controlRequest(session, { action, deadline: new Date(now + 10 * 60_000) }));
}

describe('ESAM meter on a pty', () => {
  it('refuses plaintext 1CH with error word bit 2 (unauthorised), in two bytes', async () => {
    const { meter, now } = await start();
    const reply = await harness.ask(controlRequest(METER_1, 'trip', { deadline: new Date(now() + 60_000) }));
    expect(Array.from(reply.data)).toEqual([ControlErrorBit.unauthorised, 0x00]);
    expect(decodeControlResponse(reply)).toMatchObject({ ok: false, reason: 'unauthorised', flags: ['unauthorised'] });
    expect(meter.relayStatus().relayOpen).toBe(false);
    expect(meter.controls).toMatchObject([{ pa: 0x02, outcome: 'unauthorised' }]);
  });

  it('authenticates, then trips and closes on encrypted commands, confirmed by status word 3', async () => {
    const { meter, now } = await start();
    const auth = await authenticate();
    expect(auth.ok).toBe(true);
    if (!auth.ok) return;
    expect(auth.session.random2.toString('hex')).toBe('a1b2c3d4');
    expect(auth.session.esamSerial.toString('hex')).toBe(`8600${METER_1}`);
    expect(decodeControlResponse(await trip(auth.session, now()))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: true });
    expect(decodeControlResponse(await trip(auth.session, now(), 'directClose'))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false });
    expect(meter.controls.map((c) => [c.action, c.pa, c.operator, c.outcome])).toEqual([
      ['trip', 0x98, '00000042', 'ok'],
      ['directClose', 0x98, '00000042', 'ok'],
    ]);
  });

  it('refuses an encrypted command without a session: bit 3, identity authentication timed out', async () => {
    const { meter, now } = await start();
    const stale = { address: METER_1, keyVersion: 1, random1: Buffer.alloc(8, 0x3c), random2: Buffer.from([1, 2, 3, 4]), esamSerial: Buffer.from(`8600${METER_1}`, 'hex') };
    const reply = await trip(stale, now());
    expect(Array.from(reply.data)).toEqual([ControlErrorBit.identityAuthenticationTimeout, 0x00]);
    expect(controlSecurityCause(decodeControlResponse(reply))).toBe('session');
    expect(meter.relayStatus().relayOpen).toBe(false);
  });

  it('expires the session after its validity on the injected clock; a new authentication opens another', async () => {
    const { meter, advance, now } = await start(5);
    const first = await authenticate();
    if (!first.ok) throw new Error('authentication refused');
    advance(5 * 60_000 - 1);
    expect(decodeControlResponse(await trip(first.session, now()))).toEqual({ ok: true });
    advance(1);
    const expired = decodeControlResponse(await trip(first.session, now(), 'directClose'));
    expect(controlSecurityCause(expired)).toBe('session');
    expect(meter.esam?.authenticated).toBe(false);
    const second = await authenticate();
    if (!second.ok) throw new Error('authentication refused');
    expect(decodeControlResponse(await trip(second.session, now(), 'directClose'))).toEqual({ ok: true });
    expect(meter.controls.map((c) => c.outcome)).toEqual(['ok', 'session-expired', 'ok']);
  });

  it('refuses a wrong MAC with bit 1, and closes the session after three in a row', async () => {
    const { meter, now } = await start();
    const auth = await authenticate();
    if (!auth.ok) throw new Error('authentication refused');
    const good = decodeFrame(await esam.controlRequest(auth.session, { action: 'trip', deadline: new Date(now() + 60_000) }));
    const tampered = Uint8Array.from(good.data);
    tampered[8] = (tampered[8] ?? 0) ^ 0x01; // the MAC's last byte travels first
    const bad = encodeFrame({ ...good, data: tampered });
    for (let i = 1; i < MAC_FAILURES_CLOSING_SESSION; i++) {
      const reply = await harness.ask(bad);
      expect(Array.from(reply.data)).toEqual([ControlErrorBit.macError, 0x00]);
      expect(controlSecurityCause(decodeControlResponse(reply))).toBe('mac');
    }
    await harness.ask(bad);
    expect(meter.esam?.authenticated).toBe(false);
    expect(controlSecurityCause(decodeControlResponse(await harness.ask(encodeFrame(good))))).toBe('session');
    expect(meter.relayStatus().relayOpen).toBe(false);
  });

  it('refuses identity authentication under a key it does not hold: SERR bit 3', async () => {
    const { meter } = await start();
    const auth = await authenticate(2);
    expect(auth).toEqual({ ok: false, reason: 'identity-authentication', errorWord: SecurityErrorBit.identityAuthenticationFailed, flags: ['identityAuthenticationFailed'] });
    expect(meter.esam?.authenticated).toBe(false);
    expect(meter.esam?.records).toMatchObject([{ op: 'authenticate', outcome: 'identity-authentication' }]);
  });

  it('still checks the deadline of a decrypted command against the meter clock', async () => {
    const { meter, now } = await start();
    const auth = await authenticate();
    if (!auth.ok) throw new Error('authentication refused');
    const reply = await harness.ask(await esam.controlRequest(auth.session, { action: 'trip', deadline: new Date(now() - 1_000) }));
    expect(decodeControlResponse(reply)).toMatchObject({ ok: false, reason: 'expired' });
    expect(meter.controls).toMatchObject([{ action: 'trip', pa: 0x98, outcome: 'expired' }]);
  });

  it('sets the session validity with a MAC (070001FF) and closes the session on 070002FF with its wallet', async () => {
    const { meter, advance, now } = await start(5);
    const auth = await authenticate();
    if (!auth.ok) throw new Error('authentication refused');
    expect(decodeSecurityResponse(await harness.ask(await esam.validityRequest(auth.session, 30)))).toMatchObject({ ok: true, di: 0x070001ff });
    expect(meter.esam?.sessionMinutes).toBe(30);
    const forged = decodeFrame(await esam.validityRequest(auth.session, 31));
    const data = Uint8Array.from(forged.data);
    data[8] = 0x99; // 99 minutes, MAC of 31
    expect(decodeSecurityResponse(await harness.ask(encodeFrame({ ...forged, data })))).toMatchObject({ ok: false, reason: 'esam-verification' });
    const closed = decodeSecurityResponse(await harness.ask(esam.closeRequest(METER_1)));
    if (!closed.ok) throw new Error('invalidation refused');
    expect(decodeSessionClosed(closed.payload)).toMatchObject({ remainingFen: 10_000, purchaseCount: 0 });
    expect(controlSecurityCause(decodeControlResponse(await trip(auth.session, now())))).toBe('session');
    // a new session lasts the 30 minutes set
    const again = await authenticate();
    if (!again.ok) throw new Error('authentication refused');
    advance(29 * 60_000);
    expect(decodeControlResponse(await trip(again.session, now()))).toEqual({ ok: true });
  });
});
