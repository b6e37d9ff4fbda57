/**
 * The operator's experiment from the data-safety issue, on real servers: a Temporal dev server
 * of this test's own is killed in the middle of a full pass and comes back (same database
 * file) only after the activity's heartbeat timeout has passed. Meanwhile the first attempt
 * keeps running without Temporal — a zombie — and finishes the pass; Temporal then times it
 * out and retries. No live record may end up marked deleted, and the run must complete.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { recordsCollection } from '../../src/store/records';
import type { SyncRunSummary } from '../../src/domain/figures';
import { startHarness, type Harness } from '../support/harness';
import { startOwnTemporal, type OwnTemporal } from '../support/own-servers';
import {
  addFault,
  clearFaults,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  runSync,
  startSync,
} from '../support/sync';

const TENANT = 'outage';
const OWNER = SEED_ENTITIES.owner1;
const SUPPLIERS = 30_000;
const PAGE_SIZE = 1_000;
const PAGE_DELAY_MS = 1_000;
/** Longer than the pass activity's 30 s heartbeat timeout (workflows/sync-data-type.ts). */
const OUTAGE_MS = 45_000;

let temporal: OwnTemporal;
let h: Harness;

beforeAll(async () => {
  temporal = await startOwnTemporal('outage');
  h = await startHarness(
    { seed: 3, suppliers: SUPPLIERS },
    { address: temporal.address, namespace: temporal.namespace },
  );
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: OWNER });
  await h.startWorker({ pageSize: PAGE_SIZE, heartbeatIntervalMs: 1_000 });
}, 180_000);
afterAll(async () => {
  await h?.close();
  await temporal?.close();
});

interface Heartbeat {
  counts: { pages: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a Temporal outage longer than the heartbeat timeout during a full pass', () => {
  it('leaves every live record live, and the pass completes', { timeout: 300_000 }, async () => {
    const first = await runSync(h, TENANT, 'suppliers', 'full');
    const { truth } = await expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    expect(first.totals.kept).toBe(truth.length);

    await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: PAGE_DELAY_MS });
    await resetCounters(h);
    const handle = await startSync(h, TENANT, 'suppliers', 'full');
    // Temporal must hold a heartbeat with a cursor (the worker sends one every 5 s at most):
    // that is where it will have the next attempt resume.
    const deadline = Date.now() + 120_000;
    let heartbeatPages = 0;
    while (heartbeatPages === 0) {
      if (Date.now() > deadline) throw new Error('Temporal never recorded a heartbeat with a cursor');
      await sleep(200);
      const pending = (await handle.describe()).raw.pendingActivities?.[0];
      const payload = pending?.heartbeatDetails?.payloads?.[0];
      if (payload) heartbeatPages = defaultPayloadConverter.fromPayload<Heartbeat>(payload).counts.pages;
    }
    const totalPages = Math.ceil(h.sim.state.tables.suppliers.liveCount / PAGE_SIZE);
    expect(heartbeatPages).toBeLessThan(totalPages);

    // Temporal stops mid-pass and stays away longer than the heartbeat timeout.
    await temporal.stop();
    await sleep(OUTAGE_MS);
    // The first attempt went on without Temporal and read every page: a zombie.
    expect(fieldRequests(await counters(h, 'root'), 'suppliers')).toBe(totalPages);
    await temporal.start();
    await clearFaults(h);

    const run = (await handle.result()) as SyncRunSummary;
    expect(run.status).toBe('completed');
    expect(run.totals.deleted).toBe(0);
    expect(run.streams[0]!.pages).toBe(totalPages);
    const falselyDeleted = await recordsCollection(h.store.db, 'suppliers').countDocuments({
      tenantId: TENANT,
      deletedAt: { $ne: null },
    });
    expect(falselyDeleted).toBe(0);
    await expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    // Temporal did give up on the first attempt: the result came from a second one.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });
});
