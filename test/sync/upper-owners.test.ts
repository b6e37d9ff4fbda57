import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { recordsCollection } from '../../src/store/records';
import { startHarness, type Harness } from '../support/harness';
import {
  admin,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  runSync,
  truth,
  written,
} from '../support/sync';

/**
 * Issue 23, item 8: with `ownerSet: ALL` Xledger also serves records owned above the token's
 * entity (a group or system entity). The tenant's token sits at its Entity Owner (101), below the
 * seed's group (100); the seed's rule keeps only the owner's records and its clients'.
 */
const TENANT = 'upper';
const OWNER = SEED_ENTITIES.owner1;
const GROUP = SEED_ENTITIES.root;
const spec = DATA_TYPE_TRUTH.suppliers![0]!;
let h: Harness;

const groupSupplierIds = () =>
  [...h.sim.state.tables.suppliers.live()]
    .filter((record) => record.ownerDbId === GROUP)
    .map((record) => record.dbId);

const storedDoc = (dbId: number) =>
  recordsCollection(h.store.db, 'suppliers').findOne({ tenantId: TENANT, dbId });

beforeAll(async () => {
  h = await startHarness({ seed: 23, suppliers: 300 });
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.owner1 }, entityOwnerDbId: OWNER });
  await h.startWorker();
});
afterAll(() => h?.close());

describe('records owned above the token’s entity', () => {
  it('are served, counted as filtered out and never stored; the group does not pass for a new client', async () => {
    const fromGroup = groupSupplierIds();
    expect(fromGroup.length).toBeGreaterThan(0);
    const tenants = await truth(h, OWNER, 'suppliers');

    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    const figures = run.streams[0]!;
    expect(figures.kept).toBe(tenants.length);
    // Every group record came back from Xledger, and each one was filtered out.
    expect(figures.filteredOut).toBe(fromGroup.length);
    expect(figures.fetched).toBe(tenants.length + fromGroup.length);
    await expectStreamEqualsTruth(h, TENANT, OWNER, spec);
    for (const dbId of fromGroup) expect(await storedDoc(dbId)).toBeNull();
    // The tree is read once, for the new tenant: the group is its owner's parent, known, so its
    // records do not make the pass read the tree again as if a client had been added.
    expect(fieldRequests(await counters(h, 'owner1'), 'entities')).toBe(1);
  });

  it('a change to a group record reaches the tenant as nothing to write', async () => {
    const [groupRecord] = groupSupplierIds();
    await admin(h, 'PATCH', `/admin/records/suppliers/${groupRecord}`, { description: 'Group-wide AS' });
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(run.streams[0]!.mode).toBe('incremental');
    expect(run.totals.filteredOut).toBeGreaterThanOrEqual(1);
    expect(written(run.totals)).toBe(0);
    expect(await storedDoc(groupRecord!)).toBeNull();
    // One request: the changed page and the deltas together; no look-up, no tree.
    expect((await counters(h, 'owner1')).requests).toBe(1);
  });

  it('a tenant record that moves up to the group leaves the tenant at the next full pass', async () => {
    const ownerLevel = (await truth(h, OWNER, 'suppliers')).find((record) => record.visibility === 'owner')!;
    expect((await storedDoc(ownerLevel.dbId))?.deletedAt).toBeNull();
    await admin(h, 'PATCH', `/admin/records/suppliers/${ownerLevel.dbId}`, { ownerDbId: GROUP });

    const run = await runSync(h, TENANT, 'suppliers', 'full');
    // Asked for by id, Xledger returns it as the group's: another owner's, so it is gone from
    // the tenant (an entity the tenant's tree did not know would have kept it "alive").
    expect(run.totals.deleted).toBe(1);
    expect(run.streams[0]!.confirmedAlive ?? 0).toBe(0);
    expect((await storedDoc(ownerLevel.dbId))?.deletedAt).toBeInstanceOf(Date);
    await expectStreamEqualsTruth(h, TENANT, OWNER, spec);
  });
});
