import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XledgerSyncClient } from '../../src/client';
import { statusText } from '../../src/cli/format';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { startHarness, type Harness } from '../support/harness';
import {
  admin,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  resetCounters,
  runSync,
} from '../support/sync';
import { connectApi } from '../tenants/support';

/**
 * Issue 23: at a full pass the tenant's live schema is checked again (src/activities/
 * schema-recheck.ts): an optional field Xledger dropped is left out before any request is refused
 * for it, and one it has again is read again. Where the schema offers `rateLimit { remaining
 * cost }`, the tenant's requests read the credit pool and `tenant status` shows what is left.
 */
const TENANT = 'recheck';
const POOL = 100_000;
const spec = DATA_TYPE_TRUTH.suppliers![0]!;
let h: Harness;
let api: XledgerSyncClient;

/** The stored check as if made a day ago: the next full pass checks again. */
async function ageCheck(): Promise<void> {
  const dayAgo = new Date(Date.now() - 24 * 3_600_000).toISOString();
  await h.store.db
    .collection<{ _id: string }>(collections.tenants)
    .updateOne(
      { _id: TENANT },
      { $set: { 'schemaCheck.checkedAt': dayAgo, 'schemaCheck.recheckedAt': dayAgo } },
    );
}

beforeAll(async () => {
  h = await startHarness({ seed: 29, suppliers: 120, limits: { creditsPerWindow: POOL } });
  await h.startWorker();
  api = await connectApi(h);
  const saved = await api.upsertTenant(
    { tenantId: TENANT, xledger: { token: SEED_TOKENS.owner1 }, entityOwnerDbId: SEED_ENTITIES.owner1 },
    { firstSync: false },
  );
  expect(saved.schemaCheck).toMatchObject({ outcome: 'verified', omittedFields: [], rateLimit: true });
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

describe('the live schema, checked again at a full pass', () => {
  it('an optional field Xledger dropped since the upsert is left out before any request is refused for it', async () => {
    await admin(h, 'PUT', '/admin/schema/remove-field', { type: 'Supplier', field: 'company' });
    await ageCheck();
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.status).toBe('completed');
    // Without the re-check the pass's first request would be refused (Cannot query field) and retried.
    expect((await counters(h, 'owner1')).refused).toBe(0);
    expect(await h.tenants.omittedFields(TENANT)).toEqual([{ stream: 'suppliers', field: 'company' }]);
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
    expect(statusText(await api.tenantStatus(TENANT))).toContain('suppliers.company');
  });

  it('a field Xledger has again is read again', async () => {
    await admin(h, 'POST', '/admin/schema/reset', {});
    await ageCheck();
    await runSync(h, TENANT, 'suppliers', 'full');
    expect(await h.tenants.omittedFields(TENANT)).toEqual([]);
  });

  it('a fresh check is not repeated: an incremental pass right after costs one request', async () => {
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(run.totals.requests).toBe(1);
    expect((await counters(h, 'owner1')).requests).toBe(1);
  });

  it('the credit pool Xledger reports with every answer is shown in tenant status', async () => {
    const status = await api.tenantStatus(TENANT);
    const used = POOL - h.sim.limits.creditsRemaining(new Date())!;
    expect(used).toBeGreaterThan(0);
    // What the last request left: the pool as the simulator has it now.
    expect(status.credits?.remaining).toBe(POOL - used);
    expect(status.credits?.cost).toBe(1);
    expect(status.credits?.pausedUntil).toBeNull();
    expect(statusText(status)).toMatch(/left: +[\d,]+ credits after the last request \(it cost 1\)/);
  });
});
