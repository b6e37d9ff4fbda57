import type { Connection } from '@temporalio/client';
import type { Config } from '../config';
import { XledgerSyncError } from '../errors';
import { versionOfIdentity } from '../temporal/worker-identity';
import { version } from '../version';

/**
 * The client/worker compatibility rule of CHANGELOG.md, checked when a client connects: a
 * client works with workers of its own release line — the same minor version while `0.x`, the
 * same major version from 1.0. The workers' versions are read from Temporal: each announces it in
 * its identity (temporal/worker-identity.ts), which DescribeTaskQueue lists per poller.
 */

/** One worker process seen polling the task queue (workflow or activity tasks). */
export interface WorkerPoller {
  identity: string;
  /** What it announces; null: it announces none (a worker from before 0.2). */
  version: string | null;
  /** When Temporal last saw it poll (ISO), if it says. */
  lastSeenAt: string | null;
}

export interface FleetCompatibility {
  clientVersion: string;
  taskQueue: string;
  /** Every distinct poller; empty when no worker polls (down, or not started yet). */
  workers: WorkerPoller[];
  /** The pollers outside the client's release line. */
  incompatible: WorkerPoller[];
}

export class IncompatibleWorkersError extends XledgerSyncError {
  override name = 'IncompatibleWorkersError';
  constructor(readonly fleet: FleetCompatibility) {
    super(incompatibilityMessage(fleet));
  }
}

/** The release line of a version: `0.2` for 0.2.3 (while 0.x), `1` for 1.5.1; null if unreadable. */
export function releaseLine(of: string): string | null {
  const parsed = /^(\d+)\.(\d+)\.\d+/.exec(of);
  if (!parsed) return null;
  const [, major, minor] = parsed;
  return major === '0' ? `0.${minor}` : major!;
}

/** CHANGELOG.md's rule: the same release line, and a version both can be read. */
export function compatibleVersions(client: string, worker: string | null): boolean {
  const line = releaseLine(client);
  return worker !== null && line !== null && releaseLine(worker) === line;
}

// DescribeTaskQueue's enums (temporal.api.enums.v1), by value: @temporalio/proto is not ours to import.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** The workers polling the task queue, as Temporal lists them (workflow and activity pollers). */
export async function workerPollers(
  connection: Connection,
  temporal: Pick<Config['temporal'], 'namespace' | 'taskQueue'>,
): Promise<WorkerPoller[]> {
  const seen = new Map<string, WorkerPoller>();
  for (const taskQueueType of [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY]) {
    const described = await connection.workflowService.describeTaskQueue({
      namespace: temporal.namespace,
      taskQueue: { name: temporal.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType,
    });
    for (const poller of described.pollers ?? []) {
      const identity = poller.identity ?? '';
      const seconds = poller.lastAccessTime?.seconds;
      const lastSeenAt = seconds === undefined || seconds === null ? null : new Date(Number(seconds) * 1000);
      const known = seen.get(identity);
      if (known && known.lastSeenAt && lastSeenAt && known.lastSeenAt >= lastSeenAt.toISOString()) continue;
      seen.set(identity, {
        identity,
        version: versionOfIdentity(identity),
        lastSeenAt: lastSeenAt?.toISOString() ?? null,
      });
    }
  }
  return [...seen.values()];
}

/** The fleet on the task queue judged against this client's version. */
export async function fleetCompatibility(
  connection: Connection,
  temporal: Pick<Config['temporal'], 'namespace' | 'taskQueue'>,
  clientVersion: string = version,
): Promise<FleetCompatibility> {
  const workers = await workerPollers(connection, temporal);
  return {
    clientVersion,
    taskQueue: temporal.taskQueue,
    workers,
    incompatible: workers.filter((worker) => !compatibleVersions(clientVersion, worker.version)),
  };
}

/**
 * Refuses a fleet outside the client's release line (IncompatibleWorkersError, naming both
 * versions). No pollers is allowed: the workers may be down or not started yet, and whatever
 * starts polling later is the operator's rollout to order (workers first, CHANGELOG.md).
 */
export async function refuseIncompatibleWorkers(
  connection: Connection,
  temporal: Pick<Config['temporal'], 'namespace' | 'taskQueue'>,
  clientVersion: string = version,
): Promise<FleetCompatibility> {
  const fleet = await fleetCompatibility(connection, temporal, clientVersion);
  if (fleet.incompatible.length > 0) throw new IncompatibleWorkersError(fleet);
  return fleet;
}

export function incompatibilityMessage(fleet: FleetCompatibility): string {
  const versions = [...new Set(fleet.incompatible.map((w) => w.version ?? 'no version (before 0.2)'))];
  const line = releaseLine(fleet.clientVersion);
  return (
    `This xledger-sync client is version ${fleet.clientVersion}, but ${fleet.incompatible.length} of the ` +
    `${fleet.workers.length} worker(s) polling task queue "${fleet.taskQueue}" announce ${versions.join(', ')}: ` +
    `a client works only with workers of its release line (${line === null ? fleet.clientVersion : `${line}.x`}; ` +
    'CHANGELOG.md, "Compatibility of clients and workers"). Bring the side that is behind to one line ' +
    "(workers first); a stopped worker drops out of Temporal's poller list within minutes."
  );
}
