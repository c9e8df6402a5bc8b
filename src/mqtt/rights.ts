// Who may do what on the concentrator topics (docs/design.md, MQTT contract): one table that the
// embedded broker enforces (broker-guard.ts) and the generated Mosquitto ACL states
// (mosquitto-config.ts), so both brokers give the same rights.
//
//   concentrator {cid}  publish   {prefix}/concentrators/{cid}/readings | acks | status
//                       subscribe {prefix}/concentrators/{cid}/commands   (exactly; no wildcards)
//   the daemon          everything (it publishes commands and subscribes to the uplinks)
//   anonymous           nothing — unless the lab setting mqtt.auth.allowAnonymous, then everything
import type { Topics, UplinkKind } from './topics.js';

export type MqttIdentity =
  | { kind: 'daemon' }
  | { kind: 'anonymous' }
  /** `credentialId` is null when a client certificate named it */
  | { kind: 'concentrator'; concentratorId: string; credentialId: string | null };

/** The topics a concentrator publishes to, under its own id. */
export const CONCENTRATOR_PUBLISHES: readonly UplinkKind[] = ['readings', 'acks', 'status'];
/** The topic a concentrator subscribes to, under its own id. */
export const CONCENTRATOR_SUBSCRIBES = 'commands';

/** Who owns a client id: one identity at a time (the same identity may take over its own session). */
export function identityKey(identity: MqttIdentity): string {
  return identity.kind === 'concentrator' ? `concentrator:${identity.concentratorId}` : identity.kind;
}

export function mayPublish(identity: MqttIdentity, topics: Topics, topic: string): boolean {
  if (identity.kind !== 'concentrator') return true;
  const route = topics.parse(topic);
  return route !== null && route.concentratorId === identity.concentratorId && CONCENTRATOR_PUBLISHES.includes(route.kind);
}

export function maySubscribe(identity: MqttIdentity, topics: Topics, filter: string): boolean {
  if (identity.kind !== 'concentrator') return true;
  return filter === topics.commands(identity.concentratorId);
}
