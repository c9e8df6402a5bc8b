// Function codes beyond read and control: abnormal replies, follow-up reads, write, password,
// clears, broadcast time, freeze, baud rate, addresses, and the 1997 read path.
import { describe, expect, it } from 'vitest';
import {
  ALL_EVENTS,
  DataIdentifier,
  FunctionCode,
  decode1997ReadResponse,
  decodeAck,
  decodeBroadcastTimeRequest,
  decodeChangeBaudRequest,
  decodeChangeBaudResponse,
  decodeChangePasswordRequest,
  decodeClearRequest,
  decodeEventClearRequest,
  decodeFrame,
  decodeFreezeRequest,
  decodeReadFollowUpRequest,
  decodeReadResponse,
  decodeWriteAddressRequest,
  decodeWriteRequest,
  encodeAbnormalResponse,
  encodeAck,
  encodeBroadcastTimeRequest,
  encodeChangeBaudRequest,
  encodeChangeBaudResponse,
  encodeChangePasswordRequest,
  encodeChangePasswordResponse,
  encodeEventClearRequest,
  encodeFreezeRequest,
  encodeMaxDemandClearRequest,
  encodeMeterClearRequest,
  encodeMoneyFen,
  encodeReadFollowUpRequest,
  encodeReadResponse,
  encodeWriteAddressRequest,
  encodeWriteRequest,
  isDlt645Error,
  type Dlt645Error,
} from '../../../protocols/dlt645/index.js';
import { hex, toHex } from './helpers.js';

function thrown(fn: () => unknown): Dlt645Error {
  try {
    fn();
  } catch (e) {
    if (isDlt645Error(e)) return e;
    throw e;
  }
  throw new Error('expected a Dlt645Error');
}

describe('abnormal replies', () => {
  it('turn a read refusal into METER_ABNORMAL with named flags', () => {
    const frame = decodeFrame(encodeAbnormalResponse('000000000161', FunctionCode.Read, 0x02));
    expect(frame.control).toBe(0xd1);
    const e = thrown(() => decodeReadResponse(frame));
    expect(e.code).toBe('METER_ABNORMAL');
    expect(e.context).toMatchObject({ errorWord: 0x02, flags: ['noRequestedData'], functionCode: 0x11 });
  });

  it('name every 2007 error bit', () => {
    const e = thrown(() => decodeReadResponse(decodeFrame(encodeAbnormalResponse('000000000161', FunctionCode.Read, 0xff))));
    expect(e.context.flags).toEqual([
      'other',
      'noRequestedData',
      'unauthorised',
      'baudRateNotChangeable',
      'tooManyYearlyTimeZones',
      'tooManyDailyPeriods',
      'tooManyTariffs',
      'bit7',
    ]);
  });

  it('use the 1997 names on a 1997 reply', () => {
    const frame = decodeFrame(hex('68 03 00 00 00 00 00 68 C1 01 35 CA 16'));
    const e = thrown(() => decode1997ReadResponse(frame));
    expect(e.context).toMatchObject({ errorWord: 0x02, flags: ['dataIdentifierError'] });
  });

  it('refuse a reply to another function', () => {
    const reply = decodeFrame(encodeAck('000000000001', FunctionCode.Write));
    expect(thrown(() => decodeReadResponse(reply)).code).toBe('FRAME_UNEXPECTED');
  });
});

describe('follow-up reads (12H)', () => {
  it('carry the sequence number in request and reply', () => {
    const req = decodeFrame(encodeReadFollowUpRequest('000000000001', 0x06000001, 3));
    expect(decodeReadFollowUpRequest(req)).toEqual({ di: 0x06000001, sequence: 3 });
    const reply = decodeFrame(encodeReadResponse('000000000001', 0x06000001, Uint8Array.of(1, 2), { sequence: 3, followUp: true }));
    expect(reply.control).toBe(0xb2);
    expect(decodeReadResponse(reply)).toEqual({ di: 0x06000001, payload: Uint8Array.of(1, 2), followUp: true, sequence: 3 });
  });
});

describe('write (14H)', () => {
  it('carries DI, PA, password, operator and value', () => {
    const bytes = encodeWriteRequest('000000000001', DataIdentifier.alarmAmount1, encodeMoneyFen(5000), {
      level: 0x02,
      password: '123456',
      operator: '0000ABCD',
    });
    expect(decodeWriteRequest(decodeFrame(bytes))).toEqual({
      di: 0x04001001,
      pa: 0x02,
      password: '123456',
      operator: '0000ABCD',
      value: Uint8Array.from(encodeMoneyFen(5000)),
    });
    expect(decodeAck(decodeFrame(encodeAck('000000000001', FunctionCode.Write)), FunctionCode.Write)).toEqual(new Uint8Array(0));
    const refused = decodeFrame(encodeAbnormalResponse('000000000001', FunctionCode.Write, 0x04));
    expect(thrown(() => decodeAck(refused, FunctionCode.Write)).context).toMatchObject({ flags: ['unauthorised'] });
  });
});

