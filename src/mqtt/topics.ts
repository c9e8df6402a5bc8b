// The MQTT topic layout of the concentrator contract, under a configurable prefix:
//
//   {prefix}/concentrators/{cid}/readings   uplink   meter readings (QoS 1)
//   {prefix}/concentrators/{cid}/acks       uplink   relay command acknowledgements (QoS 1)
//   {prefix}/concentrators/{cid}/status     uplink   retained "online" / "offline" (the will)
//   {prefix}/concentrators/{cid}/commands   downlink relay commands (QoS 1)
//
// The daemon subscribes to exactly the three uplink filters, never to `#` (it would receive its
// own commands). Readings may go through an MQTT 5 shared subscription ($share/{group}/…) so that
// several daemons split them.

export type UplinkKind = 'readings' | 'acks' | 'status';

/** Concentrator ids appear as one topic level: no wildcards, no separators, no `$`. */
export const CONCENTRATOR_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export class Topics {
  private readonly base: string;

  constructor(readonly prefix: string) {
    this.base = `${prefix.replace(/\/+$/, '')}/concentrators/`;
  }

  readings(cid: string): string {
    return `${this.base}${cid}/readings`;
  }

  acks(cid: string): string {
    return `${this.base}${cid}/acks`;
  }

  status(cid: string): string {
    return `${this.base}${cid}/status`;
  }

  commands(cid: string): string {
    return `${this.base}${cid}/commands`;
  }

  /** The subscription filter of one uplink kind, shared in `group` when given. */
  filter(kind: UplinkKind, group?: string): string {
    const filter = `${this.base}+/${kind}`;
    return group ? `$share/${group}/${filter}` : filter;
  }

  /** Which uplink a topic is, and for which concentrator; null for anything else. */
  parse(topic: string): { kind: UplinkKind; concentratorId: string } | null {
    if (!topic.startsWith(this.base)) return null;
    const rest = topic.slice(this.base.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return null;
    const concentratorId = rest.slice(0, slash);
    const kind = rest.slice(slash + 1);
    if (kind !== 'readings' && kind !== 'acks' && kind !== 'status') return null;
    if (!CONCENTRATOR_ID.test(concentratorId)) return null;
    return { kind, concentratorId };
  }
}
