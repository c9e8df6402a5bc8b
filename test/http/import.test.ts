// Bulk import of accounts and meters from CSV: good rows are created, bad rows reported with their
// row number and field; a dry run creates nothing; the header is checked; admin only. Encodings
// (GBK, GB18030, UTF-8 with and without BOM; an undecodable file refused naming its row), upsert
// (a second run changes nothing), opening balances (in the ledger, not in payments), address
// rules, duplicates inside a file, the state of a new account, the migration hold and async jobs.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { parseCsv } from '../../src/fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../../src/fleet.js';
import { fieldWords, patternWords } from '../../src/field-words.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({
    buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }],
    mqtt: { concentrators: { 'dcu-free': { meterAddressRule: 'free-form' } } },
  });
});
afterAll(async () => fk?.stop());

async function postCsv(path: string, csv: string | Buffer, role: 'admin' | 'operator' = 'admin', contentType = 'text/csv') {
  const res = await fetch(`${fk.daemon.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${fk.keys[role]}`, 'content-type': contentType }, body: csv });
  return { status: res.status, body: await res.json() as any };
}

const errorRows = (body: any) => body.errors.map((e: { row: number; field: string | null; code: string }) => [e.row, e.field, e.code]);
const sql = <T>(query: string, ...params: unknown[]) => fk.daemon.repos.db.prepare(query).all(...params) as T[];

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
    const res = await postCsv('/v1/import/accounts?ids=true', csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'accounts', mode: 'create', dryRun: false, state: 'done', rows: 8, created: 2, refused: 6, createdIds: ['imp-1', 'imp-2'] });
    expect(errorRows(res.body)).toEqual([
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
    expect(JSON.parse(audit.detail)).toMatchObject({ jobId: res.body.jobId, rows: 8, created: 2, updated: 0, unchanged: 0, errors: 6 });
  });

  it('answers with counts and row errors only, ids on request', async () => {
    const res = await postCsv('/v1/import/accounts', 'id,name\ncompact-1,A\ncompact-2,B\n');
    expect(res.body).toMatchObject({ created: 2, errors: [] });
    expect(res.body).not.toHaveProperty('createdIds');
  });

  it('names both rows of a duplicate inside one file', async () => {
    const res = await postCsv('/v1/import/accounts', 'id,name\ndup-1,A\ndup-2,B\ndup-3,C\ndup-2,D\n');
    expect(res.body).toMatchObject({ created: 3, refused: 1 });
    expect(res.body.errors[0]).toMatchObject({ row: 5, id: 'dup-2', field: 'id', code: 'CONFLICT' });
    expect(res.body.errors[0].message).toContain('rows 3 and 5');
    expect((await fk.api('GET', '/v1/accounts/dup-2')).body.name).toBe('B');
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

  it('evaluates a new account\'s alarm state at creation: 0 fen is below alarm level 2', async () => {
    await postCsv('/v1/import/accounts', 'id,name,openingBalanceFen\nfresh-0,Zero,\nfresh-rich,Rich,5000\n');
    expect((await fk.api('GET', '/v1/accounts/fresh-0')).body).toMatchObject({ balanceFen: 0, alarmState: 2, state: 'alarm-2' });
    expect((await fk.api('GET', '/v1/accounts/fresh-rich')).body).toMatchObject({ balanceFen: 5000, alarmState: 0, state: 'normal' });
    const posted = await fk.api('POST', '/v1/accounts', { body: { id: 'fresh-api', name: 'API' } });
    expect(posted.body).toMatchObject({ alarmState: 2, state: 'alarm-2' });
    expect(fk.daemon.repos.journal.eventsWhere(0, { accountId: 'fresh-api', types: ['alarm-level-1', 'alarm-level-2'] }, 10)).toHaveLength(2);
  });
});

