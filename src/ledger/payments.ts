// Posting payments (销账) and reversals (冲正). A payment is identified by (channel, channel
// transaction id): posting it again credits nothing and answers with the original. A payment
// repays outstanding emergency credit first; its ledger effect shows the repayment. Each runs in
// its own transaction, or as a savepoint inside a caller's (the group commit, src/ledger/group-commit.ts).
import { randomUUID } from 'node:crypto';
import type { Repositories, PaymentRow, AccountRow } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { applyEntry, applyEntryTo } from './ledger.js';

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
  /** emergency credit this payment repaid before adding to the balance */
  emergencyCreditRepaidFen: number;
}

/** Refuses what can never be posted, before any database work. */
export function checkPaymentInput(input: Pick<PaymentInput, 'amountFen'>): void {
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
    throw new AppError('VALIDATION', `amountFen must be a positive integer number of fen (got ${input.amountFen})`, { field: 'amountFen' });
  }
}

export function postPayment(repos: Repositories, input: PaymentInput, now: number): PostedPayment {
  checkPaymentInput(input);
  return repos.transaction(() => {
    const prepared = preparePayment(repos, input);
    return 'repeat' in prepared ? prepared.repeat : writePayment(repos, input, prepared.account, now);
  });
}

/**
 * The reading half of posting, inside the caller's transaction: the original when this is a
 * repeat, else the account to credit. Every refusal (AppError) is thrown here, before anything is
 * written — so a refused payment never needs rolling back.
 */
export function preparePayment(repos: Repositories, input: PaymentInput): { repeat: PostedPayment } | { account: AccountRow } {
  const existing = repos.ledger.paymentByChannelTxn(input.channel, input.channelTxnId);
  if (existing) return { repeat: repeatOf(repos, existing, input) };
  const account = repos.accounts.get(input.accountId);
  if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`, { field: 'accountId' });
  return { account };
}

/** The writing half, inside the caller's transaction, for a payment `preparePayment` accepted. */
export function writePayment(repos: Repositories, input: PaymentInput, account: AccountRow, now: number): PostedPayment {
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
  let { balanceFen } = applyEntryTo(repos, account, {
    accountId: input.accountId, kind: 'payment', amountFen: input.amountFen, actor: input.actor, at: now, paymentId: payment.id,
  });
  const repaid = Math.min(account.emergencyCreditFen, input.amountFen);
  if (repaid > 0) {
    balanceFen = applyEntry(repos, {
      accountId: input.accountId, kind: 'emergency-credit', amountFen: -repaid, actor: input.actor, at: now, paymentId: payment.id,
      reason: 'emergency credit repaid from payment',
    }).balanceFen;
    repos.accounts.setEmergencyCredit(input.accountId, account.emergencyCreditFen - repaid);
  }
  repos.accounts.notePayment(input.accountId, input.paidAt);
  repos.journal.appendEvent('payment-posted', input.accountId, null, {
    paymentId: payment.id, channel: input.channel, channelTxnId: input.channelTxnId, amountFen: input.amountFen,
    emergencyCreditRepaidFen: repaid, balanceFen,
  }, now);
  repos.journal.audit(input.actor, 'payment-posted', input.accountId, {
    paymentId: payment.id, channel: input.channel, channelTxnId: input.channelTxnId, amountFen: input.amountFen,
  }, now);
  return { payment: { ...payment, reversedAt: null }, created: true, balanceFen, emergencyCreditRepaidFen: repaid };
}

/** A repeated posting must name the original's account and amount; anything else is refused. */
export function checkRepeat(existing: Pick<PaymentRow, 'id' | 'accountId' | 'amountFen'>,
  input: Pick<PaymentInput, 'channelTxnId' | 'accountId' | 'amountFen'> & { channel: string }): void {
  if (existing.amountFen !== input.amountFen || existing.accountId !== input.accountId) {
    throw new AppError(
      'LEDGER_DUPLICATE_MISMATCH',
      `payment ${input.channel}/${input.channelTxnId} was already posted with account ${existing.accountId} and amount ${existing.amountFen} fen; ` +
        `this request says account ${input.accountId} and ${input.amountFen} fen`,
      { paymentId: existing.id },
    );
  }
}

function repeatOf(repos: Repositories, existing: PaymentRow, input: PaymentInput): PostedPayment {
  checkRepeat(existing, input);
  const account = repos.accounts.get(existing.accountId);
  return { payment: existing, created: false, balanceFen: account?.balanceFen ?? 0, emergencyCreditRepaidFen: repaidBy(repos, existing) };
}

/** Emergency credit a payment repaid (net of a repayment undone by its reversal). */
function repaidBy(repos: Repositories, payment: PaymentRow): number {
  return repos.ledger.entriesOfPayment(payment.accountId, payment.id)
    .filter((e) => e.kind === 'emergency-credit' && e.amountFen < 0)
    .reduce((sum, e) => sum - e.amountFen, 0);
}

/**
 * Takes a payment back, once. Emergency credit the payment repaid is owed again: the reversal
 * undoes the repayment and then the payment.
 */
export function reversePayment(repos: Repositories, paymentId: string, actor: string, reason: string, now: number): PostedPayment {
  return repos.transaction(() => {
    const payment = repos.ledger.payment(paymentId);
    if (!payment) throw new AppError('PAYMENT_NOT_FOUND', `payment ${paymentId} does not exist`);
    if (!repos.ledger.markReversed(paymentId, now)) {
      throw new AppError('PAYMENT_ALREADY_REVERSED', `payment ${paymentId} was already reversed`, { paymentId });
    }
    const repaid = repaidBy(repos, payment);
    if (repaid > 0) {
      applyEntry(repos, {
        accountId: payment.accountId, kind: 'emergency-credit', amountFen: repaid, actor, at: now, paymentId,
        reason: 'emergency credit repayment undone by reversal',
      });
      const account = repos.accounts.get(payment.accountId)!;
      repos.accounts.setEmergencyCredit(payment.accountId, account.emergencyCreditFen + repaid);
    }
    const entry = applyEntry(repos, {
      accountId: payment.accountId, kind: 'reversal', amountFen: -payment.amountFen, actor, at: now, paymentId, reason,
    });
    repos.journal.appendEvent('payment-reversed', payment.accountId, null, {
      paymentId, amountFen: payment.amountFen, reason, emergencyCreditOwedAgainFen: repaid, balanceFen: entry.balanceFen,
    }, now);
    repos.journal.audit(actor, 'payment-reversed', payment.accountId, { paymentId, amountFen: payment.amountFen, reason }, now);
    return { payment: { ...payment, reversedAt: now }, created: true, balanceFen: entry.balanceFen, emergencyCreditRepaidFen: 0 };
  });
}
