// The engine's explanations: why a meter / an account's meters are where they are (the decision
// trace with every input), and a dry run — what a sweep now, or at a given time, would cut,
// restore and send to review — with no side effects.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import {
  CommandActionSchema, CommandOriginSchema, CommandOutcomeSchema, CommandStateSchema, HoldKindSchema, Id, Iso, Limit, NullableIso, Nullable, RelayStateSchema,
  errorResponses,
} from '../schemas.js';
import { AppError } from '../../errors.js';
import { whyView } from '../../engine/explain.js';
import { DECISION_REASONS, TRACE_CHECKS } from '../../domain/policy.js';
import { SAFETY_LIMITS } from '../../domain/relay-safety.js';
import { NO_CUT_WINDOWS } from '../../domain/calendar.js';
import type { Evaluation } from '../../engine/evaluate.js';

/** A string from a fixed list of codes: an enum in the OpenAPI document. */
const oneOf = <T extends string>(codes: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...codes], description });

const Why = Type.Object({
  accountId: Type.String(),
  meterId: Type.String(),
  at: NullableIso,
  action: Type.String({ description: 'disconnect | reconnect | review | none' }),
  desired: Type.String({ description: 'open | closed | unchanged' }),
  rule: Type.String({ description: 'the rule that decided, e.g. cut-off, restore, in-grace, no-cut-window, keep-power-hold' }),
  reasonCode: oneOf(DECISION_REASONS, 'the code of `reason` (the rule, or its variant), stable, for translation; `reason` is the English sentence with its values'),
  reason: Type.String(),
  balanceFen: Type.Integer(),
  levels: Type.Object({ alarmLevel1Fen: Type.Integer(), alarmLevel2Fen: Type.Integer(), cutoffLevelFen: Type.Integer(), restoreLevelFen: Type.Integer() }),
  relay: Type.Object({ state: RelayStateSchema, at: NullableIso }),
  window: Type.Object({
    noCut: Type.Boolean(),
    reason: Nullable(Type.String({ description: 'every window that applies, joined by ", " (e.g. "night, holiday:国庆节")' })),
    windows: Type.Array(Type.String(), {
      description: `each no-cut window that applies, of the kinds ${NO_CUT_WINDOWS.join(', ')}: night, weekend, holiday:<name> (with " (provisional)" when derived, not official), calendar-uncovered:<year>`,
    }),
    provisional: Type.Boolean({ description: 'a window rests on a provisional holiday, derived because the year has no official schedule' }),
    calendar: Nullable(Type.Union([Type.Literal('operator'), Type.Literal('library'), Type.Literal('derived'), Type.Literal('suspended')], {
      description: "where the day's public holidays come from: a schedule entered by an operator, the chinese-days library, derivation, or none (automatic cut-offs suspended)",
    })),
  }),
  holds: Type.Array(Type.Object({
    id: Type.String(), kind: HoldKindSchema, scope: Type.String(), actor: Type.String(), reason: Type.String(), createdAt: NullableIso, expiresAt: NullableIso,
  })),
  protected: Type.Boolean(),
  creditGrade: Type.String(),
  graceMs: Type.Integer(),
  lastWarning: Type.Object({ alarmLevel2At: NullableIso, graceEndsAt: NullableIso }),
  pendingCommand: Nullable(Type.Object({
    id: Type.String(), action: CommandActionSchema, state: CommandStateSchema, outcome: Nullable(CommandOutcomeSchema), attempts: Type.Integer(),
    createdAt: NullableIso, expiresAt: NullableIso, lastError: Nullable(Type.String()),
  })),
  operator: Type.Object({
    lastRelayCommand: Nullable(Type.Object({
      id: Type.String(), action: CommandActionSchema, origin: CommandOriginSchema, state: CommandStateSchema, actor: Type.String(), createdAt: NullableIso,
    })),
    latestPaymentAt: NullableIso,
  }),
  relaySafety: Nullable(Type.Object({
    disconnectAllowed: Type.Boolean(), reason: Type.String(), limit: Nullable(Type.String({ description: SAFETY_LIMITS.join(' | ') })), operationsLast24h: Type.Integer(),
    switchingsInWindow: Type.Integer(), flapping: Type.Boolean(), nextAllowedAt: NullableIso, fault: Nullable(Type.String()),
  })),
  trace: Type.Array(Type.Object({
    code: oneOf(TRACE_CHECKS, 'the condition, stable, for translation; `check` is its English name'),
    check: Type.String(), passed: Type.Boolean(), detail: Type.String(),
  })),
});

