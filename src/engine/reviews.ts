// Review items: what the engine hands to a person instead of acting — a protected customer at the
// cut-off level (once per arrears episode), a flapping relay, a relay fault, a meter refusing a
// trip under its own keep-power. Each is raised once while open, with a 'manual-review' event for
// the outbox and an audit entry; an operator resolves it with a note. A protected-arrears item that
// no longer applies — the account is no longer protected, or its balance is above the cut-off
// level again — closes itself with the reason, where that input changes (`closeArrearsReview`).
import type { Repositories, ReviewRow, ReviewKind } from '../db/repo/index.js';
import type { ReviewFilter } from '../db/repo/reviews.js';
import { AppError } from '../errors.js';

export interface RaiseRequest {
  kind: ReviewKind;
  accountId: string | null;
  meterId: string | null;
  reason: string;
  detail?: Record<string, unknown>;
}

/**
 * Why an account's protected-arrears review no longer applies, or null while it does: it stands
 * while the account is protected and at or below its cut-off level.
 */
export function arrearsReviewLapse(account: { protected: number; balanceFen: number }, cutoffLevelFen: number): string | null {
  if (account.protected !== 1) return 'the account is no longer protected';
  if (account.balanceFen > cutoffLevelFen) return `balance ${account.balanceFen} fen is above the cut-off level ${cutoffLevelFen} fen`;
  return null;
}

/**
 * Ends the account's arrears episode (accounts.review_at) and closes its open protected-arrears
 * review items as resolved by the engine, "no longer applies: <why>", with a 'review-resolved'
 * event and an audit entry. In the caller's transaction; returns how many items it closed.
 */
export function closeArrearsReview(repos: Repositories, accountId: string, why: string, at: number): number {
  repos.accounts.setReviewAt(accountId, null);
  const resolution = `no longer applies: ${why}`;
  let closed = 0;
  for (let item = repos.reviews.openFor('protected-arrears', { accountId }); item; item = repos.reviews.openFor('protected-arrears', { accountId })) {
    if (!repos.reviews.resolve(item.id, 'engine', resolution, at)) break;
    const detail = { reviewId: item.id, kind: item.kind, resolution, actor: 'engine' };
    repos.journal.audit('engine', 'review-resolved', item.meterId ?? accountId, detail, at);
    repos.journal.appendEvent('review-resolved', accountId, item.meterId, detail, at);
    closed++;
  }
  return closed;
}

export class ReviewService {
  constructor(private readonly repos: Repositories, private readonly now: () => number) {}

  /**
   * Raises an item in the caller's transaction unless one of the same kind is open for the same
   * meter (or account, when there is no meter); returns the new item's id or null.
   */
  raiseInTransaction(req: RaiseRequest, at: number): number | null {
    const target = req.meterId ? { meterId: req.meterId } : { accountId: req.accountId ?? undefined };
    if (this.repos.reviews.openFor(req.kind, target)) return null;
    return this.insert(req, at);
  }

  /** A protected customer at the cut-off level: once per arrears episode (accounts.review_at). */
  raiseProtectedInTransaction(accountId: string, meterId: string, reason: string, balanceFen: number, at: number): number | null {
    const account = this.repos.accounts.get(accountId);
    if (!account || account.reviewAt !== null) return null;
    this.repos.accounts.setReviewAt(accountId, at);
    return this.insert({ kind: 'protected-arrears', accountId, meterId, reason, detail: { balanceFen } }, at);
  }

  raise(req: RaiseRequest): number | null {
    const at = this.now();
    return this.repos.transaction(() => this.raiseInTransaction(req, at));
  }

  resolve(id: number, actor: string, resolution: string): ReviewRow {
    const at = this.now();
    return this.repos.transaction(() => {
      const item = this.repos.reviews.get(id);
      if (!item) throw new AppError('NOT_FOUND', `review item ${id} does not exist`);
      if (!this.repos.reviews.resolve(id, actor, resolution, at)) throw new AppError('CONFLICT', `review item ${id} was already resolved at ${new Date(item.resolvedAt!).toISOString()}`);
      this.repos.journal.audit(actor, 'review-resolved', item.meterId ?? item.accountId ?? String(id), { reviewId: id, kind: item.kind, resolution }, at);
      this.repos.journal.appendEvent('review-resolved', item.accountId, item.meterId, { reviewId: id, kind: item.kind, resolution, actor }, at);
      return this.repos.reviews.get(id)!;
    });
  }

  list(filter: ReviewFilter): ReviewRow[] {
    return this.repos.reviews.list(filter);
  }

  private insert(req: RaiseRequest, at: number): number {
    const id = this.repos.reviews.insert({ kind: req.kind, accountId: req.accountId, meterId: req.meterId, reason: req.reason, createdAt: at });
    const detail = { reviewId: id, kind: req.kind, reason: req.reason, ...req.detail };
    this.repos.journal.appendEvent('manual-review', req.accountId, req.meterId, detail, at);
    this.repos.journal.audit('engine', `review-${req.kind}`, req.meterId ?? req.accountId ?? String(id), detail, at);
    return id;
  }
}