describe('change password (18H)', () => {
  it('names the level in the DI and carries old and new passwords', () => {
    const bytes = encodeChangePasswordRequest('000000000001', { level: 0, password: '000000' }, { level: 4, password: '654321' });
    expect(decodeChangePasswordRequest(decodeFrame(bytes))).toEqual({
      di: 0x04000c05,
      current: { level: 0, password: '000000' },
      next: { level: 4, password: '654321' },
    });
    const reply = decodeFrame(encodeChangePasswordResponse('000000000001', { level: 4, password: '654321' }));
    expect(toHex(decodeAck(reply, FunctionCode.ChangePassword))).toBe('04 21 43 65');
  });
});

describe('clears (19H, 1AH, 1BH)', () => {
  it('meter clear and maximum demand clear carry credentials', () => {
    const mc = decodeFrame(encodeMeterClearRequest('000000000001', { operator: '00000001' }));
    expect(decodeClearRequest(mc, FunctionCode.MeterClear)).toMatchObject({ pa: 0x02, password: '000000', operator: '00000001' });
    const md = decodeFrame(encodeMaxDemandClearRequest('000000000001'));
    expect(decodeClearRequest(md, FunctionCode.MaxDemandClear).extra.length).toBe(0);
  });

  it('event clear names the event, FFFFFFFF for all', () => {
    const ec = decodeFrame(encodeEventClearRequest('000000000001', ALL_EVENTS));
    expect(decodeEventClearRequest(ec)).toMatchObject({ eventDi: 0xffffffff });
  });
});

describe('broadcast time (08H)', () => {
  it('goes to 999999999999 as ss mm hh DD MM YY in meter time', () => {
    const when = new Date('2026-11-22T08:00:05+08:00');
    const frame = decodeFrame(encodeBroadcastTimeRequest(when));
    expect(frame.address).toBe('999999999999');
    expect(frame.control).toBe(0x08);
    expect(toHex(frame.data)).toBe('05 00 08 22 11 26');
    expect(decodeBroadcastTimeRequest(frame).time?.toISOString()).toBe(when.toISOString());
  });
});

describe('freeze (16H)', () => {
  it.each([
    ['now', 'now', '99 99 99 99'],
    ['hourly at minute 30', { minute: 30 }, '30 99 99 99'],
    ['daily at 00:00', { minute: 0, hour: 0 }, '00 00 99 99'],
    ['monthly on the 1st at 00:00', { minute: 0, hour: 0, day: 1 }, '00 00 01 99'],
    ['once on 12-31 23:59', { minute: 59, hour: 23, day: 31, month: 12 }, '59 23 31 12'],
  ] as const)('%s', (_name, when, data) => {
    const frame = decodeFrame(encodeFreezeRequest('999999999999', when));
    expect(toHex(frame.data)).toBe(data);
    expect(decodeFreezeRequest(frame)).toEqual({ when });
  });

  it('refuses a schedule with a gap', () => {
    expect(thrown(() => encodeFreezeRequest('000000000001', { minute: 0, day: 1 })).code).toBe('VALUE_INVALID');
  });
});

describe('change baud rate (17H)', () => {
  it('sends and echoes the feature word', () => {
    const req = decodeFrame(encodeChangeBaudRequest('000000000001', 9600));
    expect(toHex(req.data)).toBe('20');
    expect(decodeChangeBaudRequest(req)).toEqual({ baud: 9600 });
    expect(decodeChangeBaudResponse(decodeFrame(encodeChangeBaudResponse('000000000001', 9600)))).toEqual({ baud: 9600 });
    const refused = decodeFrame(encodeAbnormalResponse('000000000001', FunctionCode.ChangeBaud, 0x08));
    expect(thrown(() => decodeChangeBaudResponse(refused)).context).toMatchObject({ flags: ['baudRateNotChangeable'] });
    expect(thrown(() => encodeChangeBaudRequest('000000000001', 115200)).code).toBe('VALUE_INVALID');
  });
});

describe('write address (15H)', () => {
  it('goes to the wildcard address and carries the new one', () => {
    const frame = decodeFrame(encodeWriteAddressRequest('000012345678'));
    expect(frame.address).toBe('AAAAAAAAAAAA');
    expect(decodeWriteAddressRequest(frame)).toEqual({ newAddress: '000012345678' });
  });
});
