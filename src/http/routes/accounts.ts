// Accounts: list (filters, cursor), create, read (balance, levels, state, meters), change
// (category, credit grade, protection, levels — audited), delete (only without money history),
// counts by state for the fleet overview, and the ledger (the engine's "why" is in routes/engine.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { AccountState, AccountView, Cursor, Id, Limit, NextCursor, errorResponses } from '../schemas.js';
import { accountView } from '../views.js';
import { actorOf } from '../auth.js';
import { AccountInputSchema, AccountPatchSchema, CreditGrade, createAccount, deleteAccount, updateAccount } from '../../fleet.js';
import type { AccountState as State } from '../../db/repo/accounts.js';
import { AppError } from '../../errors.js';
import { thresholdsOf } from '../../ledger/levels.js';
import { LedgerEntryView, breakdownView } from '../charging-schemas.js';

const setters = () => [Type.Literal('override'), Type.Literal('category'), Type.Literal('grade'), Type.Literal('default')] as const;
const Setter = Type.Union([...setters()]);
const LevelDetail = Type.Object({
  fen: Type.Integer({ description: 'the level the engine acts on' }),
  spec: Type.Union([Type.Object({ fen: Type.Integer() }), Type.Object({ days: Type.Number() })], { description: 'the setting that decided it: money, or days of supply' }),
  source: Type.Union([...setters(), Type.Literal('days')], {
    description: "where the money came from: a money setting of the account itself (override), its category, its credit grade (grade) or the configured defaults (default); or days of supply at the account's recent consumption (days)",
  }),
  setBy: Type.Union([...setters()], { description: 'who set `spec`: the account itself (override), its category, its credit grade or the defaults' }),
  skipped: Type.Array(Type.Object({ days: Type.Number(), setBy: Setter }), {
    description: 'settings in days passed over for want of a consumption average to turn them into money (no consumption in the window, or too short a history)',
  }),
});
/** The account view with its money outlook: emergency credit, consumption rate, days remaining, where each level comes from. */
const AccountDetail = Type.Composite([AccountView, Type.Object({
  emergencyCreditFen: Type.Integer({ description: 'emergency credit outstanding; the next payment repays it first' }),
  lastPaymentAt: Type.Union([Type.String(), Type.Null()]),
  averageDailyChargeFen: Type.Integer({ description: 'average daily consumption charge over the recent window' }),
  levelsAverageDailyChargeFen: Type.Union([Type.Integer(), Type.Null()], {
    description: 'the average levels in days are turned into money at; null without consumption in the window or while the account is younger than ledger.levelsMinHistoryDays',
  }),
  daysRemaining: Type.Union([Type.Number(), Type.Null()], { description: 'days until the cut-off level at that rate; null without consumption' }),
  expectedCutoffAt: Type.Union([Type.String(), Type.Null()]),
  thresholds: Type.Object({ alarmLevel1: LevelDetail, alarmLevel2: LevelDetail, cutoffLevel: LevelDetail, restoreLevel: LevelDetail }),
})]);

const READERS = ['operator', 'billing', 'read-only'] as const;

