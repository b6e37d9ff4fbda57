/**
 * Scale-out as production runs it: three worker processes on one task queue sync three tenants
 * that share one Xledger token, against the simulator with Xledger's real burst (20 / 5 s) and
 * concurrency (4 in flight) limits on. Each worker alone would send 15 requests per 5 s; the
 * three together would send 45 — unless they share one budget (src/store/request-budget.ts).
 * One worker is SIGKILLed mid-sync; the others finish its work. Xledger must refuse nothing,
 * and every tenant's store must equal the simulator's truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { counters, expectDataTypeEqualsTruth, resetCounters, startSync } from '../support/sync';
import { waitFor } from '../tenants/support';

const TENANTS = [
  { tenantId: 'scale-a', ownerDbId: SEED_ENTITIES.owner1 },
  { tenantId: 'scale-b', ownerDbId: SEED_ENTITIES.owner2 },
  { tenantId: 'scale-c', ownerDbId: SEED_ENTITIES.owner1 },
];
const DATA_TYPES = ['suppliers', 'accounts', 'dimensions'];
const WORKER_ENV = {
  // Small pages: many requests, so that the budget is what paces the run.
  XLEDGER_PAGE_SIZE: '20',
  // Three workers × 1 in flight stays under the simulator's 4 (concurrency is per process).
  XLEDGER_MAX_CONCURRENT_REQUESTS: '1',
  LOG_LEVEL: 'info',
};

let h: Harness;
const workers: ChildWorker[] = [];

beforeAll(async () => {
  h = await startHarness({ seed: 13, suppliers: 240, limits: { burst: true, concurrency: true } });
  for (const tenant of TENANTS) {
    await h.saveTenant({
      tenantId: tenant.tenantId,
      entityOwnerDbId: tenant.ownerDbId,
      xledger: { token: SEED_TOKENS.root },
    });
  }
});
afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('three workers sharing one token', () => {
  it(
    "stay within Xledger's limits together, and finish a killed worker's sync",
    { timeout: 300_000 },
    async () => {
      for (let i = 0; i < 3; i++) workers.push(spawnWorker(h, WORKER_ENV));
      for (const worker of workers) {
        await waitFor('the worker to start', () => worker.output().includes('worker started'), {
          timeoutMs: 120_000,
        });
      }
      await resetCounters(h);
      const handles = await Promise.all(
        TENANTS.flatMap((tenant) =>
          DATA_TYPES.map((dataType) => startSync(h, tenant.tenantId, dataType, 'full')),
        ),
      );

      // Kill a worker while it runs a pass that has made progress (a heartbeat).
      const pids = new Map(workers.map((worker) => [worker.process.pid!, worker]));
      let victim: ChildWorker | undefined;
      const deadline = Date.now() + 120_000;
      while (!victim) {
        if (Date.now() > deadline) throw new Error('no worker was seen running a pass');
        for (const handle of handles) {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          const running = pending.find((a) => a.heartbeatDetails && a.lastWorkerIdentity);
          const pid = Number(running?.lastWorkerIdentity?.split('@')[0]);
          if (pids.has(pid)) {
            victim = pids.get(pid);
            break;
          }
        }
        if (!victim) await sleep(250);
      }
      await victim.kill('SIGKILL');

      const runs = (await Promise.all(handles.map((handle) => handle.result()))) as SyncRunSummary[];
      expect(runs.map((run) => run.status)).toEqual(runs.map(() => 'completed'));
      for (const tenant of TENANTS) {
        for (const dataType of DATA_TYPES) {
          await expectDataTypeEqualsTruth(h, tenant.tenantId, tenant.ownerDbId, dataType);
        }
      }

      // The kill hit a running pass: some activity needed a second attempt, on another worker.
      const attempts = await Promise.all(
        handles.map(async (handle) =>
          Math.max(
            0,
            ...((await handle.fetchHistory()).events ?? []).map(
              (event) => event.activityTaskStartedEventAttributes?.attempt ?? 0,
            ),
          ),
        ),
      );
      expect(Math.max(...attempts)).toBeGreaterThan(1);

      // Xledger (the simulator, limits on) refused nothing the three workers sent with the token.
      const usage = await counters(h, 'root');
      console.log(
        `[scale-out] 3 workers, 1 killed: ${usage.requests} requests with one token, ${usage.refused} refused; ` +
          `${runs.reduce((sum, run) => sum + run.totals.fetched, 0)} records fetched in ${runs.length} runs`,
      );
      expect(usage.requests).toBeGreaterThan(50);
      expect(usage.refused).toBe(0);
      const live = workers.filter((worker) => worker !== victim);
      for (const worker of live) expect(worker.process.exitCode).toBeNull();
    },
  );
});
