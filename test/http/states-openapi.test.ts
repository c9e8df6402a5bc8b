// The states other systems build on, as the OpenAPI document publishes them: a command's state,
// outcome, action and origin, a meter's relay state, review kinds and hold kinds are each a oneOf
// of single values, every value with a description, and the lists are exactly the code's constants
// (src/domain/codes.ts). A value the API would refuse is refused naming the values it takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import {
  COMMAND_ACTIONS, COMMAND_ORIGINS, COMMAND_OUTCOMES, COMMAND_STATES, HOLD_KINDS, RELAY_STATES, REVIEW_KINDS,
} from '../../src/domain/codes.js';
import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '../../src/notify/event-types.js';
import { BEGIN, END, commandCodesSection } from '../../src/commands/command-docs.js';

let fk: TestDaemon;
let doc: any;

beforeAll(async () => {
  fk = await startTestDaemon();
  doc = (await fk.api('GET', '/docs/json', { role: null })).body;
});
afterAll(async () => fk?.stop());

type Schema = { oneOf?: Schema[]; anyOf?: Schema[]; const?: string; enum?: string[]; description?: string; type?: string; properties?: Record<string, Schema>; items?: Schema };

/** The described code list of a schema, nullable or not: its values, each with its description. */
function codes(schema: Schema | undefined): Array<{ value: string; description: string | undefined }> {
  expect(schema, 'schema').toBeDefined();
  const list = schema!.oneOf ?? schema!.anyOf?.find((s) => s.oneOf)?.oneOf;
  expect(list, `a oneOf of consts in ${JSON.stringify(schema).slice(0, 200)}`).toBeDefined();
  // The document generator writes each `const` as a one-value `enum`, its OpenAPI 3.0 spelling.
  return list!.map((s) => {
    expect(s.const !== undefined || s.enum?.length === 1, `one value per branch: ${JSON.stringify(s)}`).toBe(true);
    return { value: s.const ?? s.enum![0]!, description: s.description };
  });
}

/** Checks a published list against the code's constant: same values, same order, every one described. */
function expectPublished(schema: Schema | undefined, constants: readonly string[]): void {
  const published = codes(schema);
  expect(published.map((c) => c.value)).toEqual([...constants]);
  for (const c of published) expect(c.description?.length ?? 0, `description of ${c.value}`).toBeGreaterThan(10);
}

const response = (path: string, method = 'get', status = '200'): Schema => doc.paths[path][method].responses[status].content['application/json'].schema;
const parameter = (path: string, name: string, method = 'get'): Schema => doc.paths[path][method].parameters.find((p: { name: string }) => p.name === name).schema;

describe('the OpenAPI document', () => {
  it('lists every command state, outcome, action and origin, each described, as the code has them', () => {
    const command = response('/v1/commands/{id}');
    expectPublished(command.properties!.state, COMMAND_STATES);
    expectPublished(command.properties!.outcome, COMMAND_OUTCOMES);
    expectPublished(command.properties!.action, COMMAND_ACTIONS);
    expectPublished(command.properties!.origin, COMMAND_ORIGINS);
    expect(command.properties!.outcome!.anyOf!.some((s) => s.type === 'null')).toBe(true);
    // The same lists wherever a command shows up: the list of commands, bulk results, the why view.
    const listed = response('/v1/commands').properties!.commands!.items!;
    expectPublished(listed.properties!.state, COMMAND_STATES);
    expectPublished(listed.properties!.outcome, COMMAND_OUTCOMES);
    const bulk = response('/v1/bulk-commands/{id}').properties!.results!.items!;
    expectPublished(bulk.properties!.state, COMMAND_STATES);
    expectPublished(bulk.properties!.outcome, COMMAND_OUTCOMES);
    const why = response('/v1/meters/{id}/why');
    const pending = why.properties!.pendingCommand!.anyOf!.find((s) => s.properties)!;
    expectPublished(pending.properties!.state, COMMAND_STATES);
    expectPublished(pending.properties!.outcome, COMMAND_OUTCOMES);
    expectPublished(parameter('/v1/commands', 'origin'), COMMAND_ORIGINS);
    const states = doc.paths['/v1/commands'].get.parameters.find((p: { name: string }) => p.name === 'state');
    expect(states.description ?? states.schema.description).toContain(COMMAND_STATES.join(', '));
  });

  it("lists a meter's relay states, review kinds and hold kinds, each described", () => {
    expectPublished(response('/v1/meters/{id}').properties!.relayState, RELAY_STATES);
    expectPublished(parameter('/v1/meters', 'relayState'), RELAY_STATES);
    expectPublished(response('/v1/meters/{id}/why').properties!.relay!.properties!.state, RELAY_STATES);
    expectPublished(response('/v1/reviews').properties!.items!.items!.properties!.kind, REVIEW_KINDS);
    expectPublished(parameter('/v1/reviews', 'kind'), REVIEW_KINDS);
    expectPublished(response('/v1/holds/{id}').properties!.kind, HOLD_KINDS);
    const body = doc.paths['/v1/holds'].post.requestBody.content['application/json'].schema as Schema;
    expectPublished(body.properties!.kind, HOLD_KINDS);
  });

  it('gives the webhook events the same lists', () => {
    const data = EVENT_TYPES['command-failed'].data as unknown as { properties: Record<string, Schema> };
    const values = (s: Schema) => s.anyOf!.map((b) => b.const ?? b.enum![0]);
    expect(values(data.properties.outcome!)).toEqual([...COMMAND_OUTCOMES]);
    expect(values(data.properties.action!)).toEqual([...COMMAND_ACTIONS]);
    const published = doc.webhooks['command-failed'].post.requestBody.content['application/json'].schema.properties.data.properties.outcome;
    expect(values(published)).toEqual([...COMMAND_OUTCOMES]);
  });
});

describe('docs/commands.md', () => {
  it('describes every state and outcome, as generated from the same lists (npm run docs:commands)', () => {
    const page = readFileSync(new URL('../../docs/commands.md', import.meta.url), 'utf8');
    expect(page.slice(page.indexOf(BEGIN), page.indexOf(END) + END.length)).toBe(commandCodesSection());
    for (const value of [...COMMAND_STATES, ...COMMAND_OUTCOMES]) expect(page).toMatch(new RegExp(`\\| \`${value}\` \\| \\S`));
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain('(docs/commands.md)');
  });
});

describe('a value outside a list', () => {
  it('is refused, naming the values the field takes', async () => {
    const meters = await fk.api('GET', '/v1/meters?relayState=ajar', { role: 'operator' });
    expect(meters.status).toBe(400);
    expect(meters.body.error.message).toContain('querystring.relayState: expected one of open, closed, unknown');
    const hold = await fk.api('POST', '/v1/holds', { role: 'operator', body: { kind: 'keep-warm', scope: 'meter', targetId: 'm-1', reason: 'a test' } });
    expect(hold.status).toBe(400);
    expect(hold.body.error.message).toContain('body.kind: expected one of keep-power, manual-off');
    expect(hold.body.error.message).toContain('"keep-warm"');
  });
});
