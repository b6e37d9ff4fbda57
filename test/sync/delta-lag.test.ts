import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { recordsCollection } from '../../src/store/records';
import { startHarness, type Harness } from '../support/harness';
import {
  addFault,
  admin,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  runSync,
  startSync,
  truth,
} from '../support/sync';
import type { SyncRunSummary } from '../../src/domain/figures';

/**
 * Issue 23, item 7: Xledger's deltas show about 30 s after the change (M: Profitbase); the
 * simulator models that lag. Changed records are read by `modifiedAt_gte` with an overlap,
 * deletions from the deltas after the stored cursor: no change may be missed across the lag —
 * neither a deletion whose delta shows only after the pass that read past it, nor a change made
 * while a pass runs. The passes below run with a lag far longer than they take (so what they
 * cannot see yet is certain, however slow the machine), and the lag then "passes" by setting it
 * to 0 through the admin API: the deltas become visible as they would once their time has come.
 */
const TENANT = 'lag';
const OWNER = SEED_ENTITIES.owner1;
const PAGE_SIZE = 20;
const spec = DATA_TYPE_TRUTH.suppliers![0]!;
let h: Harness;

const doc = (dbId: number) => recordsCollection(h.store.db, 'suppliers').findOne({ tenantId: TENANT, dbId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function setLag(lagMs: number): Promise<void> {
  expect((await admin<{ lagMs: number }>(h, 'PUT', '/admin/deltas', { lagMs })).lagMs).toBe(lagMs);
}
/** Longer than any pass here takes: a delta made now stays invisible to them. */
const LONG_LAG_MS = 600_000;

beforeAll(async () => {
  h = await startHarness({ seed: 17, suppliers: 200 });
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: OWNER });
  await h.startWorker({ pageSize: PAGE_SIZE });
  const first = await runSync(h, TENANT, 'suppliers', 'full');
  expect(first.streams[0]!.mode).toBe('full');
});
afterAll(() => h?.close());

describe('deltas lag about 30 s behind the change', () => {
  it('the simulator shows a delta only once the lag has passed', async () => {
    const lagMs = 1_500;
    await setLag(lagMs);
    const [record] = await truth(h, OWNER, 'suppliers');
    const query = `query($after: String) { supplier_deltas(first: 100, after: $after) { edges { cursor node { dbId mutationType } } } }`;
    const newest = h.sim.state.deltas.suppliers.at(-1)!.seq;
    const read = async () => {
      const response = await fetch(h.sim.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `token ${SEED_TOKENS.root}` },
        body: JSON.stringify({ query, variables: { after: String(newest) } }),
      });
      const body = (await response.json()) as {
        data: { supplier_deltas: { edges: Array<{ node: { dbId: number; mutationType: string } }> | null } };
      };
      return (body.data.supplier_deltas.edges ?? []).map((edge) => edge.node);
    };
    await admin(h, 'PATCH', `/admin/records/suppliers/${record!.dbId}`, { description: 'Lagging AS' });
    expect(await read()).toEqual([]);
    await sleep(lagMs + 500);
    expect(await read()).toEqual([{ dbId: record!.dbId, mutationType: 'UPDATED' }]);
  });

  it('a deletion whose delta shows after the pass that read past it is applied by the next pass', async () => {
    await setLag(LONG_LAG_MS);
    const records = await truth(h, OWNER, 'suppliers');
    const [victim, changed] = records.filter((r) => r.visibility === 'owner').slice(-2);
    await admin(h, 'DELETE', `/admin/records/suppliers/${victim!.dbId}`);
    await admin(h, 'PATCH', `/admin/records/suppliers/${changed!.dbId}`, {
      description: 'Changed in the lag',
    });

    // Within the lag: the change is read by modifiedAt_gte, the deletion is not in the deltas
    // yet — and the pass's cursor must not move past it.
    const early = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(early.streams[0]!.mode).toBe('incremental');
    expect(early.totals.deleted).toBe(0);
    expect((await doc(changed!.dbId))?.description).toBe('Changed in the lag');
    expect((await doc(victim!.dbId))?.deletedAt).toBeNull();

    await setLag(0); // the lag has passed
    const late = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(late.streams[0]!.mode).toBe('incremental');
    expect(late.totals.deleted).toBe(1);
    expect((await doc(victim!.dbId))?.deletedAt).toBeInstanceOf(Date);
    await expectStreamEqualsTruth(h, TENANT, OWNER, spec);
  });

  it('changes made while a full pass runs, behind its reading position, reach the store with the next passes', async () => {
    // The pass's first page (with the newest delta cursor) goes out; the second is held 3 s
    // before Xledger runs it. Meanwhile records of the first page change and go.
    const firstPage = [...h.sim.state.tables.suppliers.live()]
      .map((record) => record.dbId)
      .sort((a, b) => a - b)
      .slice(0, PAGE_SIZE);
    const ours = (await truth(h, OWNER, 'suppliers')).filter((r) => firstPage.includes(r.dbId));
    expect(ours.length).toBeGreaterThanOrEqual(2);
    const [victim, changed] = ours;
    await addFault(h, { kind: 'slow', field: 'suppliers', delayMs: 3_000, skip: 1, count: 1 });

    const handle = await startSync(h, TENANT, 'suppliers', 'full');
    // The slow rule is used up once the second page's request has arrived: the first page was
    // answered, and the second has not run yet.
    while (h.sim.faults.list().length > 0) await sleep(20);
    // The newest delta cursor came with the first page; what changes from now on lags.
    await setLag(LONG_LAG_MS);
    await admin(h, 'DELETE', `/admin/records/suppliers/${victim!.dbId}`);
    await admin(h, 'PATCH', `/admin/records/suppliers/${changed!.dbId}`, { description: 'Changed mid-pass' });
    const created = await admin<{ dbId: number }>(h, 'POST', '/admin/records/suppliers', {
      ownerDbId: OWNER,
      code: 'S-MIDPASS',
      description: 'Created mid-pass AS',
      fromDate: '2024-01-01',
    });
    const full = (await handle.result()) as SyncRunSummary;
    expect(full.streams[0]!.mode).toBe('full');
    // The pass read both before they changed: it saw the victim alive and the old description.
    expect((await doc(victim!.dbId))?.deletedAt).toBeNull();
    expect((await doc(changed!.dbId))?.description).not.toBe('Changed mid-pass');

    // Within the lag: the change comes by modifiedAt_gte (the high-water mark is the pass's
    // newest record, no later than the change), the deletion not yet.
    const early = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(early.streams[0]!.mode).toBe('incremental');
    expect((await doc(changed!.dbId))?.description).toBe('Changed mid-pass');
    expect(await doc(created.dbId)).toMatchObject({ deletedAt: null, description: 'Created mid-pass AS' });
    expect((await doc(victim!.dbId))?.deletedAt).toBeNull();

    // Past the lag: the deletion's delta is after the cursor the passes hold.
    await setLag(0);
    const late = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(late.totals.deleted).toBe(1);
    expect((await doc(victim!.dbId))?.deletedAt).toBeInstanceOf(Date);
    await expectStreamEqualsTruth(h, TENANT, OWNER, spec);
  });
});
