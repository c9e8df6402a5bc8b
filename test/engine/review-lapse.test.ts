// A protected customer at the cut-off level goes to manual review instead of being cut off; the
// review stands while the account is protected and at or below its cut-off level. When that no
// longer holds — protection removed, a payment, a credit grade that lowers the cut-off level — the
// review closes itself, resolved by the engine with the reason, and the account leaves the review
// state; without protection the engine then cuts off as for anyone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService } from '../../src/commands/service.js';
import { Engine } from '../../src/engine/reconciler.js';
import { postAdjustment } from '../../src/ledger/adjustments.js';
import { postPayment } from '../../src/ledger/payments.js';
import { updateAccount } from '../../src/fleet.js';

const HOUR = 3_600_000;

describe('a protected-arrears review that no longer applies', () => {
  let t: TestDb;
  let clock: number;
  let commands: CommandService;
  let engine: Engine;

  beforeEach(() => {
    t = openTestDb();
    t.config.engine.graceMs = 0;
    t.config.engine.noCut = { nights: false, nightStart: '18:00', nightEnd: '08:00', weekends: false, holidays: false };
    t.config.engine.safety.minIntervalMs = 0;
    clock = Date.parse('2026-11-25T10:00:00+08:00');
    const logger = pino({ level: 'silent' });
    const events = new EventBus(logger);
    commands = new CommandService(t.repos, {}, events, createMetrics(), logger, t.config.engine, () => clock);
    engine = new Engine(t.repos, commands, events, createMetrics(), logger, t.config, () => clock);
  });
  afterEach(async () => {
    engine.stop();
    await commands.stop();
    t.cleanup();
  });

  /** A protected account in arrears, warned an hour ago, its review raised by the engine. */
  function underReview(id: string) {
    t.account({ id, protected: true }, clock - 2 * HOUR);
    t.meter(`m-${id}`, id, clock - 2 * HOUR);
    t.repos.meters.setRelayState(`m-${id}`, 'closed', clock - 2 * HOUR);
    postAdjustment(t.repos, { accountId: id, amountFen: -10, reason: 'opening arrears', actor: 'test' }, clock - HOUR);
    engine.evaluate(id);
    const open = t.repos.reviews.list({ kind: 'protected-arrears', accountId: id, open: true, limit: 10 });
    expect(open).toHaveLength(1);
    expect(t.repos.accounts.state(id)).toBe('review');
    return open[0]!.id;
  }
  const disconnects = (id: string) => t.repos.commands.list({ meterId: `m-${id}` }, null, 10).filter((c) => c.action === 'disconnect');

  it('closes when protection is removed, and the engine then cuts off', () => {
    const reviewId = underReview('acc-p');
    expect(disconnects('acc-p')).toEqual([]);
    clock += 1000;
    updateAccount(t.repos, t.config, 'acc-p', { protected: false }, 'key:ops', clock);
    expect(t.repos.reviews.get(reviewId)).toMatchObject({
      resolvedAt: clock, resolvedBy: 'engine', resolution: 'no longer applies: protection removed by key:ops',
    });
    const resolved = t.repos.journal.events(0, 'acc-p', 100).filter((e) => e.type === 'review-resolved').map((e) => JSON.parse(e.data));
    expect(resolved).toEqual([{ reviewId, kind: 'protected-arrears', resolution: 'no longer applies: protection removed by key:ops', actor: 'engine' }]);
    expect(t.repos.accounts.get('acc-p')!.reviewAt).toBeNull();
    engine.evaluate('acc-p');
    expect(disconnects('acc-p')).toHaveLength(1);
    expect(t.repos.accounts.state('acc-p')).not.toBe('review');
    expect(t.repos.reviews.list({ kind: 'protected-arrears', open: true, limit: 10 })).toEqual([]);
  });

  it('closes when a payment lifts the balance above the cut-off level', () => {
    const reviewId = underReview('acc-q');
    postPayment(t.repos, { accountId: 'acc-q', channel: 'counter', channelTxnId: 'c-1', amountFen: 100, paidAt: clock, actor: 'billing' }, clock);
    expect(t.repos.reviews.get(reviewId)).toMatchObject({ resolvedBy: 'engine', resolution: 'no longer applies: balance 90 fen is above the cut-off level 0 fen' });
    expect(t.repos.accounts.state('acc-q')).not.toBe('review');
  });

  it('closes when a better credit grade lowers the cut-off level below the balance', () => {
    const reviewId = underReview('acc-g');
    updateAccount(t.repos, t.config, 'acc-g', { creditGrade: 'A' }, 'key:ops', clock);
    expect(t.repos.accounts.get('acc-g')!.cutoffLevelFen).toBe(-5000);
    expect(t.repos.reviews.get(reviewId)).toMatchObject({ resolvedBy: 'engine', resolution: 'no longer applies: balance -10 fen is above the cut-off level -5000 fen' });
  });
});