export const accountRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;

  const load = (id: string) => {
    const account = repos.accounts.get(id);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    const outlook = thresholdsOf(repos, account, config, services.now());
    return {
      ...accountView(account, repos.meters.forAccount(id), tz, repos.accounts.state(id)),
      emergencyCreditFen: account.emergencyCreditFen, lastPaymentAt: isoAt(account.lastPaymentAt, tz),
      averageDailyChargeFen: outlook.averageDailyChargeFen, levelsAverageDailyChargeFen: outlook.levelsAverageDailyChargeFen, daysRemaining: outlook.daysRemaining,
      expectedCutoffAt: isoAt(outlook.expectedCutoffAt, tz), thresholds: outlook.levels,
    };
  };

  app.get('/v1/accounts', {
    config: { roles: READERS },
    schema: {
      tags: ['accounts'], summary: 'Accounts in id order, filtered, paged by cursor (the last id)',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'part of the id or the name' })),
        state: Type.Optional(AccountState),
        category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        creditGrade: Type.Optional(CreditGrade),
        protected: Type.Optional(Type.Boolean()),
        after: Cursor,
        limit: Limit(500, 50),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ accounts: Type.Array(AccountView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const limit = q.limit ?? 50;
    const rows = repos.accounts.list({
      q: q.q ?? null, state: (q.state as State | undefined) ?? null, category: q.category ?? null, creditGrade: q.creditGrade ?? null,
      protected: q.protected ?? null,
    }, q.after ?? '', limit);
    return {
      accounts: rows.map((a) => accountView(a, repos.meters.forAccount(a.id), tz, a.state)),
      next: rows.length === limit ? rows[rows.length - 1]!.id : null,
    };
  });

  app.get('/v1/account-states', {
    config: { roles: READERS },
    schema: {
      tags: ['accounts'], summary: 'How many accounts are in each state (fleet overview)',
      response: { 200: Type.Object({
        normal: Type.Integer(), 'alarm-1': Type.Integer(), 'alarm-2': Type.Integer(), 'cut-off': Type.Integer(), review: Type.Integer(), total: Type.Integer(),
      }), ...errorResponses },
    },
  }, async () => {
    const counts = repos.accounts.stateCounts();
    return { ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
  });

  app.post('/v1/accounts', {
    config: { roles: ['admin'] },
    schema: { tags: ['accounts'], summary: 'Create an account', body: AccountInputSchema, response: { 201: AccountView, ...errorResponses } },
  }, async (request, reply) => {
    const account = createAccount(repos, config, request.body, actorOf(request), services.now());
    return reply.status(201).send(accountView(account, [], tz, repos.accounts.state(account.id)));
  });

  app.get('/v1/accounts/:id', {
    config: { roles: READERS },
    schema: { tags: ['accounts'], summary: 'An account with its balance, levels (and where they come from), days remaining, state and meters', params: Type.Object({ id: Id }), response: { 200: AccountDetail, ...errorResponses } },
  }, async (request) => load(request.params.id));

  app.patch('/v1/accounts/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['accounts'], summary: 'Change name, category, credit grade, protection or the account\'s own level settings (audited; the levels are derived again and the engine re-evaluates at once)',
      params: Type.Object({ id: Id }), body: AccountPatchSchema, response: { 200: AccountDetail, ...errorResponses },
    },
  }, async (request) => {
    updateAccount(repos, config, request.params.id, request.body, actorOf(request), services.now());
    services.engine.schedule(request.params.id);
    return load(request.params.id);
  });

  app.delete('/v1/accounts/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['accounts'], summary: 'Delete an account that has no ledger entries and no meters (else 409)',
      params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    deleteAccount(repos, request.params.id, actorOf(request), services.now());
    return reply.status(204).send(null);
  });

  app.get('/v1/accounts/:id/ledger', {
    config: { roles: READERS },
    schema: {
      tags: ['accounts'], summary: 'Ledger entries of an account, oldest first (or newest first), paged by cursor (the last entry id)',
      description: 'A consumption entry carries the reading interval it charged and its breakdown by charging period, tier or band, price, energy, amount and basis (docs/charging.md).',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({
        after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Limit(1000, 100),
        order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          entries: Type.Array(LedgerEntryView),
          next: Type.Union([Type.Integer(), Type.Null()]),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    if (!repos.accounts.get(request.params.id)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${request.params.id} does not exist`);
    const limit = request.query.limit ?? 100;
    const entries = request.query.order === 'desc'
      ? repos.ledger.entriesNewestFirst(request.params.id, request.query.after ?? Number.MAX_SAFE_INTEGER, limit)
      : repos.ledger.entries(request.params.id, request.query.after ?? 0, limit);
    return {
      entries: entries.map(({ intervalFrom, intervalTo, breakdown, ...e }) => ({
        ...e, createdAt: isoAt(e.createdAt, tz)!, breakdown: breakdownView(breakdown, tz),
        interval: intervalFrom === null || intervalTo === null ? null : { from: isoAt(intervalFrom, tz)!, to: isoAt(intervalTo, tz)! },
      })),
      next: entries.length === limit ? entries[entries.length - 1]!.id : null,
    };
  });
};
