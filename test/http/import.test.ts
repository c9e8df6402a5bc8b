// Bulk import of accounts and meters from CSV: good rows are created, bad rows reported with their
// row number and field; a dry run creates nothing; the header is checked; admin only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { parseCsv } from '../../src/fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../../src/fleet.js';
import { fieldWords, patternWords } from '../../src/field-words.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }] });
});
afterAll(async () => fk?.stop());

async function postCsv(path: string, csv: string, role: 'admin' | 'operator' = 'admin', contentType = 'text/csv') {
  const res = await fetch(`${fk.daemon.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${fk.keys[role]}`, 'content-type': contentType }, body: csv });
  return { status: res.status, body: await res.json() as any };
}

describe('parseCsv', () => {
  it('reads quotes, doubled quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFid,name\r\n1,"Wang, Fang"\r\n2,"say ""hi""\nthere"\n')).toEqual([
      ['id', 'name'], ['1', 'Wang, Fang'], ['2', 'say "hi"\nthere'],
    ]);
  });
});

describe('POST /v1/import/accounts', () => {
  it('creates the good rows and reports each bad one with its row and field', async () => {
    const csv = [
      'id,name,category,creditGrade,protected,pricePerKwh,alarmLevel1Fen,alarmLevel2Fen',
      'imp-1,王芳,residential,A,false,0.5283,3000,1500',
      'imp-2,"Li, Na",,B,yes,,,',
      'imp-3,Chen Jie,,E,,,,',
      'imp-4,Bad Levels,,,,,100,5000',
      'imp-5,Bad Number,,,,,twenty,',
      'imp-1,Duplicate,,,,,,',
      ',No Id,,,,,,',
      'imp-6,Short row',
    ].join('\n');
    const res = await postCsv('/v1/import/accounts', csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'accounts', dryRun: false, rows: 8, created: 2, createdIds: ['imp-1', 'imp-2'] });
    const errors = res.body.errors.map((e: { row: number; field: string | null; code: string }) => [e.row, e.field, e.code]);
    expect(errors).toEqual([
      [4, 'creditGrade', 'VALIDATION'],
      [5, 'levels', 'VALIDATION'],
      [6, 'alarmLevel1Fen', 'VALIDATION'],
      [7, 'id', 'CONFLICT'],
      [8, 'id', 'VALIDATION'],
      [9, null, 'VALIDATION'],
    ]);
    const li = (await fk.api('GET', '/v1/accounts/imp-2')).body;
    expect(li).toMatchObject({ name: 'Li, Na', protected: true, creditGrade: 'B', alarmLevel1Fen: 2000 });
    expect((await fk.api('GET', '/v1/accounts/imp-1')).body).toMatchObject({ name: '王芳', creditGrade: 'A', alarmLevel1Fen: 3000 });
    const audit = fk.daemon.repos.db.prepare("SELECT actor, detail FROM audit WHERE action = 'import-accounts'").get() as { actor: string; detail: string };
    expect(audit.actor).toBe('key:test-admin');
    expect(JSON.parse(audit.detail)).toEqual({ rows: 8, created: 2, errors: 6 });
  });

  it('checks everything and creates nothing in a dry run', async () => {
    const res = await postCsv('/v1/import/accounts?dryRun=true', 'id,name\ndry-1,A\ndry-2,B\ndry-1,again\n');
    expect(res.body).toMatchObject({ dryRun: true, rows: 3, created: 2 });
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([4]);
    expect((await fk.api('GET', '/v1/accounts/dry-1')).status).toBe(404);
  });

  it('refuses unknown or missing columns as a whole, other content types, and non-admin keys', async () => {
    const unknown = await postCsv('/v1/import/accounts', 'id,name,balanceFen\nx,y,100\n');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('balanceFen');
    const missing = await postCsv('/v1/import/accounts', 'id\nx\n');
    expect(missing.body.error.message).toContain('name');
    expect((await postCsv('/v1/import/accounts', '')).status).toBe(400);
    expect((await postCsv('/v1/import/accounts', 'id,name\nq,r\n', 'admin', 'text/plain')).status).toBe(415);
    expect((await postCsv('/v1/import/accounts', 'id,name\nq,r\n', 'operator')).status).toBe(403);
    expect((await fk.api('GET', '/v1/accounts/q')).status).toBe(404);
  });
});

