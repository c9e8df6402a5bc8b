// The published third-party frames (test/fixtures/dlt645-vectors.json) replayed by stub meters
// over a pseudo-terminal, byte for byte, and every value they carry read through the daemon and
// its API: energy 0.26 kWh, phase A voltage 100.1 V and current 4.999 A (a reply whose checksum
// is 16H) of meter 000000000161, grid frequency 50.03 Hz of meter 171118445100 (four FEH before
// its reply), and the DL/T 645-1997 phase A voltage 100 V of meter 000000000003. The published
// set has no active power or power factor reply: those DIs are asked and counted as not answered.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../simulators/pty.js';
import { replayFrames, startDlt645Bus } from '../../simulators/dlt645/index.js';
import { profilesDirectory } from '../../src/profiles.js';
import { loadVectors } from '../protocols/dlt645/helpers.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('published frames through the daemon', () => {
  it('reads every published value through the API from stub meters replaying them', async () => {
    const vectors = loadVectors();
    const replies = vectors.filter((v) => /response/.test(v.id) && !/relay|address|meter-number/.test(v.id)).map((v) => v.hex);
    expect(replies).toHaveLength(5);
    // The shipped profiles, and one for a meter read for its grid frequency.
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'feikong-profiles-')), (d) => rmSync(d, { recursive: true, force: true }));
    cpSync(profilesDirectory(undefined), dir, { recursive: true });
    writeFileSync(join(dir, 'grid-frequency.json'), JSON.stringify({
      name: 'grid-frequency', edition: '2007', model: 'a meter read for the grid frequency', source: 'DL/T 645-2007 Appendix A',
      energy: { di: '00010000', section: 'DL/T 645-2007 Appendix A, Table A.1: 00010000' },
      values: [{ di: '02800002', section: 'DL/T 645-2007 Appendix A, Table A.3: 02800002 电网频率, XX.XX Hz' }],
    }));

    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    // Stub meters: they answer the published replies and "no requested data" to anything else.
    const stub = { registers: [] as number[], behaviours: [replayFrames(replies)] };
    cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 9600, responseDelayMs: 20,
      meters: [{ address: '000000000161', ...stub }, { address: '171118445100', ...stub }, { address: '000000000003', edition: '1997', ...stub }],
    }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 9600 }],
      polling: { ...TEST_POLLING, intervalMs: 400, profilesDir: dir }, engine: { sweepIntervalMs: 3_600_000 },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Wang Fang' } });
    for (const [id, address, profile, edition] of [
      ['m-161', '000000000161', 'dlt645-2007-single-phase', '2007'], ['m-freq', '171118445100', 'grid-frequency', '2007'], ['m-97', '000000000003', 'dlt645-1997-single-phase', '1997'],
    ] as const) {
      const res = await fk.api('POST', '/v1/meters', { body: { id, accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address, profile, edition } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    const meter = async (id: string) => (await fk.api('GET', `/v1/meters/${id}`, { role: 'read-only' })).body;
    const m161 = await eventually(async () => {
      const m = await meter('m-161');
      expect(m.lastEnergyWh).toBe(260); // 000000.26 kWh
      expect(m.live).toMatchObject({ phaseAVoltage: { value: 100.1, unit: 'V' }, phaseACurrent: { value: 4.999, unit: 'A' } });
      return m;
    }, 30_000);
    // Not published: asked, refused by the stub, counted.
    const unanswered = m161.dataIdentifiers.filter((d: { di: string }) => d.di === '02030000' || d.di === '02060000');
    expect(unanswered.map((d: { missReason: string }) => d.missReason)).toEqual(['no-requested-data', 'no-requested-data']);

    await eventually(async () => expect((await meter('m-freq')).live).toMatchObject({ frequency: { value: 50.03, unit: 'Hz' } }), 30_000);
    // The 1997 stub answers only B611: its energy (9010) is refused, yet the voltage is kept.
    const m97 = await eventually(async () => {
      const m = await meter('m-97');
      expect(m.live).toMatchObject({ phaseAVoltage: { value: 100, unit: 'V' } });
      return m;
    }, 30_000);
    expect(m97.lastEnergyWh).toBeNull();
    expect(m97.dataIdentifiers.find((d: { di: string }) => d.di === '9010')).toMatchObject({ missReason: 'no-requested-data' });
    // An on-demand read returns the values too.
    const read = await fk.api('POST', '/v1/meters/m-161/read', { role: 'operator' });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ energyWh: 260, live: { phaseAVoltage: { value: 100.1 }, phaseACurrent: { value: 4.999 } } });
  }, 120_000);
});
