// Payments (销账), reversals (冲正) and the ledger's alarm bookkeeping, on a real SQLite database:
// a payment is credited once per (channel, transaction id), a reversal happens once, alarm events are
// written once per crossing, and the cached balance always equals the sum of the entries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { postPayment, reversePayment, type PaymentInput } from '../../src/ledger/payments.js';
import { applyEntry } from '../../src/ledger/ledger.js';
import { AppError } from '../../src/errors.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
  t.account({ id: 'acc-1' }); // default levels: alarm 1 at 2000, alarm 2 at 1000, cut-off 0, restore 0
  t.account({ id: 'acc-2' });
});
afterEach(() => t.cleanup());

const pay = (over: Partial<PaymentInput> = {}): PaymentInput => ({
  accountId: 'acc-1', channel: 'wechat', channelTxnId: 'wx-0001', amountFen: 5000, paidAt: T0, actor: 'billing', ...over,
});

/** Runs `fn` and returns the AppError it throws (fails the test when it throws something else or nothing). */
function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError, nothing was thrown');
}

const entries = (accountId = 'acc-1') => t.repos.ledger.entries(accountId, 0, 1000);
const balance = (accountId = 'acc-1') => t.repos.accounts.get(accountId)!.balanceFen;
const eventTypes = (accountId = 'acc-1') => t.repos.journal.events(0, accountId, 100).map((e) => e.type);

describe('postPayment', () => {
  it('credits a new payment once and records it in the ledger', () => {
    const posted = postPayment(t.repos, pay(), T0);
    expect(posted).toMatchObject({ created: true, balanceFen: 5000 });
    expect(posted.payment).toMatchObject({ channel: 'wechat', channelTxnId: 'wx-0001', accountId: 'acc-1', amountFen: 5000, reversedAt: null });
    expect(entries()).toEqual([
      expect.objectContaining({ kind: 'payment', amountFen: 5000, balanceAfterFen: 5000, paymentId: posted.payment.id, actor: 'billing' }),
    ]);
    expect(eventTypes()).toContain('payment-posted');
  });

  it('is idempotent: the same channel and transaction id again credits nothing and answers with the original', () => {
    const first = postPayment(t.repos, pay(), T0);
    const again = postPayment(t.repos, pay({ paidAt: T0 + 60_000, actor: 'bank-retry' }), T0 + 60_000);
    expect(again.created).toBe(false);
    expect(again.payment.id).toBe(first.payment.id);
    expect(again.payment.createdAt).toBe(T0);
    expect(again.balanceFen).toBe(5000);
    expect(balance()).toBe(5000);
    expect(entries()).toHaveLength(1);
  });

  it('fifty copies of one payment credit it once', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(postPayment(t.repos, pay(), T0 + i).payment.id);
    expect(ids.size).toBe(1);
    expect(balance()).toBe(5000);
    expect(entries()).toHaveLength(1);
  });

  it('the same transaction id on another channel is another payment', () => {
    postPayment(t.repos, pay(), T0);
    const other = postPayment(t.repos, pay({ channel: 'alipay' }), T0);
    expect(other.created).toBe(true);
    expect(balance()).toBe(10_000);
  });

  it.each<[string, Partial<PaymentInput>]>([
    ['another amount', { amountFen: 5001 }],
    ['another account', { accountId: 'acc-2' }],
  ])('a resend with %s is refused with LEDGER_DUPLICATE_MISMATCH and changes nothing', (_what, over) => {
    const first = postPayment(t.repos, pay(), T0);
    const err = appError(() => postPayment(t.repos, pay(over), T0));
    expect(err.code).toBe('LEDGER_DUPLICATE_MISMATCH');
    expect(err.message).toContain('wechat/wx-0001');
    expect(err.context).toEqual({ paymentId: first.payment.id });
    expect(balance('acc-1')).toBe(5000);
    expect(balance('acc-2')).toBe(0);
  });

  it('an unknown account is ACCOUNT_NOT_FOUND and nothing is stored', () => {
    const err = appError(() => postPayment(t.repos, pay({ accountId: 'nobody' }), T0));
    expect(err.code).toBe('ACCOUNT_NOT_FOUND');
    expect(err.message).toContain('nobody');
    expect(t.repos.ledger.paymentByChannelTxn('wechat', 'wx-0001')).toBeUndefined();
    // The transaction id is still free for the right account.
    expect(postPayment(t.repos, pay(), T0).created).toBe(true);
  });

  it.each([0, -100, 12.5, Number.NaN])('amount %s fen is a VALIDATION error', (amountFen) => {
    expect(appError(() => postPayment(t.repos, pay({ amountFen }), T0)).code).toBe('VALIDATION');
    expect(entries()).toHaveLength(0);
  });
});

describe('reversePayment', () => {
  it('takes the payment back once, then refuses with PAYMENT_ALREADY_REVERSED', () => {
    postPayment(t.repos, pay({ channelTxnId: 'keep', amountFen: 700 }), T0);
    const { payment } = postPayment(t.repos, pay(), T0);
    const reversed = reversePayment(t.repos, payment.id, 'operator-1', 'posted to the wrong account', T0 + 1000);
    expect(reversed.balanceFen).toBe(700);
    expect(reversed.payment.reversedAt).toBe(T0 + 1000);
    expect(t.repos.ledger.payment(payment.id)!.reversedAt).toBe(T0 + 1000);
    expect(entries().at(-1)).toMatchObject({ kind: 'reversal', amountFen: -5000, balanceAfterFen: 700, paymentId: payment.id, actor: 'operator-1' });

    const err = appError(() => reversePayment(t.repos, payment.id, 'operator-1', 'again', T0 + 2000));
    expect(err.code).toBe('PAYMENT_ALREADY_REVERSED');
    expect(balance()).toBe(700);
    expect(entries().filter((e) => e.kind === 'reversal')).toHaveLength(1);
  });

  it('an unknown payment is PAYMENT_NOT_FOUND', () => {
    expect(appError(() => reversePayment(t.repos, 'no-such-payment', 'operator-1', 'x', T0)).code).toBe('PAYMENT_NOT_FOUND');
  });

  it('re-posting a reversed payment credits nothing', () => {
    const { payment } = postPayment(t.repos, pay(), T0);
    reversePayment(t.repos, payment.id, 'operator-1', 'duplicate at the counter', T0 + 1);
    const again = postPayment(t.repos, pay(), T0 + 2);
    expect(again).toMatchObject({ created: false, balanceFen: 0 });
    expect(again.payment.reversedAt).toBe(T0 + 1);
    expect(balance()).toBe(0);
  });
});

