// Money through HTTP: payments (销账) one at a time or as a bank's daily file, reversals (冲正),
// adjustments and emergency credit. Payments are idempotent on (channel, channelTxnId) and go
// through the group commit (src/ledger/group-commit.ts): each answer comes after its commit.
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { Id, Iso, PaymentView, errorResponses } from '../schemas.js';
import { paymentView } from '../views.js';
import { actorOf } from '../auth.js';
import { HTTP_STATUS, isAppError } from '../../errors.js';
import { PAYMENT_CHANNELS, reversePayment, type PaymentChannel, type PaymentInput, type PostedPayment } from '../../ledger/payments.js';
import { PaymentBatcher } from '../../ledger/group-commit.js';
import { postAdjustment } from '../../ledger/adjustments.js';
import { takeEmergencyCredit } from '../../ledger/emergency-credit.js';

const PaymentCreate = Type.Object({
  accountId: Id,
  channel: Type.Union(PAYMENT_CHANNELS.map((c) => Type.Literal(c))),
  channelTxnId: Type.String({ minLength: 1, maxLength: 128 }),
  amountFen: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'amount in fen; at most 1,000,000 yuan' }),
  paidAt: Type.Optional(Iso),
}, { additionalProperties: false });
type PaymentBody = Static<typeof PaymentCreate>;
// Batch items are checked here, one by one (a bad line must not refuse the whole file); TypeBox's
// own checker needs to be told what an RFC 3339 date-time is.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
const checkItem = TypeCompiler.Compile(PaymentCreate);

const PaymentResult = Type.Object({
  payment: PaymentView,
  created: Type.Boolean(),
  balanceFen: Type.Integer(),
  emergencyCreditRepaidFen: Type.Integer({ description: 'outstanding emergency credit this payment repaid before the rest went to the balance' }),
});

const BatchItemResult = Type.Object({
  index: Type.Integer(),
  status: Type.Integer({ description: 'what POST /v1/payments would have answered: 201 posted, 200 repeat, 4xx refused' }),
  result: Type.Optional(PaymentResult),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Any()) })),
});

const AdjustmentCreate = Type.Object({
  amountFen: Type.Integer({ minimum: -100_000_000, maximum: 100_000_000, description: 'fen; positive credits, negative debits; not zero' }),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
}, { additionalProperties: false });

/** Fields a payment item needs at most: the batch body limit allows this much per item. */
const BATCH_BYTES_PER_ITEM = 512;

