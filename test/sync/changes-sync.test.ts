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
  lastSyncedAt,
  resetCounters,
  runSync,
  truth,
  written,
} from '../support/sync';

const TENANT = 'changes';
const spec = DATA_TYPE_TRUTH.suppliers![0]!;
let h: Harness;

const supplierDoc = (dbId: number) =>
  recordsCollection(h.store.db, 'suppliers').findOne({ tenantId: TENANT, dbId });

beforeAll(async () => {
  h = await startHarness({ seed: 11, suppliers: 200 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.startWorker();
  const first = await runSync(h, TENANT, 'suppliers', 'full');
  expect(first.totals.inserted).toBe(first.totals.kept);
});
afterAll(() => h?.close());

describe('changes made in Xledger', () => {
  it('an incremental pass writes exactly the changes; a full pass marks deletions; a reappearing record is revived', async () => {
    const records = await truth(h, SEED_ENTITIES.owner1, 'suppliers');
    const ownerLevel = records.find((r) => r.visibility === 'owner')!;
    const clientLevel = records.find((r) => r.visibility === 'client')!;
    const toDelete = records.filter((r) => r.dbId !== ownerLevel.dbId && r.dbId !== clientLevel.dbId)[0]!;
    const foreign = (await truth(h, SEED_ENTITIES.owner2, 'suppliers'))[0]!;

    await admin(h, 'PATCH', `/admin/records/suppliers/${ownerLevel.dbId}`, { description: 'Renamed AS' });
    await admin(h, 'PATCH', `/admin/records/suppliers/${clientLevel.dbId}`, { email: 'new@example.no' });
    await admin(h, 'PATCH', `/admin/records/suppliers/${foreign.dbId}`, { description: 'Not ours' });
    const created = await admin<{ dbId: number }>(h, 'POST', '/admin/records/suppliers', {
      ownerDbId: 103,
      code: 'S-NEW-1',
      description: 'Brand new AS',
      fromDate: '2024-01-01',
    });
    await admin(h, 'DELETE', `/admin/records/suppliers/${toDelete.dbId}`);

    await resetCounters(h);
    const incremental = await runSync(h, TENANT, 'suppliers', 'incremental');
    const inc = incremental.streams[0]!;
    expect(inc.mode).toBe('incremental');
    expect(inc.inserted).toBe(1);
    expect(inc.updated).toBe(2);
    // supplier_deltas reports the deletion, in the same request as the changed suppliers; before
    // it is applied, the supplier is looked up by id and the entity tree read again.
    expect(inc.deleted).toBe(1);
    expect(inc.requests).toBe(3);
    const c = await counters(h, 'root');
    expect(fieldRequests(c, 'suppliers')).toBe(2);
    expect(fieldRequests(c, 'supplier_deltas')).toBe(1);
    expect(fieldRequests(c, 'entities')).toBe(1);
    expect((await supplierDoc(ownerLevel.dbId))?.description).toBe('Renamed AS');
    expect((await supplierDoc(clientLevel.dbId))?.email).toBe('new@example.no');
    expect(await supplierDoc(created.dbId)).toMatchObject({ entityDbId: 103, visibility: 'client' });
    expect(await supplierDoc(foreign.dbId)).toBeNull();
    expect((await supplierDoc(toDelete.dbId))?.deletedAt).toBeInstanceOf(Date);

    // A full pass agrees: nothing more to delete or write.
    const full = await runSync(h, TENANT, 'suppliers', 'full');
    const fullFigures = full.streams[0]!;
    expect(fullFigures.mode).toBe('full');
    expect(fullFigures.deleted).toBe(0);
    expect(fullFigures.inserted + fullFigures.updated).toBe(0);
    expect((await supplierDoc(toDelete.dbId))?.deletedAt).toBeInstanceOf(Date);
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);

    // The record leaves the owner's tree (moved to another owner's client): gone for this tenant…
    await admin(h, 'PATCH', `/admin/records/suppliers/${clientLevel.dbId}`, { ownerDbId: 106 });
    const moved = await runSync(h, TENANT, 'suppliers', 'full');
    expect(moved.totals.deleted).toBe(1);
    expect((await supplierDoc(clientLevel.dbId))?.deletedAt).toBeInstanceOf(Date);
    // …and comes back: the next incremental pass revives it.
    await admin(h, 'PATCH', `/admin/records/suppliers/${clientLevel.dbId}`, { ownerDbId: 102 });
    const back = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(back.totals.updated).toBe(1);
    expect(back.totals.inserted).toBe(0);
    expect(await supplierDoc(clientLevel.dbId)).toMatchObject({
      deletedAt: null,
      entityDbId: 102,
      visibility: 'client',
    });
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);
  });

  it('a no-op incremental pass writes no document and makes one request', async () => {
    const before = await lastSyncedAt(h, 'suppliers', TENANT);
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(run.streams[0]!.mode).toBe('incremental');
    expect(written(run.totals)).toBe(0);
    expect(run.totals.requests).toBe(1);
    const c = await counters(h, 'root');
    expect(c.requests).toBe(1);
    expect(fieldRequests(c, 'suppliers')).toBe(1);
    expect(await lastSyncedAt(h, 'suppliers', TENANT)).toBe(before);
  });

  it('a repeated full pass over unchanged data writes nothing', async () => {
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.totals.unchanged).toBe(run.totals.kept);
    expect(written(run.totals)).toBe(0);
  });
});