describe('applyEntry: alarms', () => {
  const adjust = (amountFen: number, at: number) =>
    applyEntry(t.repos, { accountId: 'acc-1', kind: 'adjustment', amountFen, actor: 'operator-1', at, reason: 'test' });

  it('writes each alarm event once per downward crossing and re-arms on the way up', () => {
    // Created at 0 fen, the accounts are at alarm level 2 from the start (their events before `start`).
    expect(t.repos.accounts.get('acc-1')).toMatchObject({ alarmState: 2 });
    const start = Math.max(0, ...t.repos.journal.events(0, 'acc-1', 100).map((e) => e.id), ...t.repos.journal.events(0, 'acc-2', 100).map((e) => e.id));
    postPayment(t.repos, pay({ amountFen: 3000 }), T0); //        3000: above both levels (re-armed)
    expect(adjust(-1500, T0 + 1).events.map((e) => e.type)).toEqual(['alarm-level-1']); // 1500
    expect(adjust(-100, T0 + 2).events).toEqual([]); //           1400: still level 1
    expect(adjust(-500, T0 + 3).events.map((e) => e.type)).toEqual(['alarm-level-2']); // 900
    expect(t.repos.accounts.get('acc-1')).toMatchObject({ alarmState: 2, alarm2At: T0 + 3 });
    expect(adjust(-100, T0 + 4).events).toEqual([]); //           800: still level 2, warned at T0+3
    expect(t.repos.accounts.get('acc-1')).toMatchObject({ alarmState: 2, alarm2At: T0 + 3 });

    postPayment(t.repos, pay({ channelTxnId: 'wx-0002', amountFen: 4200 }), T0 + 5); // 5000: re-armed
    expect(t.repos.accounts.get('acc-1')).toMatchObject({ alarmState: 0, alarm2At: null });
    expect(adjust(-4200, T0 + 6).events.map((e) => e.type)).toEqual(['alarm-level-1', 'alarm-level-2']); // 800
    expect(t.repos.accounts.get('acc-1')).toMatchObject({ alarmState: 2, alarm2At: T0 + 6 });

    const alarms = t.repos.journal.events(start, 'acc-1', 100).filter((e) => e.type.startsWith('alarm-'));
    expect(alarms.map((e) => e.type)).toEqual(['alarm-rearmed', 'alarm-level-1', 'alarm-level-2', 'alarm-rearmed', 'alarm-level-1', 'alarm-level-2']);
    expect(JSON.parse(alarms[1]!.data)).toEqual({ balanceFen: 1500, levelFen: 2000 });
    expect(JSON.parse(alarms[2]!.data)).toEqual({ balanceFen: 900, levelFen: 1000 });
    expect(t.repos.journal.events(start, 'acc-2', 100).filter((e) => e.type.startsWith('alarm-'))).toEqual([]);
  });

  it('clears a pending manual review once the balance is back above the cut-off level', () => {
    t.repos.accounts.setReviewAt('acc-1', T0);
    adjust(-10, T0 + 1);
    expect(t.repos.accounts.get('acc-1')!.reviewAt).toBe(T0);
    adjust(20, T0 + 2);
    expect(t.repos.accounts.get('acc-1')!.reviewAt).toBeNull();
  });

  it('refuses fractional amounts and unknown accounts', () => {
    expect(() => adjust(0.5, T0)).toThrow(RangeError);
    expect(() => applyEntry(t.repos, { accountId: 'nobody', kind: 'adjustment', amountFen: 1, actor: 'x', at: T0 })).toThrow(/nobody/);
    expect(entries()).toHaveLength(0);
  });
});

describe('ledger invariant', () => {
  it('the cached balance equals the sum of the entries after a mix of operations', () => {
    const a = postPayment(t.repos, pay({ amountFen: 12_345 }), T0);
    postPayment(t.repos, pay({ channelTxnId: 'wx-0002', amountFen: 655 }), T0);
    postPayment(t.repos, pay({ accountId: 'acc-2', channel: 'bank', channelTxnId: 'b-1', amountFen: 100 }), T0);
    postPayment(t.repos, pay({ amountFen: 12_345 }), T0); // repeat
    applyEntry(t.repos, { accountId: 'acc-1', kind: 'emergency-credit', amountFen: 1000, actor: 'operator-1', at: T0 });
    reversePayment(t.repos, a.payment.id, 'operator-1', 'bounced', T0);
    expect(t.repos.ledger.invariantViolations()).toEqual([]);
    expect(balance('acc-1')).toBe(655 + 1000);
    expect(t.repos.ledger.sumFor('acc-1')).toBe(655 + 1000);
    // each entry's balance-after is the running sum
    let running = 0;
    for (const e of entries()) {
      running += e.amountFen;
      expect(e.balanceAfterFen).toBe(running);
    }
  });
});
