// Posting payments (销账) and reversals (冲正). A payment is identified by (channel, channel
// transaction id): posting it again credits nothing and answers with the original.
import { randomUUID } from 'node:crypto';
import type { Repositories, PaymentRow } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { applyEntry } from './ledger.js';

export const PAYMENT_CHANNELS = [
  'counter', 'pos', 'bank', 'bank-withholding', 'wechat', 'alipay', 'online', 'recharge-card', 'hotline-95598', 'other',
] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

export interface PaymentInput {
  accountId: string;
  channel: PaymentChannel;
  channelTxnId: string;
  amountFen: number;
  paidAt: number;
  actor: string;
}

export interface PostedPayment {
  payment: PaymentRow;
  /** false when this was a repeat of an earlier posting */
  created: boolean;
  balanceFen: number;
}

export function postPayment(repos: Repositories, input: PaymentInput, now: number): PostedPayment {
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
    throw new AppError('VALIDATION', `amountFen must be a positive integer number of fen (got ${input.amountFen})`, { field: 'amountFen' });
  }
  return repos.transaction(() => {
    const existing = repos.ledger.paymentByChannelTxn(input.channel, input.channelTxnId);
    if (existing) return repeatOf(repos, existing, input);
    if (!repos.accounts.get(input.accountId)) {
      throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`, { field: 'accountId' });
    }
    const payment: Omit<PaymentRow, 'reversedAt'> = {
      id: randomUUID(),
      channel: input.channel,
      channelTxnId: input.channelTxnId,
      accountId: input.accountId,
      amountFen: input.amountFen,
      paidAt: input.paidAt,
      actor: input.actor,
      createdAt: now,
    };
    repos.ledger.insertPayment(payment);
    const entry = applyEntry(repos, {
      accountId: input.accountId, kind: 'payment', amountFen: input.amountFen, actor: input.actor, at: now, paymentId: payment.id,
    });
    repos.journal.appendEvent('payment-posted', input.accountId, null, { paymentId: payment.id, amountFen: input.amountFen, channel: input.channel }, now);
    return { payment: { ...payment, reversedAt: null }, created: true, balanceFen: entry.balanceFen };
  });
}

function repeatOf(repos: Repositories, existing: PaymentRow, input: PaymentInput): PostedPayment {
  if (existing.amountFen !== input.amountFen || existing.accountId !== input.accountId) {
    throw new AppError(
      'LEDGER_DUPLICATE_MISMATCH',
      `payment ${input.channel}/${input.channelTxnId} was already posted with account ${existing.accountId} and amount ${existing.amountFen} fen; ` +
        `this request says account ${input.accountId} and ${input.amountFen} fen`,
      { paymentId: existing.id },
    );
  }
  const account = repos.accounts.get(existing.accountId);
  return { payment: existing, created: false, balanceFen: account?.balanceFen ?? 0 };
}

export function reversePayment(repos: Repositories, paymentId: string, actor: string, reason: string, now: number): PostedPayment {
  return repos.transaction(() => {
    const payment = repos.ledger.payment(paymentId);
    if (!payment) throw new AppError('PAYMENT_NOT_FOUND', `payment ${paymentId} does not exist`);
    if (!repos.ledger.markReversed(paymentId, now)) {
      throw new AppError('PAYMENT_ALREADY_REVERSED', `payment ${paymentId} was already reversed`, { paymentId });
    }
    const entry = applyEntry(repos, {
      accountId: payment.accountId, kind: 'reversal', amountFen: -payment.amountFen, actor, at: now, paymentId, reason,
    });
    repos.journal.appendEvent('payment-reversed', payment.accountId, null, { paymentId, amountFen: payment.amountFen, reason }, now);
    return { payment: { ...payment, reversedAt: now }, created: true, balanceFen: entry.balanceFen };
  });
}
