// The ESAM meter's wallet on a pseudo-terminal: account opening and top-ups with the purchase
// count against replay (a replayed top-up and a skipped count are refused with their SERR bits),
// the customer number, the hoarding limit, the wallet status with the ESAM's MACs, and limits
// written with PA 99H / 98H and a MAC (a wrong MAC, no session or a plaintext level refused).
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataIdentifier,
  ErrorBit,
  decodeFrame,
  decodeMoneyFen,
  decodeReadResponse,
  decodeSecurityResponse,
  encodeFrame,
  encodeMoneyFen,
  encodeWriteRequest,
  parseControl,
} from '../../../protocols/dlt645/index.js';
import { EsamExchanges } from '../../../src/security/esam-exchanges.js';
import { SoftwareSecurityModule } from '../../../src/security/software-module.js';
import type { SecuritySession } from '../../../src/security/types.js';
import { Harness, METER_1, readRequest } from './fixtures.js';

const BAUD = 9600;
const CUSTOMER = '310000012345';
const harness = new Harness();
afterEach(() => harness.stop());

const module = new SoftwareSecurityModule([1], (n) => Buffer.alloc(n, 0x3c));
const esam = new EsamExchanges(module);

async function start(options: { customer?: string | null; purchaseCount?: number; remainingFen?: number; overdraftFen?: number; hoardingLimitFen?: number } = {}) {
  const { bus } = await harness.start({
    baudRate: BAUD,
    meters: [
      {
        address: METER_1,
        remainingFen: options.remainingFen ?? 1_000,
        overdraftFen: options.overdraftFen ?? 0,
        limits: { hoardingLimitFen: options.hoardingLimitFen ?? 99_999_900 },
        esam: { keyVersion: 1, customer: options.customer === undefined ? CUSTOMER : options.customer, purchaseCount: options.purchaseCount ?? 3 },
      },
    ],
  });
  const meter = bus.meter(METER_1);
  const ref = { address: METER_1, keyVersion: 1 };
  const { frame, challenge } = await esam.authenticationRequest(ref);
  const auth = esam.sessionFrom(ref, challenge, await harness.ask(frame));
  if (!auth.ok) throw new Error('authentication refused');
  return { meter, session: auth.session };
}

const outcomeOf = async (bytes: Buffer) => decodeSecurityResponse(await harness.ask(bytes));