describe('row errors in words', () => {
  /** A regular expression's marks: none of them belongs in a message for a person. */
  const REGEX = /\^|\$'|\\d|\{\d+,\d*\}|\[A-Za-z/;

  it('list the allowed values and describe the expected form, with the cell that was given', async () => {
    const csv = [
      'id,name,creditGrade,protected,pricePerKwh,alarmLevel1Fen,levelOverrides',
      'w-1,Grade,E,,,,',
      'w 2,Bad Id,,,,,',
      'w-3,Price,,,"1,5",,',
      'w-4,Protected,,maybe,,,',
      'w-5,Money,,,,twenty,',
      'w-6,Overrides,,,,,{alarmLevel1',
      'w-7,,,,,,',
    ].join('\n');
    const res = await postCsv('/v1/import/accounts?dryRun=true', csv);
    const messages = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(messages).toEqual({
      creditGrade: 'creditGrade: expected one of A, B, C, D; got "E"',
      id: 'id: expected 1 to 64 characters: letters, digits and _ . : -; got "w 2"',
      pricePerKwh: expect.stringMatching(/^pricePerKwh: expected a decimal number with up to 4 digits before the point and up to 6 after it, e\.g\. 0\.5283 — yuan per kWh .*; got "1,5"$/),
      protected: 'protected: expected true or false (also yes/no, y/n, 1/0, 是/否); got "maybe"',
      alarmLevel1Fen: 'alarmLevel1Fen: expected a whole number from -1000000000000 to 1000000000000 — money in fen (0.01 yuan); got "twenty"',
      levelOverrides: expect.stringContaining('levelOverrides: expected a JSON object with any of alarmLevel1, alarmLevel2, cutoffLevel, restoreLevel'),
      name: 'name is required: 1 to 200 characters',
    });
    for (const m of Object.values(messages)) expect(m).not.toMatch(REGEX);

    const meters = await postCsv('/v1/import/meters?dryRun=true', 'id,accountId,protocol,busId,address\nwm-1,imp-1,iec,line-1,000000000201\n');
    expect(meters.body.errors).toEqual([expect.objectContaining({
      field: 'protocol', message: expect.stringContaining('protocol: expected one of dlt645, mqtt, modbus-rtu, modbus-tcp'),
    })]);
    expect(meters.body.errors[0].message).not.toMatch(REGEX);
  });

  it('have words for every pattern and field of the import schemas', () => {
    for (const schema of [AccountInputSchema, MeterInputSchema]) {
      for (const [name, field] of Object.entries(schema.properties)) {
        const pattern = (field as { pattern?: string }).pattern;
        if (pattern !== undefined) expect(patternWords(pattern), `${name}: ${pattern}`).toBeDefined();
        expect(fieldWords(field), name).not.toMatch(REGEX);
      }
    }
  });
});

describe('POST /v1/import/meters', () => {
  it('creates meters on configured buses and reports bad rows', async () => {
    const csv = [
      'id,accountId,protocol,busId,address,supportsDirectClose',
      'im-1,imp-1,dlt645,line-1,000000000101,true',
      'im-2,imp-2,dlt645,line-1,000000000102,0',
      'im-3,imp-2,dlt645,nowhere,000000000103,',
      'im-4,nobody,dlt645,line-1,000000000104,',
      'im-5,imp-1,dlt645,line-1,000000000101,',
      'im-6,imp-1,dlt645,line-1,12345,',
    ].join('\n');
    const res = await postCsv('/v1/import/meters', csv);
    expect(res.body).toMatchObject({ rows: 6, created: 2, createdIds: ['im-1', 'im-2'] });
    expect(res.body.errors.map((e: { row: number; code: string; field: string }) => [e.row, e.code, e.field])).toEqual([
      [4, 'BUS_UNKNOWN', 'busId'], [5, 'ACCOUNT_NOT_FOUND', 'accountId'], [6, 'CONFLICT', 'address'], [7, 'VALIDATION', 'address'],
    ]);
    expect((await fk.api('GET', '/v1/meters/im-2')).body).toMatchObject({ accountId: 'imp-2', supportsDirectClose: false });
  });

  it('takes the edition, reading profile and 0x1C credentials of DL/T 645 meters, checking each', async () => {
    const csv = [
      'id,accountId,protocol,busId,address,edition,profile,passwordLevel,password,operatorCode',
      'ip-1,imp-1,dlt645,line-1,000000000201,1997,dlt645-1997-single-phase,,,',
      'ip-2,imp-1,dlt645,line-1,000000000202,auto,dlt645-2007-three-phase,4,A1B2C3,0000ABCD',
      'ip-3,imp-1,dlt645,line-1,000000000203,2007,no-such-profile,,,',
      'ip-4,imp-1,dlt645,line-1,000000000204,2007,dlt645-1997-single-phase,,,',
      'ip-5,imp-1,dlt645,line-1,000000000205,2008,,,,',
      'ip-6,imp-1,dlt645,line-1,000000000206,,,3,,',
    ].join('\n');
    const res = await postCsv('/v1/import/meters', csv);
    expect(res.body).toMatchObject({ rows: 6, created: 2, createdIds: ['ip-1', 'ip-2'] });
    expect(res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([[4, 'profile'], [5, 'profile'], [6, 'edition'], [7, 'passwordLevel']]);
    expect(JSON.stringify(res.body)).not.toContain('A1B2C3');
    expect((await fk.api('GET', '/v1/meters/ip-1')).body).toMatchObject({ edition: '1997', profile: 'dlt645-1997-single-phase', ownCredentials: false });
    expect((await fk.api('GET', '/v1/meters/ip-2')).body).toMatchObject({ edition: 'auto', profile: 'dlt645-2007-three-phase', ownCredentials: true });
  });
});
