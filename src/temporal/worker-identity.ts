import { hostname } from 'node:os';
import { version } from '../version';

/**
 * How a worker announces its version: in its Temporal identity, which DescribeTaskQueue returns
 * for every poller of the task queue. So a client can read the fleet's versions from Temporal
 * alone, without a registry of its own that a dead worker would leave stale (a stopped worker's
 * poller drops out of DescribeTaskQueue within minutes).
 */
const MARK = 'xledger-sync/';

/** `<pid>@<host> xledger-sync/<version>`: Temporal's default identity, then the version. */
export function workerIdentity(announced: string = version): string {
  return `${process.pid}@${hostname()} ${MARK}${announced}`;
}

/** The version a poller's identity announces; null when it announces none (a worker before 0.2). */
export function versionOfIdentity(identity: string): string | null {
  const at = identity.lastIndexOf(MARK);
  if (at < 0) return null;
  const announced = /^\d+\.\d+\.\d+\S*/.exec(identity.slice(at + MARK.length));
  return announced ? announced[0] : null;
}