describe('ESAM wallet on a pty', () => {
  it('tops up exactly once: the next purchase count is taken, a replay of the same frame is refused as a repeated top-up', async () => {
    const { meter, session } = await start();
    const topUp = await esam.purchaseRequest(session, { amountFen: 5_000, purchaseCount: 4, customer: CUSTOMER });
    expect(await outcomeOf(topUp)).toMatchObject({ ok: true, di: 0x070102ff });
    expect(meter.remainingFen).toBe(6_000);
    expect(meter.esam?.purchaseCount).toBe(4);
    expect(await outcomeOf(topUp)).toEqual({ ok: false, reason: 'repeated-top-up', errorWord: 0x0002, flags: ['repeatedTopUp'] });
    expect(meter.remainingFen).toBe(6_000);
  });

  it('refuses a purchase count that is not the next one, and a customer number that is not the meter’s', async () => {
    const { meter, session } = await start();
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 100, purchaseCount: 5, customer: CUSTOMER }))).toMatchObject({ ok: false, reason: 'purchase-count', errorWord: 0x0020 });
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 100, purchaseCount: 2, customer: CUSTOMER }))).toMatchObject({ ok: false, reason: 'purchase-count' });
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 100, purchaseCount: 4, customer: '310000099999' }))).toMatchObject({ ok: false, reason: 'customer-number', errorWord: 0x0010 });
    expect(meter.remainingFen).toBe(1_000);
    expect(meter.esam?.purchaseCount).toBe(3);
  });

  it('refuses a purchase whose MAC does not match its amount (ESAM verification failed)', async () => {
    const { meter, session } = await start();
    const good = decodeFrame(await esam.purchaseRequest(session, { amountFen: 100, purchaseCount: 4, customer: CUSTOMER }));
    const forged = Uint8Array.from(good.data);
    forged[8] = 0xff; // amount's low byte: 100 fen becomes 255 fen, MAC 1 unchanged
    expect(await outcomeOf(encodeFrame({ ...good, data: forged }))).toMatchObject({ ok: false, reason: 'esam-verification', errorWord: 0x0004 });
    expect(meter.remainingFen).toBe(1_000);
  });

  it('opens an account, binding the customer number, and repays overdraft first', async () => {
    const { meter, session } = await start({ customer: null, purchaseCount: 0, remainingFen: 0, overdraftFen: 300 });
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 1_000, purchaseCount: 1, customer: CUSTOMER, opening: true }))).toMatchObject({ ok: true, di: 0x070101ff });
    expect(meter.esam?.customer).toBe(CUSTOMER);
    expect(meter.overdraftFen).toBe(0);
    expect(meter.remainingFen).toBe(700);
  });

  it('refuses a purchase beyond the hoarding limit', async () => {
    const { meter, session } = await start({ hoardingLimitFen: 1_500 });
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 501, purchaseCount: 4, customer: CUSTOMER }))).toMatchObject({ ok: false, reason: 'hoarding-limit', errorWord: 0x0040 });
    expect(await outcomeOf(await esam.purchaseRequest(session, { amountFen: 500, purchaseCount: 4, customer: CUSTOMER }))).toMatchObject({ ok: true });
    expect(meter.remainingFen).toBe(1_500);
  });

  it('reports its wallet with MACs the security module verifies', async () => {
    const { session } = await start({ remainingFen: 4_321, purchaseCount: 7 });
    const status = await esam.walletFrom(session, await harness.ask(esam.statusRequest(METER_1)));
    expect(status).toMatchObject({ ok: true, macsValid: true, wallet: { remainingFen: 4_321, purchaseCount: 7, customer: CUSTOMER } });
    const otherSession: SecuritySession = { ...session, random2: Buffer.from([0, 0, 0, 0]) };
    expect(await esam.walletFrom(otherSession, await harness.ask(esam.statusRequest(METER_1)))).toMatchObject({ ok: true, macsValid: false });
  });

  it('writes limits with 99H and 98H, read back by 11H; refuses a wrong MAC and a plaintext level with ERR bit 2', async () => {
    const { meter, session } = await start();
    const ack = await harness.ask(await esam.writeRequest(session, DataIdentifier.alarmAmount1, encodeMoneyFen(3_000), 0x99));
    expect(parseControl(ack.control)).toMatchObject({ functionCode: 0x14, fromMeter: true, abnormal: false });
    expect(await harness.ask(await esam.writeRequest(session, DataIdentifier.alarmAmount2, encodeMoneyFen(1_500), 0x98))).toMatchObject({ control: 0x94 });
    expect(decodeMoneyFen(decodeReadResponse(await harness.ask(readRequest(METER_1, DataIdentifier.alarmAmount1))).payload)).toBe(3_000);
    expect(meter.limits).toMatchObject({ alarmLevel1Fen: 3_000, alarmLevel2Fen: 1_500 });

    const good = decodeFrame(await esam.writeRequest(session, DataIdentifier.alarmAmount1, encodeMoneyFen(9_900), 0x99));
    const forged = Uint8Array.from(good.data);
    forged[13] = 0x11; // the value (99.00 yuan becomes 11.00), MAC unchanged
    const refused = await harness.ask(encodeFrame({ ...good, data: forged }));
    expect(refused.control).toBe(0xd4);
    expect(Array.from(refused.data)).toEqual([ErrorBit.unauthorised]);
    const plaintext = await harness.ask(encodeWriteRequest(METER_1, DataIdentifier.alarmAmount1, encodeMoneyFen(9_900), { level: 0x02 }));
    expect(Array.from(plaintext.data)).toEqual([ErrorBit.unauthorised]);
    expect(meter.limits.alarmLevel1Fen).toBe(3_000);
  });
});