describe('encodings', () => {
  const rows = 'id,name\n0155000006,张三\n0155000007,李四\n';

  it('stores a GBK file correctly, with the charset given or detected', async () => {
    const gbk = iconv.encode(rows, 'gbk');
    expect(gbk.includes(Buffer.from('张三'))).toBe(false); // really not UTF-8
    const given = await postCsv('/v1/import/accounts', gbk, 'admin', 'text/csv; charset=gbk');
    expect(given.body).toMatchObject({ created: 2, encoding: 'gbk' });
    expect((await fk.api('GET', '/v1/accounts/0155000006')).body.name).toBe('张三');
    const detected = await postCsv('/v1/import/accounts', iconv.encode('id,name\ngbk-detected,王五\n', 'gbk'));
    expect(detected.body).toMatchObject({ created: 1, encoding: 'gb18030' });
    expect((await fk.api('GET', '/v1/accounts/gbk-detected')).body.name).toBe('王五');
  });

  it('stores a GB18030 file with characters GBK does not have', async () => {
    // 𠮷 (U+20BB7) and 㐀 (U+3400) are four-byte sequences in GB18030.
    const file = iconv.encode('id,name\ngb-1,𠮷田\ngb-2,㐀一\n', 'gb18030');
    const res = await postCsv('/v1/import/accounts?encoding=GB18030', file);
    expect(res.body).toMatchObject({ created: 2, encoding: 'gb18030' });
    expect((await fk.api('GET', '/v1/accounts/gb-1')).body.name).toBe('𠮷田');
    expect((await fk.api('GET', '/v1/accounts/gb-2')).body.name).toBe('㐀一');
  });

  it('reads UTF-8 with and without a byte-order mark', async () => {
    const bom = await postCsv('/v1/import/accounts', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\nu8-bom,赵六\n')]));
    const plain = await postCsv('/v1/import/accounts', Buffer.from('id,name\nu8-plain,钱七\n'), 'admin', 'text/csv; charset=utf-8');
    expect([bom.body.encoding, plain.body.encoding]).toEqual(['utf-8', 'utf-8']);
    expect((await fk.api('GET', '/v1/accounts/u8-bom')).body.name).toBe('赵六');
    expect((await fk.api('GET', '/v1/accounts/u8-plain')).body.name).toBe('钱七');
  });

  it('refuses a file that does not decode cleanly, naming the first bad row, and imports nothing of it', async () => {
    const good = iconv.encode('id,name\nbad-enc-1,孙八\n', 'gbk');
    const broken = Buffer.concat([good, Buffer.from('bad-enc-2,'), Buffer.from([0x81, 0x20]), Buffer.from('\nbad-enc-3,x\n')]);
    const res = await postCsv('/v1/import/accounts', broken, 'admin', 'text/csv; charset=gbk');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('CSV row 3');
    expect(res.body.error.details).toMatchObject({ row: 3, encoding: 'gbk' });
    expect((await fk.api('GET', '/v1/accounts/bad-enc-1')).status).toBe(404);
    // GBK sent as UTF-8: refused, not stored as "����".
    const mislabelled = await postCsv('/v1/import/accounts', iconv.encode(rows, 'gbk'), 'admin', 'text/csv; charset=utf-8');
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.body.error.message).toMatch(/CSV row 2, column 2: bytes that are not valid utf-8.*charset=gbk/);
    // Text replaced by an earlier conversion is refused too.
    expect((await postCsv('/v1/import/accounts', 'id,name\nfffd-1,\uFFFD\uFFFD\n')).status).toBe(400);
    expect((await fk.api('GET', '/v1/accounts/fffd-1')).status).toBe(404);
    expect((await postCsv('/v1/import/accounts?encoding=latin1', 'id,name\nx,y\n')).body.error.message).toContain('utf-8, gbk or gb18030');
  });
});