const DryRunItem = Type.Object({
  accountId: Type.String(), meterId: Type.String(), balanceFen: Type.Integer(), relayState: RelayStateSchema, rule: Type.String(), reason: Type.String(),
});

export const engineRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const time = (ms: number | null) => isoAt(ms, tz);
  const atOf = (at: string | undefined) => {
    if (at === undefined) return services.now();
    const ms = Date.parse(at);
    if (Number.isNaN(ms)) throw new AppError('VALIDATION', 'querystring.at: not an ISO 8601 time', { field: 'querystring.at' });
    return ms;
  };
  const AtQuery = Type.Object({ at: Type.Optional(Type.String({ format: 'date-time', description: 'evaluate as if it were this time (default: now)' })) });

  app.get('/v1/meters/:id/why', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['engine'], summary: "The engine's decision for a meter with every input it weighed", params: Type.Object({ id: Id }), querystring: AtQuery,
      response: { 200: Why, ...errorResponses },
    },
  }, async (request) => {
    const ev = services.engine.explainMeter(request.params.id, atOf(request.query.at));
    if (!ev) throw new AppError('METER_NOT_FOUND', `meter ${request.params.id} does not exist`);
    return whyView(ev, time);
  });

  app.get('/v1/accounts/:id/why', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['engine'], summary: "The engine's decision for each of the account's meters, with every input it weighed",
      params: Type.Object({ id: Id }), querystring: AtQuery,
      response: { 200: Type.Object({ accountId: Type.String(), decisions: Type.Array(Why) }), ...errorResponses },
    },
  }, async (request) => {
    if (!services.repos.accounts.get(request.params.id)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${request.params.id} does not exist`);
    return { accountId: request.params.id, decisions: services.engine.explain(request.params.id, atOf(request.query.at)).map((ev) => whyView(ev, time)) };
  });

  app.get('/v1/engine/dry-run', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['engine'], summary: 'What the engine would do if it swept now (or at `at`): cut-offs, restores, reviews — no side effects',
      querystring: Type.Object({ ...AtQuery.properties, limit: Limit(100_000, 1000) }),
      response: {
        200: Type.Object({
          at: Iso, evaluated: Type.Integer({ description: 'supply points looked at (the rest need nothing)' }),
          counts: Type.Object({ cut: Type.Integer(), restore: Type.Integer(), review: Type.Integer() }),
          cut: Type.Array(DryRunItem), restore: Type.Array(DryRunItem), review: Type.Array(DryRunItem),
          heldBack: Type.Record(Type.String(), Type.Integer(), { description: 'at or below the cut-off level but not cut, by rule' }),
          truncated: Type.Boolean(),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 1000;
    const result = await services.engine.dryRun(atOf(request.query.at));
    const items = (list: Evaluation[]) => list.slice(0, limit).map((ev) => ({
      accountId: ev.row.accountId, meterId: ev.row.meterId, balanceFen: ev.row.balanceFen, relayState: ev.row.relayState, rule: ev.decision.rule, reason: ev.decision.reason,
    }));
    return {
      at: time(result.at)!, evaluated: result.evaluated,
      counts: { cut: result.cut.length, restore: result.restore.length, review: result.review.length },
      cut: items(result.cut), restore: items(result.restore), review: items(result.review), heldBack: result.heldBack,
      truncated: Math.max(result.cut.length, result.restore.length, result.review.length) > limit,
    };
  });
};