export const paymentRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const { ledger } = services.config;
  const batcher = new PaymentBatcher(services.repos, { enabled: ledger.groupCommit, maxItems: ledger.groupCommitMaxItems });
  batcher.onCommit = (size) => services.metrics.paymentGroupSize.observe(size);
  app.addHook('onClose', async () => batcher.drain());

  const inputOf = (body: PaymentBody, actor: string, now: number): PaymentInput => ({
    accountId: body.accountId, channel: body.channel as PaymentChannel, channelTxnId: body.channelTxnId,
    amountFen: body.amountFen, paidAt: body.paidAt ? Date.parse(body.paidAt) : now, actor,
  });
  const resultView = (r: PostedPayment) => ({
    payment: paymentView(r.payment, tz), created: r.created, balanceFen: r.balanceFen, emergencyCreditRepaidFen: r.emergencyCreditRepaidFen,
  });
  const counted = (channel: string, r: PostedPayment) => {
    services.metrics.paymentsTotal.inc({ channel, result: r.created ? 'posted' : 'repeat' });
    if (r.created) services.events.emit('balance-changed', r.payment.accountId);
    return r;
  };

  app.post('/v1/payments', {
    config: { roles: ['billing'], auditedInTransaction: true },
    schema: {
      tags: ['payments'], summary: 'Post a payment; a repeat of (channel, channelTxnId) credits nothing and returns the original',
      body: PaymentCreate, response: { 201: PaymentResult, 200: PaymentResult, ...errorResponses },
    },
  }, async (request, reply) => {
    const now = services.now();
    const result = counted(request.body.channel, await batcher.submit(inputOf(request.body, actorOf(request), now), now));
    return reply.status(result.created ? 201 : 200).send(resultView(result));
  });

  app.post('/v1/payments/batch', {
    config: { roles: ['billing'], auditedInTransaction: true },
    bodyLimit: Math.max(services.config.http.bodyLimitBytes, ledger.batchMaxItems * BATCH_BYTES_PER_ITEM),
    schema: {
      tags: ['payments'],
      summary: "Post many payments at once (a bank's daily file); each item is posted or refused on its own, with its own result",
      body: Type.Object({
        items: Type.Array(Type.Any({ description: 'a payment, as the body of POST /v1/payments' }), { minItems: 1, maxItems: ledger.batchMaxItems }),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          results: Type.Array(BatchItemResult),
          summary: Type.Object({ posted: Type.Integer(), repeated: Type.Integer(), refused: Type.Integer() }),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const now = services.now();
    const actor = actorOf(request);
    const results = await Promise.all(request.body.items.map(async (item: unknown, index) => {
      if (!checkItem.Check(item)) {
        const first = checkItem.Errors(item).First();
        const field = first ? `items[${index}]${first.path.replace(/\//g, '.')}` : `items[${index}]`;
        return { index, status: 400, error: { code: 'VALIDATION', message: `${field}: ${first?.message ?? 'not a payment'}`, details: { field } } };
      }
      try {
        const posted = counted(item.channel, await batcher.submit(inputOf(item, actor, now), now));
        return { index, status: posted.created ? 201 : 200, result: resultView(posted) };
      } catch (err) {
        if (!isAppError(err)) {
          request.log.error({ err, index }, 'batch payment item failed');
          return { index, status: 500, error: { code: 'INTERNAL', message: 'internal error; the daemon logged the details' } };
        }
        return { index, status: HTTP_STATUS[err.code], error: { code: err.code, message: err.message, details: err.context } };
      }
    }));
    const summary = { posted: 0, repeated: 0, refused: 0 };
    for (const r of results) {
      if (r.status === 201) summary.posted++;
      else if (r.status === 200) summary.repeated++;
      else summary.refused++;
    }
    return { results, summary };
  });

  app.post('/v1/payments/:id/reversal', {
    config: { roles: ['billing'], auditedInTransaction: true },
    schema: {
      tags: ['payments'], summary: 'Reverse a payment (once); emergency credit it repaid is owed again',
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: PaymentResult, ...errorResponses },
    },
  }, async (request) => {
    const result = reversePayment(services.repos, request.params.id, actorOf(request), request.body.reason, services.now());
    services.events.emit('balance-changed', result.payment.accountId);
    return resultView(result);
  });

  app.post('/v1/accounts/:id/adjustments', {
    config: { roles: [], auditedInTransaction: true },
    schema: {
      tags: ['payments'], summary: "Correct an account's balance up or down, with a reason (admin)",
      params: Type.Object({ id: Id }), body: AdjustmentCreate,
      response: {
        201: Type.Object({ entryId: Type.Integer(), accountId: Type.String(), amountFen: Type.Integer(), balanceFen: Type.Integer() }),
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const result = postAdjustment(services.repos, { accountId: request.params.id, ...request.body, actor: actorOf(request) }, services.now());
    services.events.emit('balance-changed', result.accountId);
    return reply.status(201).send(result);
  });

  app.post('/v1/accounts/:id/emergency-credit', {
    config: { roles: ['operator', 'billing'], auditedInTransaction: true },
    schema: {
      tags: ['payments'],
      summary: 'Give the account its emergency credit (once until its next payment, which repays it first); at or below alarm level 2',
      params: Type.Object({ id: Id }),
      response: {
        201: Type.Object({
          accountId: Type.String(), entryId: Type.Integer(), amountFen: Type.Integer(), balanceFen: Type.Integer(), outstandingFen: Type.Integer(),
        }),
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const result = takeEmergencyCredit(services.repos, request.params.id, ledger.emergencyCreditFen, actorOf(request), services.now());
    services.events.emit('balance-changed', result.accountId);
    return reply.status(201).send(result);
  });
};
