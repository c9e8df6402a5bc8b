// Authenticated remote control over the daemon's Bus and driver, against the ESAM simulator on a
// pseudo-terminal: authenticate → encrypted 1CH; a session gone before the command is
// authenticated again once (not twice); a refused authentication and an unknown key version are
// outcomes of their own; the exchanges on the line are exactly the ones the lifecycle says.
import { afterEach, describe, expect, it } from 'vitest';
import { ControlErrorBit, FunctionCode, encodeControlResponse } from '../../protocols/dlt645/index.js';
import { behaviours, forFunction, send, type Behaviour } from '../../simulators/dlt645/index.js';
import { EsamControl } from '../../src/commands/esam-control.js';
import { SoftwareSecurityModule } from '../../src/security/software-module.js';
import { Cleanup, address, serialBus, startSim } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const METER = address(161);
const esam = new EsamControl(new SoftwareSecurityModule([1, 2], (n) => Buffer.alloc(n, 0x3c)));
const deadline = () => new Date(Date.now() + 10 * 60_000);

/** Answers the next `times` 1CH with "identity authentication timed out" (bit 3), as a meter whose session just ran out. */
function sessionGone(times: number): Behaviour {
  let left = times;
  return {
    name: 'session-gone',
    onRequest: (frame, meter) => {
      if (!forFunction(FunctionCode.Control)(frame) || left === 0) return undefined;
      left--;
      return send(Buffer.concat([Buffer.alloc(meter.preamble, 0xfe), encodeControlResponse(meter.address, { ok: false, reason: 'unauthorised', errorWord: ControlErrorBit.identityAuthenticationTimeout })]));
    },
  };
}

async function line(meterOptions: Record<string, unknown> = {}) {
  const { sim, seen } = await startSim(cleanup, { meters: [{ address: METER, esam: { keyVersion: 1 }, ...meterOptions }] });
  const { driver } = serialBus(cleanup, sim.devicePath!, 9600);
  const functions = () => seen.map((r) => r.functionCode);
  return { sim, driver, functions, meter: sim.meter(METER) };
}

describe('ESAM control through the driver', () => {
  it('authenticates, then sends the encrypted trip: two exchanges, the relay opens', async () => {
    const { driver, functions, meter } = await line();
    expect(await esam.control(driver, { address: METER, keyVersion: 1, operatorCode: '00000007' }, 'trip', deadline())).toEqual({ kind: 'accepted', authentications: 1 });
    expect(functions()).toEqual([0x03, 0x1c]);
    expect(meter.relayStatus().relayOpen).toBe(true);
    expect(meter.controls).toMatchObject([{ action: 'trip', pa: 0x98, operator: '00000007', outcome: 'ok' }]);
  });

  it('authenticates again once when the meter says the session is gone', async () => {
    const { driver, functions, meter } = await line();
    meter.addBehaviour(sessionGone(1));
    expect(await esam.control(driver, { address: METER, keyVersion: 1 }, 'trip', deadline())).toEqual({ kind: 'accepted', authentications: 2 });
    expect(functions()).toEqual([0x03, 0x1c, 0x03, 0x1c]);
    expect(meter.relayStatus().relayOpen).toBe(true);
  });

  it('does not authenticate a third time: a session gone twice is a refusal', async () => {
    const { driver, functions, meter } = await line();
    meter.addBehaviour(sessionGone(5));
    const result = await esam.control(driver, { address: METER, keyVersion: 1 }, 'trip', deadline());
    expect(result).toMatchObject({ kind: 'refused', authentications: 2, outcome: { ok: false, reason: 'unauthorised', flags: ['identityAuthenticationTimeout'] } });
    expect(functions()).toEqual([0x03, 0x1c, 0x03, 0x1c]);
    expect(meter.relayStatus().relayOpen).toBe(false);
  });

  it('reports a refused identity authentication as its own outcome and sends no 1CH', async () => {
    const { driver, functions, meter } = await line({ esam: { keyVersion: 2 } });
    expect(await esam.control(driver, { address: METER, keyVersion: 1 }, 'trip', deadline())).toEqual({ kind: 'authentication-failed', reason: 'identity-authentication', errorWord: 0x0008 });
    expect(functions()).toEqual([0x03]);
    expect(meter.controls).toEqual([]);
  });

  it('reports a key version the module lacks without touching the line', async () => {
    const { driver, functions } = await line();
    const result = await esam.control(driver, { address: METER, keyVersion: 7 }, 'trip', deadline());
    expect(result).toMatchObject({ kind: 'key-version-unknown' });
    expect(functions()).toEqual([]);
  });

  it('passes other refusals through: the meter is under keep-power', async () => {
    const { driver, meter } = await line();
    meter.addBehaviour(behaviours.refuseRelayCommand({ reason: 'keep-power' }));
    expect(await esam.control(driver, { address: METER, keyVersion: 1 }, 'trip', deadline())).toMatchObject({ kind: 'refused', authentications: 1, outcome: { reason: 'keep-power' } });
  });
});
