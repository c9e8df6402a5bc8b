// The meter model without a line: energy integration, tariff split and the 0x1C relay rules,
// driven by a hand-moved clock.
import { describe, expect, it } from 'vitest';
import { DataIdentifier, decodeControlRequest, decodeFrame, encodeReadRequest } from '../../../protocols/dlt645/index.js';
import { SimMeter, behaviours, type SimMeterOptions } from '../../../simulators/dlt645/index.js';
import { METER_1, controlRequest } from './fixtures.js';

/** 2026-01-01 00:00 in the meter's local time (UTC+8). */
const LOCAL_MIDNIGHT = Date.UTC(2025, 11, 31, 16, 0, 0);

function meterWithClock(options: Partial<SimMeterOptions> = {}): { meter: SimMeter; advance(ms: number): void; now(): number } {
  let now = LOCAL_MIDNIGHT;
  const meter = new SimMeter({ address: METER_1, ...options }, () => now);
  return { meter, advance: (ms) => (now += ms), now: () => now };
}

function command(action: Parameters<typeof controlRequest>[1], at: number, options: { password?: string; deadline?: Date } = {}) {
  return decodeControlRequest(decodeFrame(controlRequest(METER_1, action, { deadline: new Date(at + 60_000), ...options })));
}

describe('meter energy', () => {
  it('loses nothing below one Wh: 1 W read every second for an hour is exactly 1 Wh', () => {
    const { meter, advance } = meterWithClock({ loadW: 1 });
    for (let i = 0; i < 3_600; i++) {
      advance(1_000);
      expect(meter.energyWh).toBeLessThanOrEqual(1);
    }
    expect(meter.energyWh).toBe(1);
  });

  it('splits a day across the default time-of-use periods, tariffs adding up to the total', () => {
    const { meter, advance } = meterWithClock({ loadW: 1_000 });
    advance(24 * 3_600_000);
    expect(meter.energyWh).toBe(24_000);
    // valley 23:00–07:00 (8 h), peak 08–11 and 18–23 (8 h), flat the other 8 h
    expect([1, 2, 3, 4].map((t) => meter.tariffEnergyWh(t as 1 | 2 | 3 | 4))).toEqual([0, 8_000, 8_000, 8_000]);
  });

  it('uses a configurable tariff-period function of the meter clock', () => {
    const { meter, advance } = meterWithClock({ loadW: 600, energyWh: 100, tariffWh: [0, 0, 100, 0], tariffPeriod: () => 1 });
    advance(3_600_000);
    expect(meter.energyWh).toBe(700);
    expect(meter.tariffEnergyWh(1)).toBe(600);
    expect(meter.tariffEnergyWh(3)).toBe(100);
  });

  it('stops counting at the moment a delayed trip opens the relay', () => {
    const { meter, advance, now } = meterWithClock({ loadW: 3_600, tripDelayMs: 10 * 60_000 });
    expect(meter.applyControl(command('trip', now()))).toBe('ok');
    expect(meter.relayStatus()).toMatchObject({ relayCommandOpen: true, relayOpen: false });
    advance(30 * 60_000);
    expect(meter.relayStatus()).toMatchObject({ relayCommandOpen: true, relayOpen: true });
    expect(meter.energyWh).toBe(600);
    expect(meter.powerW).toBe(0);
  });
});

describe('meter relay control (0x1C)', () => {
  it('checks the password before the deadline, and records every command', () => {
    const { meter, now } = meterWithClock({ password: '112233' });
    const stale = { password: '000000', deadline: new Date(now() - 1_000) };
    expect(meter.applyControl(command('trip', now(), stale))).toBe('unauthorised');
    expect(meter.applyControl(command('trip', now(), { password: '112233', deadline: new Date(now() - 1_000) }))).toBe('expired');
    expect(meter.applyControl(command('trip', now(), { password: '112233' }))).toBe('ok');
    expect(meter.controls.map((c) => [c.action, c.outcome])).toEqual([
      ['trip', 'unauthorised'],
      ['trip', 'expired'],
      ['trip', 'ok'],
    ]);
  });

  it('keep-power drops a trip still waiting out its delay', () => {
    const { meter, advance, now } = meterWithClock({ tripDelayMs: 5_000 });
    meter.applyControl(command('trip', now()));
    expect(meter.applyControl(command('keepPower', now()))).toBe('ok');
    advance(10_000);
    expect(meter.relayStatus()).toMatchObject({ relayOpen: false, keepPower: true });
  });

  it('the button does nothing without a close-permit', () => {
    const { meter, now } = meterWithClock({ initiallyOpen: true });
    expect(meter.pressButton()).toBe(false);
    expect(meter.relayStatus().relayOpen).toBe(true);
    meter.applyControl(command('closePermitted', now()));
    expect(meter.relay.awaitingButton).toBe(true);
    expect(meter.pressButton()).toBe(true);
    expect(meter.pressButton()).toBe(false);
  });

  it('alarm and alarm release drive the pre-trip alarm bit', () => {
    const { meter, now } = meterWithClock();
    meter.applyControl(command('alarm', now()));
    expect(meter.relayStatus().preTripAlarm).toBe(true);
    meter.applyControl(command('alarmRelease', now()));
    expect(meter.relayStatus().preTripAlarm).toBe(false);
  });
});

describe('meter behaviours', () => {
  it('a once-behaviour answers one request and is gone', () => {
    const { meter } = meterWithClock();
    meter.addBehaviour(behaviours.silence({ once: true }));
    const read = decodeFrame(encodeReadRequest(METER_1, DataIdentifier.forwardActiveTotal));
    expect(meter.handleRequest(read).kind).toBe('silent');
    expect(meter.behaviours).toHaveLength(0);
    expect(meter.handleRequest(read).kind).toBe('send');
  });

  it('rejects bad options with the name of what is wrong', () => {
    expect(() => new SimMeter({ address: '12345' })).toThrow(/address/);
    expect(() => new SimMeter({ address: METER_1, loadW: -1 })).toThrow(/load/);
    expect(() => new SimMeter({ address: METER_1, tripDelayMs: -5 })).toThrow(/tripDelayMs/);
  });
});
