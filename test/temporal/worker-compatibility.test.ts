import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IncompatibleWorkersError } from '../../src/client';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { fleetCompatibility } from '../../src/client/compatibility';
import { workerIdentity } from '../../src/temporal/worker-identity';
import { version } from '../../src/version';
import { startHarness, type Harness } from '../support/harness';
import { apiConfig, connectApi, waitFor } from '../tenants/support';

/**
 * CHANGELOG.md's client/worker rule, checked when the client connects, on the run's Temporal
 * server: each worker announces its version in its identity; the client reads the task queue's
 * pollers and refuses a fleet outside its release line, naming both versions.
 */
let h: Harness;
const others: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];

/** A bare worker on the harness's task queue that announces `announced` (or the default identity). */
async function pollingWorker(identity: string, taskQueue = h.taskQueue): Promise<void> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    identity,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {},
  });
  others.push({ worker, running: worker.run(), connection });
}

/** Connects once Temporal lists `identity` among the pollers (a poll shows up within a moment). */
async function connectSeeing(identity: string, taskQueue = h.taskQueue) {
  const config = { ...apiConfig(h), temporal: { ...h.config.temporal, taskQueue } };
  return waitFor(`the poller ${identity}`, async () => {
    try {
      const api = await connectWithConfig(config);
      await api.close();
      return undefined;
    } catch (error) {
      return error instanceof IncompatibleWorkersError &&
        error.fleet.workers.some((w) => w.identity === identity)
        ? error
        : undefined;
    }
  });
}

beforeAll(async () => {
  h = await startHarness({ seed: 3, suppliers: 5 });
});
afterAll(async () => {
  for (const { worker, running, connection } of others) {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
  }
  await h?.close();
});

describe('connecting to a worker fleet', () => {
  it('is allowed with no worker polling the task queue (workers may be down)', async () => {
    const api = await connectWithConfig(apiConfig(h));
    await api.close();
  });

  it('passes with workers of the same release line, which announce their version', async () => {
    await h.startWorker();
    const seen = await waitFor('the worker among the pollers', async () => {
      const connection = await Connection.connect({ address: h.config.temporal.address });
      try {
        const fleet = await fleetCompatibility(connection, h.config.temporal);
        return fleet.workers.length > 0 ? fleet : undefined;
      } finally {
        await connection.close();
      }
    });
    expect(seen.workers.every((w) => w.version === version)).toBe(true);
    expect(seen.incompatible).toEqual([]);
    const api = await connectApi(h);
    await api.close();
  });

  it('is refused when a worker of another release line polls, naming both versions', async () => {
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const other = major === 0 ? `0.${minor + 1}.0` : `${major + 1}.0.0`;
    const identity = workerIdentity(other);
    await pollingWorker(identity);
    const error = await connectSeeing(identity);
    expect(error.message).toContain(`This xledger-sync client is version ${version}`);
    expect(error.message).toContain(`announce ${other}`);
    expect(error.message).toContain(`task queue "${h.taskQueue}"`);
    expect(error.fleet.incompatible.map((w) => w.version)).toEqual([other]);
  });

  it('is refused when a worker announces no version (one from before the announcement)', async () => {
    // On a task queue of its own: one process runs one worker per task queue.
    const identity = `4242@old-host`;
    const taskQueue = `${h.taskQueue}-old`;
    await pollingWorker(identity, taskQueue);
    const error = await connectSeeing(identity, taskQueue);
    expect(error.message).toContain('no version (before 0.2)');
  });
});
