// Group commit for payments: the payments submitted within one event-loop tick are posted in one
// transaction — one fsync (synchronous=FULL) for all of them — and each caller is answered only
// after that transaction has committed, so an acknowledged payment is durable. A payment that is
// refused (unknown account, a resend with another amount) is refused before it writes anything
// and answered with its error while the others commit. Should a payment fail half-way through
// writing, the group is rolled back and posted again with a savepoint per payment, so that
// failure too stays with its own payment. (Savepoints cost a sub-journal each; the fast path
// needs none.)
//
//   submit ─┐                      ┌─ BEGIN IMMEDIATE
//   submit ─┼─ queue ─ setImmediate ┼─ prepare (reads, refusals) → write   (× up to maxItems)
//   submit ─┘                      └─ COMMIT (one fsync) ─▶ resolve / reject each
import type { Repositories } from '../db/repo/index.js';
import { checkPaymentInput, postPayment, preparePayment, writePayment, type PaymentInput, type PostedPayment } from './payments.js';

export interface GroupCommitOptions {
  /** false: one transaction per payment (for comparison) */
  enabled: boolean;
  /** payments in one transaction at most; the rest go in the next */
  maxItems: number;
}

interface Pending {
  input: PaymentInput;
  now: number;
  resolve: (posted: PostedPayment) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; posted: PostedPayment } | { ok: false; error: unknown };

export class PaymentBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private idle: Array<() => void> = [];
  /** group sizes committed, for the metrics */
  onCommit: ((size: number) => void) | null = null;

  constructor(private readonly repos: Repositories, private readonly options: GroupCommitOptions) {}

  /** Posts a payment; resolves after the transaction holding it has committed. */
  submit(input: PaymentInput, now: number): Promise<PostedPayment> {
    if (!this.options.enabled) {
      try {
        const posted = postPayment(this.repos, input, now);
        this.onCommit?.(1);
        return Promise.resolve(posted);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    try {
      checkPaymentInput(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<PostedPayment>((resolve, reject) => {
      this.queue.push({ input, now, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed and answered. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.queue.splice(0, this.options.maxItems);
    if (this.queue.length > 0) this.schedule();
    if (group.length > 0) this.commit(group);
    if (this.queue.length === 0 && !this.scheduled) for (const done of this.idle.splice(0)) done();
  }

  private commit(group: Pending[]): void {
    let outcomes: Outcome[];
    try {
      outcomes = this.repos.transaction(() => this.postAll(group));
    } catch (err) {
      if (!(err instanceof WriteFailed)) {
        // The commit itself failed (disk full, I/O error): nothing of the group is durable.
        for (const p of group) p.reject(err);
        return;
      }
      // A write failed half-way and the group was rolled back: again, each payment in its own
      // savepoint, so the failure stays with its payment.
      try {
        outcomes = this.repos.transaction(() => group.map((p): Outcome => {
          try {
            return { ok: true, posted: postPayment(this.repos, p.input, p.now) };
          } catch (error) {
            return { ok: false, error };
          }
        }));
      } catch (commitErr) {
        for (const p of group) p.reject(commitErr);
        return;
      }
    }
    this.onCommit?.(group.length);
    group.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.posted);
      else p.reject(outcome.error);
    });
  }

  /**
   * The fast path: no savepoint per payment. A refusal is thrown by `preparePayment` before any
   * write, so it needs no rollback; a failure while writing aborts the group (WriteFailed).
   */
  private postAll(group: Pending[]): Outcome[] {
    return group.map((p): Outcome => {
      let prepared: ReturnType<typeof preparePayment>;
      try {
        prepared = preparePayment(this.repos, p.input);
      } catch (error) {
        return { ok: false, error };
      }
      if ('repeat' in prepared) return { ok: true, posted: prepared.repeat };
      try {
        return { ok: true, posted: writePayment(this.repos, p.input, prepared.account, p.now) };
      } catch (error) {
        throw new WriteFailed(error);
      }
    });
  }
}

/** A payment failed after it had started writing: its group must be rolled back. */
class WriteFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a payment failed while writing', { cause: failure });
  }
}