describe('upsert and opening balances', () => {
  const file = [
    'id,name,creditGrade,openingBalanceFen',
    'ups-1,周一,A,12345',
    'ups-2,吴二,B,0',
    'ups-3,郑三,,-500',
  ].join('\n');

  it('creates, then changes nothing when the same file runs again', async () => {
    const first = await postCsv('/v1/import/accounts?mode=upsert', file);
    expect(first.body).toMatchObject({ mode: 'upsert', created: 3, updated: 0, unchanged: 0, refused: 0 });
    const entries = sql<{ n: number }>('SELECT COUNT(*) AS n FROM ledger_entries')[0]!.n;
    const audits = sql<{ n: number }>('SELECT MAX(id) AS n FROM audit')[0]!.n;
    const second = await postCsv('/v1/import/accounts?mode=upsert', file);
    expect(second.body).toMatchObject({ created: 0, updated: 0, unchanged: 3, refused: 0 });
    expect(sql<{ n: number }>('SELECT COUNT(*) AS n FROM ledger_entries')[0]!.n).toBe(entries);
    // Only the request's own audit rows (the HTTP call and the import summary): no account changed.
    expect(sql<{ action: string }>('SELECT action FROM audit WHERE id > ? ORDER BY id', audits).map((a) => a.action).sort()).toEqual(['http POST /v1/import/accounts', 'import-accounts']);
  });

  it('updates the fields a row gives, and refuses what an import does not change', async () => {
    const res = await postCsv('/v1/import/accounts?mode=upsert&ids=true', 'id,name,creditGrade,pricePerKwh\nups-1,周一改,,\nups-2,吴二,C,\nups-3,,,0.9\n');
    expect(res.body).toMatchObject({ created: 0, updated: 2, unchanged: 0, refused: 1, updatedIds: ['ups-1', 'ups-2'] });
    expect(errorRows(res.body)).toEqual([[4, 'name', 'VALIDATION']]);
    const noPrice = await postCsv('/v1/import/accounts?mode=upsert', 'id,name,pricePerKwh\nups-3,郑三,0.9\n');
    expect(noPrice.body.errors[0]).toMatchObject({ field: 'pricePerKwh', code: 'VALIDATION' });
    expect(noPrice.body.errors[0].message).toContain('tariff-changes');
    expect((await fk.api('GET', '/v1/accounts/ups-1')).body).toMatchObject({ name: '周一改', creditGrade: 'A' });
    expect((await fk.api('GET', '/v1/accounts/ups-2')).body.creditGrade).toBe('C');
    const created = await postCsv('/v1/import/accounts', 'id,name\nups-1,again\n');
    expect(created.body.errors[0]).toMatchObject({ code: 'CONFLICT', field: 'id' });
  });

  it('compares an account\'s level settings with those stored: the same file again changes nothing, a changed setting is updated', async () => {
    const file = 'id,name,alarmLevel1Fen,levelOverrides\nlvl-1,等级,3000,"{""cutoffLevel"":{""days"":-2}}"\n';
    expect((await postCsv('/v1/import/accounts?mode=upsert', file)).body).toMatchObject({ created: 1, refused: 0 });
    const settings = () => JSON.parse(fk.daemon.repos.accounts.get('lvl-1')!.levelOverrides ?? '{}');
    expect(settings()).toEqual({ alarmLevel1: { fen: 3000 }, cutoffLevel: { days: -2 } });
    expect((await postCsv('/v1/import/accounts?mode=upsert', file)).body).toMatchObject({ created: 0, updated: 0, unchanged: 1, refused: 0 });
    const changed = await postCsv('/v1/import/accounts?mode=upsert', file.replace('3000', '2500').replace('-2', '-3'));
    expect(changed.body).toMatchObject({ updated: 1, refused: 0 });
    expect(settings()).toEqual({ alarmLevel1: { fen: 2500 }, cutoffLevel: { days: -3 } });
    expect((await fk.api('GET', '/v1/accounts/lvl-1')).body).toMatchObject({ alarmLevel1Fen: 2500 });
  });

  it('writes an opening balance as its own ledger entry by the migration, never as a payment, once', async () => {
    const ledger = (await fk.api('GET', '/v1/accounts/ups-1/ledger')).body.entries;
    expect(ledger).toEqual([expect.objectContaining({ kind: 'opening-balance', amountFen: 12345, balanceAfterFen: 12345, paymentId: null, actor: expect.stringMatching(/^migration:import-/) })]);
    expect((await fk.api('GET', '/v1/accounts/ups-3')).body).toMatchObject({ balanceFen: -500 });
    expect((await fk.api('GET', '/v1/accounts/ups-2/ledger')).body.entries.map((e: { kind: string; amountFen: number }) => [e.kind, e.amountFen])).toEqual([['opening-balance', 0]]);
    expect(sql('SELECT id FROM payments WHERE account_id IN (?, ?, ?)', 'ups-1', 'ups-2', 'ups-3')).toEqual([]);
    const again = await postCsv('/v1/import/accounts?mode=upsert', 'id,name,openingBalanceFen\nups-1,周一改,99\n');
    expect(again.body.errors[0]).toMatchObject({ row: 2, field: 'openingBalanceFen', code: 'CONFLICT' });
    expect(again.body.errors[0].message).toContain('set once');
    expect((await fk.api('GET', '/v1/accounts/ups-1')).body.balanceFen).toBe(12345);
    const check = await fk.api('GET', '/v1/ledger/check');
    expect(check.body).toMatchObject({ ok: true });
  });
});

