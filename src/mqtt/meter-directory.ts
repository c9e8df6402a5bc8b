// The concentrator ingest's meter ids by (concentrator, address), kept in memory while the meter
// directory's version stays the same: triggers on `meters` count it up whenever a meter is added
// or removed or its address or concentrator changes, by any writer in any daemon (migrations
// 0004, PostgreSQL 0005). The version is read at the start of each ingest transaction, inside it,
// so a batch's readings go to the meters as they are when it commits. Only meters that exist are
// kept: an unknown address is looked up again each time (it becomes a dead letter), so what is
// held is bounded by the fleet.
import type { Repositories } from '../db/repo/index.js';

export class MeterDirectory {
  private version = NaN;
  private readonly byConcentrator = new Map<string, Map<string, string>>();

  constructor(private readonly repos: Repositories) {}

  /** Call inside each transaction before looking meters up: forgets everything when the meters changed. */
  refresh(): void {
    const version = this.repos.ingest.meterDirectoryVersion();
    // NaN (no version row) never equals itself: nothing is kept then.
    if (version !== this.version) this.byConcentrator.clear();
    this.version = version;
  }

  /** The ids of the meters a concentrator calls by these addresses (absent: none registered). */
  meterIds(concentratorId: string, addresses: string[]): ReadonlyMap<string, string> {
    let known = this.byConcentrator.get(concentratorId);
    if (!known) {
      known = new Map();
      this.byConcentrator.set(concentratorId, known);
    }
    let missing: string[] | null = null;
    for (const address of addresses) {
      if (!known.has(address)) (missing ??= []).push(address);
    }
    if (missing) {
      for (const [address, id] of this.repos.ingest.meterIdsByAddress(concentratorId, missing)) known.set(address, id);
    }
    return known;
  }
}
