// Payments (销账) and reversals (冲正), idempotent on (channel, channelTxnId).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { Id, Iso, PaymentView, errorResponses } from '../schemas.js';
import { paymentView } from '../views.js';
import { actorOf } from '../auth.js';
import { PAYMENT_CHANNELS, postPayment, reversePayment } from '../../ledger/payments.js';

const PaymentCreate = Type.Object({
  accountId: Id,
  channel: Type.Union(PAYMENT_CHANNELS.map((c) => Type.Literal(c))),
  channelTxnId: Type.String({ minLength: 1, maxLength: 128 }),
  amountFen: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'amount in fen; at most 1,000,000 yuan' }),
  paidAt: Type.Optional(Iso),
}, { additionalProperties: false });

const PaymentResult = Type.Object({ payment: PaymentView, created: Type.Boolean(), balanceFen: Type.Integer() });

export const paymentRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;

  app.post('/v1/payments', {
    config: { roles: ['billing'] },
    schema: {
      tags: ['payments'], summary: 'Post a payment; a repeat of (channel, channelTxnId) credits nothing and returns the original',
      body: PaymentCreate, response: { 201: PaymentResult, 200: PaymentResult, ...errorResponses },
    },
  }, async (request, reply) => {
    const now = services.now();
    const body = request.body;
    const result = postPayment(services.repos, {
      accountId: body.accountId, channel: body.channel as (typeof PAYMENT_CHANNELS)[number], channelTxnId: body.channelTxnId,
      amountFen: body.amountFen, paidAt: body.paidAt ? Date.parse(body.paidAt) : now, actor: actorOf(request),
    }, now);
    services.metrics.paymentsTotal.inc({ channel: body.channel, result: result.created ? 'posted' : 'repeat' });
    if (result.created) services.events.emit('balance-changed', body.accountId);
    return reply.status(result.created ? 201 : 200).send({ payment: paymentView(result.payment, tz), created: result.created, balanceFen: result.balanceFen });
  });

  app.post('/v1/payments/:id/reversal', {
    config: { roles: ['billing'] },
    schema: {
      tags: ['payments'], summary: 'Reverse a payment (once)', params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: PaymentResult, ...errorResponses },
    },
  }, async (request) => {
    const result = reversePayment(services.repos, request.params.id, actorOf(request), request.body.reason, services.now());
    services.events.emit('balance-changed', result.payment.accountId);
    return { payment: paymentView(result.payment, tz), created: result.created, balanceFen: result.balanceFen };
  });
};