describe('migration mode', () => {
  it('holds alarms and the engine for the imported accounts until released (audited)', async () => {
    const res = await postCsv('/v1/import/accounts?migration=wave-1', 'id,name\nmig-1,甲\nmig-2,乙\n');
    expect(res.body).toMatchObject({ created: 2, migration: 'wave-1' });
    expect((await fk.api('GET', '/v1/accounts/mig-1')).body).toMatchObject({ balanceFen: 0, alarmState: 0 });
    expect((await fk.api('GET', '/v1/migrations', { role: 'read-only' })).body.items).toContainEqual({ name: 'wave-1', accounts: 2 });
    expect(fk.daemon.repos.sweep.needingAttention(['mig-1', 'mig-2'], Date.now())).toEqual([]);
    const released = await fk.api('POST', '/v1/migrations/wave-1/release', { role: 'operator' });
    expect(released.body).toEqual({ migration: 'wave-1', released: 2, alarmsRaised: 2 });
    expect((await fk.api('GET', '/v1/accounts/mig-1')).body).toMatchObject({ alarmState: 2, state: 'alarm-2' });
    expect(sql<{ actor: string; detail: string }>("SELECT actor, detail FROM audit WHERE action = 'migration-released'")).toEqual([
      { actor: 'key:test-operator', detail: JSON.stringify({ released: 2, alarmsRaised: 2 }) },
    ]);
    expect((await fk.api('POST', '/v1/migrations/wave-1/release', { role: 'operator' })).status).toBe(404);
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
    const res = await postCsv('/v1/import/meters?ids=true', csv);
    expect(res.body).toMatchObject({ rows: 6, created: 2, createdIds: ['im-1', 'im-2'] });
    expect(res.body.errors.map((e: { row: number; code: string; field: string }) => [e.row, e.code, e.field])).toEqual([
      [4, 'BUS_UNKNOWN', 'busId'], [5, 'ACCOUNT_NOT_FOUND', 'accountId'], [6, 'CONFLICT', 'address'], [7, 'VALIDATION', 'address'],
    ]);
    expect(res.body.errors[2].message).toContain('rows 2 and 6');
    expect((await fk.api('GET', '/v1/meters/im-2')).body).toMatchObject({ accountId: 'imp-2', supportsDirectClose: false });
  });

  it("refuses concentrator meters' addresses that break their concentrator's rule, naming the rule", async () => {
    const csv = [
      'id,accountId,protocol,concentratorId,address',
      'cm-1,imp-1,mqtt,dcu-7,12345',
      'cm-2,imp-1,mqtt,dcu-7,ABCDEFGHIJKL',
      'cm-3,imp-1,mqtt,dcu-7,-1',
      'cm-4,imp-1,mqtt,dcu-7,1234567890123',
      'cm-5,imp-1,mqtt,dcu-7,000012345678',
      'cm-6,imp-1,mqtt,dcu-free,M-0001',
    ].join('\n');
    const res = await postCsv('/v1/import/meters', csv);
    expect(res.body).toMatchObject({ created: 2, refused: 4 });
    expect(errorRows(res.body)).toEqual([[2, 'address', 'VALIDATION'], [3, 'address', 'VALIDATION'], [4, 'address', 'VALIDATION'], [5, 'address', 'VALIDATION']]);
    for (const e of res.body.errors) expect(e.message).toContain('dlt645 address rule: exactly 12 decimal digits');
  });

  it('upserts meters: a second run is a no-op, a changed address is updated', async () => {
    const csv = 'id,accountId,protocol,busId,address\num-1,imp-1,dlt645,line-1,000000000201\num-2,imp-2,dlt645,line-1,000000000202\n';
    expect((await postCsv('/v1/import/meters?mode=upsert', csv)).body).toMatchObject({ created: 2, unchanged: 0 });
    expect((await postCsv('/v1/import/meters?mode=upsert', csv)).body).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    const moved = await postCsv('/v1/import/meters?mode=upsert', csv.replace('000000000202', '000000000203'));
    expect(moved.body).toMatchObject({ updated: 1, unchanged: 1 });
    expect((await fk.api('GET', '/v1/meters/um-2')).body.address).toBe('000000000203');
    const otherAccount = await postCsv('/v1/import/meters?mode=upsert', 'id,accountId,protocol,busId,address\num-1,imp-2,dlt645,line-1,000000000201\n');
    expect(otherAccount.body.errors[0]).toMatchObject({ field: 'accountId', code: 'VALIDATION' });
  });

  it('takes the edition, reading profile and 0x1C credentials of DL/T 645 meters, checking each', async () => {
    const csv = [
      'id,accountId,protocol,busId,address,edition,profile,passwordLevel,password,operatorCode',
      'ip-1,imp-1,dlt645,line-1,000000000301,1997,dlt645-1997-single-phase,,,',
      'ip-2,imp-1,dlt645,line-1,000000000302,auto,dlt645-2007-three-phase,4,A1B2C3,0000ABCD',
      'ip-3,imp-1,dlt645,line-1,000000000303,2007,no-such-profile,,,',
      'ip-4,imp-1,dlt645,line-1,000000000304,2007,dlt645-1997-single-phase,,,',
      'ip-5,imp-1,dlt645,line-1,000000000305,2008,,,,',
      'ip-6,imp-1,dlt645,line-1,000000000306,,,3,,',
    ].join('\n');
    const res = await postCsv('/v1/import/meters?ids=true', csv);
    expect(res.body).toMatchObject({ rows: 6, created: 2, refused: 4, createdIds: ['ip-1', 'ip-2'] });
    expect(res.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([[4, 'profile'], [5, 'profile'], [6, 'edition'], [7, 'passwordLevel']]);
    expect(JSON.stringify(res.body)).not.toContain('A1B2C3');
    expect((await fk.api('GET', '/v1/meters/ip-1')).body).toMatchObject({ edition: '1997', profile: 'dlt645-1997-single-phase', ownCredentials: false });
    expect((await fk.api('GET', '/v1/meters/ip-2')).body).toMatchObject({ edition: 'auto', profile: 'dlt645-2007-three-phase', ownCredentials: true });
  });

  it('upserts the edition, profile and 0x1C credentials: a second run changes nothing, a changed cell is updated and never shown', async () => {
    const header = 'id,accountId,protocol,busId,address,edition,profile,passwordLevel,password,operatorCode';
    const csv = `${header}\nup-1,imp-1,dlt645,line-1,000000000311,auto,dlt645-2007-three-phase,4,a1b2c3,0000abcd\n`;
    expect((await postCsv('/v1/import/meters?mode=upsert', csv)).body).toMatchObject({ created: 1, refused: 0 });
    expect((await postCsv('/v1/import/meters?mode=upsert', csv)).body).toMatchObject({ created: 0, updated: 0, unchanged: 1, refused: 0 });
    const profile = await postCsv('/v1/import/meters?mode=upsert', csv.replace('dlt645-2007-three-phase', 'dlt645-2007-single-phase'));
    expect(profile.body).toMatchObject({ updated: 1, unchanged: 0, refused: 0 });
    expect((await fk.api('GET', '/v1/meters/up-1')).body).toMatchObject({ edition: 'auto', profile: 'dlt645-2007-single-phase', ownCredentials: true });
    const password = await postCsv('/v1/import/meters?mode=upsert', csv.replace('dlt645-2007-three-phase', 'dlt645-2007-single-phase').replace('a1b2c3', 'D4E5F6'));
    expect(password.body).toMatchObject({ updated: 1, refused: 0 });
    expect(JSON.stringify(password.body)).not.toContain('D4E5F6');
    expect(fk.daemon.repos.meters.credentialsOf('up-1')).toEqual({ passwordLevel: 4, password: 'D4E5F6', operatorCode: '0000ABCD' });
  });
});

describe('jobs', () => {
  it('runs an import as a job with its state at GET /v1/import/jobs/{id}', async () => {
    const res = await postCsv('/v1/import/accounts?async=true', 'id,name\njob-1,A\njob-2,B\n');
    expect([200, 202]).toContain(res.status);
    const id = res.body.jobId as string;
    const job = await eventually(async () => {
      const current = (await fk.api('GET', `/v1/import/jobs/${id}`, { role: 'read-only' })).body;
      expect(current.state).not.toBe('running');
      return current;
    });
    expect(job).toMatchObject({ jobId: id, state: 'done', rows: 2, created: 2, rowDone: 3 });
    expect((await fk.api('GET', '/v1/import/jobs', { role: 'operator' })).body.items[0].jobId).toBe(id);
  });
});
