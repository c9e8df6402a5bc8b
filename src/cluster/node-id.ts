// Node ids for bus leases: the default one (host name and process id), and whether a lease holder
// named that way is a process of this host that no longer exists — its leases need not be waited
// out (a daemon restarted after a crash takes its buses back at once, as a lone daemon always did).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The default node id: host name and process id, distinct for every daemon on a host. */
export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}`;
}

/**
 * True when `nodeId` is a default node id of this host whose process is gone. Conservative: any
 * other id, a live process (whoever it now belongs to) or an unanswerable check gives false.
 */
export function isGoneLocalProcess(nodeId: string): boolean {
  const prefix = `${hostname()}-`;
  if (!nodeId.startsWith(prefix)) return false;
  const rest = nodeId.slice(prefix.length);
  if (!/^\d{1,10}$/.test(rest)) return false;
  const pid = Number(rest);
  if (pid <= 1 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(pid);
}

/** A process that has exited but was not reaped yet (Linux /proc state Z or X); false where unknown. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}
