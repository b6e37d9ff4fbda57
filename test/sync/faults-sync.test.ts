import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { startHarness, type Harness } from '../support/harness';
import {
  addFault,
  admin,
  clearFaults,
  counters,
  DATA_TYPE_TRUTH,
  expectRunFailure,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  runSync,
  startSync,
  truth,
} from '../support/sync';
import type { RejectedRecord } from '../../src/domain/records';

const TENANT = 'faulty';
const INVALID_TOKEN = 'xlsim-this-token-does-not-exist-4711';
const PAGE_SIZE = 200;
const spec = DATA_TYPE_TRUTH.suppliers![0]!;
let h: Harness;
/** Every supplier the root token sees: the stream reads them all, then keeps the owner's. */
let visibleSuppliers: number;

beforeAll(async () => {
  h = await startHarness({ seed: 3, suppliers: 300 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.saveTenant({
    tenantId: 'no-scope',
    xledger: { token: SEED_TOKENS.owner1NoSupplierRead },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.saveTenant({
    tenantId: 'bad-token',
    xledger: { token: INVALID_TOKEN },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.startWorker({ pageSize: PAGE_SIZE });
  visibleSuppliers = h.sim.state.tables.suppliers.liveCount;
});
afterEach(() => clearFaults(h));
afterAll(async () => {
  if (!h) return;
  // No document anywhere carries a token in clear text.
  for (const name of [
    collections.runs,
    collections.rejects,
    collections.checkpoints,
    collections.tenants,
    'suppliers',
  ]) {
    const text = JSON.stringify(await h.store.db.collection(name).find({}).toArray());
    for (const token of [SEED_TOKENS.root, SEED_TOKENS.owner1NoSupplierRead, INVALID_TOKEN]) {
      expect(text.includes(token), `${name} holds a token`).toBe(false);
    }
  }
  await h.close();
});

const expectedPages = (pageSize: number) => Math.ceil(visibleSuppliers / pageSize);

/** A run that must complete with the owner's truth stored, whatever happened on the way. */
async function expectCompletes(): Promise<void> {
  const run = await runSync(h, TENANT, 'suppliers', 'full');
  expect(run.status).toBe('completed');
  await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
}

async function historyText(workflowId: string): Promise<string> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history);
}

describe('faults that end in a completed run', () => {
  it('burst rate limit: waits and retries in place', async () => {
    await addFault(h, { kind: 'burstRateLimit', field: 'suppliers', count: 1 });
    await resetCounters(h);
    const started = Date.now();
    await expectCompletes();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000); // waited Xledger's few seconds
    const c = await counters(h, 'root');
    expect(c.refused).toBe(1);
    expect(fieldRequests(c, 'suppliers')).toBe(expectedPages(PAGE_SIZE) + 1);
  });

  it('concurrency limit: waits and retries in place', async () => {
    await addFault(h, { kind: 'concurrencyLimit', field: 'suppliers', count: 1 });
    await resetCounters(h);
    await expectCompletes();
    expect((await counters(h, 'root')).refused).toBe(1);
  });

  it('HTTP 503: the activity is retried and the run completes', async () => {
    await addFault(h, { kind: 'httpError', status: 503, field: 'suppliers', count: 1 });
    await resetCounters(h);
    await expectCompletes();
    expect(fieldRequests(await counters(h, 'root'), 'suppliers')).toBe(expectedPages(PAGE_SIZE) + 1);
  });

  it('connection reset: retried, completes', async () => {
    await addFault(h, { kind: 'connectionReset', field: 'suppliers', count: 1 });
    await expectCompletes();
  });

  it('"Your query timed out.": the page is halved and the pass goes on', async () => {
    await addFault(h, { kind: 'timeout', field: 'suppliers', count: 1 });
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    // Halved from the first page on: 100 per page instead of 200.
    expect(run.totals.pages).toBe(expectedPages(PAGE_SIZE / 2));
    expect(run.totals.requests).toBe(expectedPages(PAGE_SIZE / 2) + 1);
    expect(fieldRequests(await counters(h, 'root'), 'suppliers')).toBe(expectedPages(PAGE_SIZE / 2) + 1);
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
  });

  it('a malformed record of another owner is dropped like its valid records, never kept as a reject', async () => {
    // The corrupted node is the first of the first page; for the root token that is the root's.
    const table = h.sim.state.tables.suppliers;
    const first = table.rows.find((r) => !table.deleted.has(r.dbId))!;
    expect(first.ownerDbId, 'seed: the first supplier belongs to the root').toBe(SEED_ENTITIES.root);
    await addFault(h, { kind: 'malformed', field: 'suppliers', count: 1 });
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.totals.rejected).toBe(0);
    expect(await h.store.db.collection(collections.rejects).countDocuments({ tenantId: TENANT })).toBe(0);
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
  });

  it('malformed records go to sync_rejects with tenant, stream, dbId and reason; the rest is stored', async () => {
    // The owner's own token sees the owner's tree, and the records of the group above it.
    const tenantId = 'faulty-o1';
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.owner1 },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    await runSync(h, tenantId, 'suppliers', 'full');
    const expected = await truth(h, SEED_ENTITIES.owner1, 'suppliers');
    const first = expected.reduce((a, b) => (a.dbId < b.dbId ? a : b));
    // The group's suppliers before the owner's first one leave Xledger (they are not the
    // tenant's): the first record Xledger serves the token, the one the fault breaks, is ours.
    const groupFirst = [...h.sim.state.tables.suppliers.live()].filter(
      (record) => record.ownerDbId === SEED_ENTITIES.root && record.dbId < first.dbId,
    );
    for (const record of groupFirst) await admin(h, 'DELETE', `/admin/records/suppliers/${record.dbId}`);
    await addFault(h, { kind: 'malformed', field: 'suppliers', count: 1 });
    const run = await runSync(h, tenantId, 'suppliers', 'full');
    expect(run.status).toBe('completed');
    expect(run.totals.rejected).toBe(1);
    expect(run.totals.kept).toBe(expected.length - 1);
    // A full pass does not take a record that Xledger still returns (malformed) for deleted.
    expect(run.totals.deleted).toBe(0);
    const rejects = await h.store.db
      .collection<RejectedRecord>(collections.rejects)
      .find({ tenantId, stream: 'suppliers' })
      .toArray();
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ tenantId, stream: 'suppliers', dbId: first.dbId });
    expect(rejects[0]!.reason).toMatch(/fromDate|modifiedAt/);
    await expectStreamEqualsTruth(h, tenantId, SEED_ENTITIES.owner1, spec);
    // The next clean pass clears the reject.
    await runSync(h, tenantId, 'suppliers', 'full');
    expect(await h.store.db.collection(collections.rejects).countDocuments({ tenantId })).toBe(0);
  });
});

