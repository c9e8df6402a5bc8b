// Group commit: small writes issued in the same turn of the event loop share one transaction —
// one fsync instead of one each. Each caller gets its own write's result once the batch commits.
// Used for the 'sent' mark of commands, which must be durable before their frame goes out: a
// burst of commands starting together (after a sweep, a bulk operation) then costs one fsync.

export class GroupCommit<T, R> {
  private batch: Array<{ item: T; done: (result: R) => void; fail: (err: unknown) => void }> = [];

  constructor(private readonly write: (items: T[]) => R[]) {}

  add(item: T): Promise<R> {
    return new Promise((done, fail) => {
      this.batch.push({ item, done, fail });
      if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    try {
      const results = this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.done(results[i]!));
    } catch (err) {
      for (const b of batch) b.fail(err);
    }
  }
}
