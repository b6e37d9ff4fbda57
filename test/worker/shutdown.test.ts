/**
 * Stopping a worker cleanly: `npm run worker` is stopped the way a process manager stops it —
 * SIGTERM to the npm process — and the signal must reach the worker itself (npm forwards it;
 * the script execs node, so there is no shell in between to die and orphan the worker). The
 * worker drains: running activities finish, then it exits 0. An activity that does not end is
 * given up at the force time: the worker exits 1 instead of staying DRAINING.
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { spawnChild, workerEnv, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { childrenOf, commandLine, isAlive } from '../support/processes';
import { admin, startSync } from '../support/sync';
import { waitFor } from '../tenants/support';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: 9, suppliers: 40 });
  await h.saveTenant({
    tenantId: 'drain',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
});
afterAll(() => h?.close());

/** `npm run worker`, configured like the harness's workers, on the harness's task queue. */
function npmRunWorker(env: Record<string, string> = {}): ChildWorker {
  return spawnChild(
    'npm',
    ['run', '--silent', 'worker'],
    workerEnv(h, { XLEDGER_ENDPOINT: h.sim.graphqlUrl, LOG_LEVEL: 'info', ...env }),
  );
}

/** Starts `npm run worker` and waits for its worker: npm's one child must be node running src/worker.ts. */
async function startedWorker(env: Record<string, string> = {}) {
  const w = npmRunWorker(env);
  await waitFor('the worker to start', () => w.output().includes('"msg":"worker started"'), {
    timeoutMs: 90_000,
  });
  const children = childrenOf(w.process.pid!);
  expect(children, w.output()).toHaveLength(1);
  const workerPid = children[0]!;
  // node itself, not a shell running it (`sh -c` would die of the signal and orphan node).
  expect(basename(readlinkSync(`/proc/${workerPid}/exe`))).toBe('node');
  expect(commandLine(workerPid)).toMatch(/ --import tsx src\/worker\.ts$/);
  return { ...w, workerPid };
}

async function stopped(w: ChildWorker, workerPid: number) {
  const started = Date.now();
  w.process.kill('SIGTERM');
  const code = await w.exited;
  const seconds = (Date.now() - started) / 1000;
  await waitFor(`worker process ${workerPid} to be gone`, () => !isAlive(workerPid), { timeoutMs: 5_000 });
  return { code, seconds };
}

describe('npm run worker, stopped with SIGTERM to npm', () => {
  it('drains and exits 0, leaving no worker process behind', async () => {
    const w = await startedWorker();
    const { code, seconds } = await stopped(w, w.workerPid);
    expect(code, w.output()).toBe(0);
    expect(w.output()).toContain('"msg":"worker draining"');
    expect(w.output()).toContain('"msg":"worker stopped"');
    expect(w.output()).not.toMatch(/IllegalStateError|"level":[56]0/);
    expect(seconds).toBeLessThan(30);
    console.log(`idle worker: exit ${code} ${seconds.toFixed(1)} s after SIGTERM`);
  });

  it('lets a running activity finish before it exits; the run then completes without a retry', async () => {
    // The sync's one Xledger request takes 8 s; SIGTERM comes while it is in flight.
    await admin(h, 'POST', '/admin/faults', { kind: 'slow', field: 'suppliers', delayMs: 8_000, count: 1 });
    const w = await startedWorker({ WORKER_SHUTDOWN_GRACE_SECONDS: '30' });
    const handle = await startSync(h, 'drain', 'suppliers', 'full');
    await waitFor('the slow request to be in flight', async () => {
      const faults = await admin<unknown[]>(h, 'GET', '/admin/faults');
      return faults.length === 0;
    });
    const { code, seconds } = await stopped(w, w.workerPid);
    expect(code, w.output()).toBe(0);
    // It waited for the activity (about 8 s) rather than killing it.
    expect(seconds).toBeGreaterThan(5);
    expect(seconds).toBeLessThan(30);
    console.log(`worker with a running activity: exit ${code} ${seconds.toFixed(1)} s after SIGTERM`);

    await h.startWorker();
    await handle.result();
    const { events } = await handle.fetchHistory();
    const failed = (events ?? []).filter(
      (event) => event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes,
    );
    expect(failed).toEqual([]);
  });

  it('gives up on an activity that does not end at the force time, and exits 1', async () => {
    await admin(h, 'POST', '/admin/faults', { kind: 'slow', field: 'suppliers', delayMs: 120_000, count: 1 });
    const w = await startedWorker({
      TEMPORAL_TASK_QUEUE: `${h.taskQueue}-force`,
      WORKER_SHUTDOWN_GRACE_SECONDS: '2',
      WORKER_SHUTDOWN_FORCE_SECONDS: '6',
    });
    await startSync(h, 'drain', 'suppliers', 'full', `${h.taskQueue}-force`);
    await waitFor('the slow request to be in flight', async () => {
      const faults = await admin<unknown[]>(h, 'GET', '/admin/faults');
      return faults.length === 0;
    });
    const { code, seconds } = await stopped(w, w.workerPid);
    expect(code, w.output()).toBe(1);
    expect(seconds).toBeGreaterThan(5);
    expect(seconds).toBeLessThan(15);
    expect(w.output()).toMatch(/GracefulShutdownPeriodExpiredError|did not drain/);
    console.log(
      `worker with an activity that does not end: exit ${code} ${seconds.toFixed(1)} s after SIGTERM`,
    );
  });
});