describe('spent credits (an hourly pool)', () => {
  afterEach(() => h.sim.limits.update({ creditsPerWindow: null, creditWindowMs: 3_600_000 }));

  it('pause the run, which resumes by itself when the pool returns and completes; no token in history', async () => {
    await resetCounters(h);
    // One request a window of 2 s: a full pass of every supplier the root token sees, in pages
    // of 200, needs more.
    h.sim.limits.update({ creditsPerWindow: 1, creditWindowMs: 2_000 });
    const handle = await startSync(h, TENANT, 'suppliers', 'full');
    const run = await handle.result();
    expect(run.status).toBe('completed');
    const seen = await counters(h, 'root');
    expect(seen.requests - seen.refused).toBeGreaterThanOrEqual(2);
    expect(seen.refused).toBeGreaterThanOrEqual(1);
    // Paused, not hammering: a refusal or two per window, not one per retry of every request.
    expect(seen.refused).toBeLessThanOrEqual(seen.requests - seen.refused);
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
    const history = await historyText(handle.workflowId);
    expect(history).toContain('XledgerCreditsExhausted');
    expect(history).not.toContain(SEED_TOKENS.root);
  });

  it('an injected refusal is waited out for the time Xledger gives, and the run completes', async () => {
    h.sim.limits.update({ creditWindowMs: 2_000 });
    await addFault(h, { kind: 'insufficientCredits', field: 'suppliers', count: 2 });
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.status).toBe('completed');
    expect((await counters(h, 'root')).refused).toBe(2);
  });
});

describe('faults that end the run at once', () => {
  it('missing scope: fails without retrying, naming tenant, data type and SUPPLIER_READ', async () => {
    await resetCounters(h);
    const handle = await startSync(h, 'no-scope', 'suppliers', 'full');
    const failure = await expectRunFailure(handle.result());
    expect(failure.type).toBe('XledgerMissingScope');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('no-scope');
    expect(failure.message).toContain('suppliers');
    expect(failure.message).toContain('SUPPLIER_READ');
    expect(fieldRequests(await counters(h, 'owner1NoSupplierRead'), 'suppliers')).toBe(1);
    expect(failure.chain).not.toContain(SEED_TOKENS.owner1NoSupplierRead);
    expect(await historyText(handle.workflowId)).not.toContain(SEED_TOKENS.owner1NoSupplierRead);
  });

  it('invalid token: fails without retrying, and no message carries the token', async () => {
    await resetCounters(h);
    const handle = await startSync(h, 'bad-token', 'suppliers', 'full');
    const failure = await expectRunFailure(handle.result());
    expect(failure.type).toBe('XledgerUnauthorized');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('bad-token');
    expect(failure.chain).not.toContain(INVALID_TOKEN);
    expect(await historyText(handle.workflowId)).not.toContain(INVALID_TOKEN);
    // One request (the entity tree, refused), no retries.
    expect((await counters(h, '(unauthenticated)')).requests).toBe(1);
  });
});
