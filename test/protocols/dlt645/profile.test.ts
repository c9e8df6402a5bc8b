// Reading profiles: the shipped ones load, each entry cites a section of the standard; a profile
// naming an unknown DI, a DI of the wrong width or one in the wrong slot is refused, naming it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { polledDataIdentifiers, showsRelayState, validateProfile } from '../../../protocols/dlt645/index.js';
import { DEFAULT_PROFILE_2007, Profiles, profilesDirectory } from '../../../src/profiles.js';

const base = {
  name: 'p', edition: '2007', model: 'test meter', source: 'DL/T 645-2007 Appendix A',
  energy: { di: '00010000', section: 'Appendix A, Table A.1' },
};
const refusal = (raw: unknown): string => {
  try {
    validateProfile(raw, 'p.json', 'p');
  } catch (err) {
    expect((err as { code?: string }).code).toBe('PROFILE_INVALID');
    return (err as Error).message;
  }
  throw new Error('profile was accepted');
};

describe('reading profiles', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('loads every shipped profile, each entry citing its section', () => {
    const profiles = Profiles.load(profilesDirectory(undefined));
    expect(profiles.names()).toEqual(expect.arrayContaining([
      'dlt645-2007-single-phase', 'dlt645-2007-remote-fee-control', 'dlt645-2007-three-phase', 'dlt645-1997-single-phase', 'dlt645-2007-combined-energy',
    ]));
    for (const name of profiles.names()) {
      const p = profiles.get(name);
      const entries = [p.energy, ...p.statusWords, ...(p.tariffs ?? []), ...p.values, ...p.events, ...(p.dailyFrozen ? [p.dailyFrozen.time, p.dailyFrozen.energy] : [])];
      for (const e of entries) expect(e.section).toMatch(/DL\/T 645-(2007|1997)|State Grid/);
    }
    expect(showsRelayState(profiles.get('dlt645-2007-remote-fee-control'))).toBe(true);
    expect(showsRelayState(profiles.get('dlt645-2007-single-phase'))).toBe(false);
    expect(polledDataIdentifiers(profiles.get(DEFAULT_PROFILE_2007))).toEqual([0x00010000, 0x04000503]);
    expect(profiles.get('dlt645-2007-three-phase').values.map((v) => v.name)).toEqual(['voltageBlock', 'currentBlock', 'activePowerTotal', 'powerFactorTotal']);
  });

  it('refuses an unknown DI, naming it and its key', () => {
    expect(refusal({ ...base, values: [{ di: '02010100', section: 'A.3 voltage' }, { di: '02990100', section: 'nowhere at all' }] }))
      .toBe('profile p.json: key "values.1.di": unknown data identifier 02990100: not in the DL/T 645-2007 table this codec decodes');
    expect(refusal({ ...base, edition: '1997', energy: { di: '9999', section: '1997 appendix' } })).toContain('unknown data identifier 9999');
  });

  it('refuses a DI of the wrong width, in the wrong slot, or listed twice', () => {
    expect(refusal({ ...base, energy: { di: '9010', section: 'the 1997 DI' } })).toContain('has 8 hex digits (got "9010")');
    expect(refusal({ ...base, energy: { di: '02010100', section: 'voltage' } })).toContain('02010100 (phaseAVoltage) is not a total active energy register');
    expect(refusal({ ...base, statusWords: [{ di: '00010000', section: 'energy' }] })).toContain('is not a status word');
    expect(refusal({ ...base, values: [{ di: '02010100', section: 'voltage' }, { di: '02010100', section: 'again voltage' }] })).toContain('listed twice');
    expect(refusal({ ...base, edition: '1997', energy: { di: '9010', section: 'DL/T 645-1997' }, statusWords: [{ di: '0503', section: 'not in 1997' }] })).toContain('no status words');
    expect(refusal({ ...base, name: 'other' })).toContain('must be the file name "p"');
    expect(refusal({ ...base, energy: { di: '00010000' } })).toContain('key "energy.section"');
  });

  it('stops loading at a bad profile in a directory, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'feikong-profiles-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, name: 'bad', values: [{ di: 'ABCDEF01', section: 'made up entirely' }] }));
    expect(() => Profiles.load(dir)).toThrow(/bad\.json: key "values\.0\.di": unknown data identifier ABCDEF01/);
  });
});
