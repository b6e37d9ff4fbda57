/**
 * A token that suddenly sees fewer of the tenant's entities: the records of a client it no longer
 * sees vanish from every answer — the pages and the look-up by id alike — without being deleted
 * in Xledger. A full pass and the deltas then hold the tenant's deletions for an operator
 * (reason `entity_tree_shrank`) instead of dropping that client's records; the client's return
 * settles it, and so does an operator's `--allow-mass-delete`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES } from '../../src/simulator/index';
import { loadCheckpoint } from '../../src/store/checkpoints';
import { loadEntities } from '../../src/store/entities';
import { requestSync } from '../../src/store/sync-requests';
import { startHarness, type Harness } from '../support/harness';
import { addOwnedTree, addSupplier, supplierIds } from '../support/owned-stream';
import { runSync, streamFigures } from '../support/sync';

const TENANT = 'shrinking';
const OWNER = 160;
const KEPT_CLIENT = 161;
const LOST_CLIENT = 162;
let h: Harness;
/** The lost client's records: two, few enough that the share guard alone would let them go. */
let lostRecords: number[];
let keptClientRecords: number[];

beforeAll(async () => {
  h = await startHarness({ seed: 6, suppliers: 30 });
  const token = addOwnedTree(h.sim.state, {
    owner: OWNER,
    clients: [KEPT_CLIENT, LOST_CLIENT],
    token: 'shrinking',
  });
  for (let i = 0; i < 30; i++) addSupplier(h.sim.state, OWNER);
  keptClientRecords = Array.from({ length: 5 }, () => addSupplier(h.sim.state, KEPT_CLIENT));
  lostRecords = [addSupplier(h.sim.state, LOST_CLIENT), addSupplier(h.sim.state, LOST_CLIENT)];
  await h.saveTenant({ tenantId: TENANT, xledger: { token }, entityOwnerDbId: OWNER });
  await h.startWorker();
  const first = await runSync(h, TENANT, 'suppliers', 'full');
  expect(first.status).toBe('completed');
  expect((await supplierIds(h, TENANT)).live).toHaveLength(37);
});
afterAll(() => h?.close());

const storedEntityIds = async () =>
  (await loadEntities(h.store.db, TENANT)).map((e) => e.dbId).sort((a, b) => a - b);

describe('a shrinking entity tree', () => {
  it("holds the tenant's deletions instead of dropping the lost client's records", async () => {
    h.sim.state.moveEntity(LOST_CLIENT, SEED_ENTITIES.root);

    const full = await runSync(h, TENANT, 'suppliers', 'full');
    expect(full.status).toBe('needs_review');
    expect(full.totals.deleted).toBe(0);
    expect(streamFigures(full, 'suppliers').deletionReview).toMatchObject({
      reason: 'entity_tree_shrank',
      missingEntities: [LOST_CLIENT],
      wouldDelete: lostRecords.length,
    });
    expect((await supplierIds(h, TENANT)).live).toEqual(expect.arrayContaining(lostRecords));
    // The tree keeps the client until it returns or an operator confirms.
    expect(await storedEntityIds()).toEqual([OWNER, KEPT_CLIENT, LOST_CLIENT]);

    // A real deletion reported by the deltas waits too, while the tree is short.
    const [gone] = keptClientRecords;
    h.sim.state.deleteRecord('suppliers', gone!);
    const incremental = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(incremental.status).toBe('needs_review');
    expect(streamFigures(incremental, 'suppliers')).toMatchObject({
      mode: 'incremental',
      deleted: 0,
      deletionReview: { reason: 'entity_tree_shrank', wouldDelete: 1 },
    });
    expect((await supplierIds(h, TENANT)).live).toContain(gone);
  });

  it('the client seen again: the next full pass applies the real deletion, and only it', async () => {
    h.sim.state.moveEntity(LOST_CLIENT, OWNER);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.status).toBe('completed');
    expect(run.totals.deleted).toBe(1);
    const stored = await supplierIds(h, TENANT);
    expect(stored.deleted).toEqual([keptClientRecords[0]]);
    expect(stored.live).toEqual(expect.arrayContaining(lostRecords));
    expect((await loadCheckpoint(h.store.db, TENANT, 'suppliers')).deletionReview).toBeNull();
  });

  it('an operator confirms a client that is gone for good: its records go, and so does the entity', async () => {
    h.sim.state.moveEntity(LOST_CLIENT, SEED_ENTITIES.root);
    const held = await runSync(h, TENANT, 'suppliers', 'full');
    expect(held.status).toBe('needs_review');

    await requestSync(h.store.db, TENANT, 'suppliers', { full: true, allowMassDelete: true });
    const confirmed = await runSync(h, TENANT, 'suppliers', 'auto');
    expect(confirmed.status).toBe('completed');
    expect(confirmed.totals.deleted).toBe(lostRecords.length);
    expect((await supplierIds(h, TENANT)).deleted).toEqual(expect.arrayContaining(lostRecords));
    expect(await storedEntityIds()).toEqual([OWNER, KEPT_CLIENT]);

    const next = await runSync(h, TENANT, 'suppliers', 'full');
    expect(next.status).toBe('completed');
    expect(next.totals.deleted).toBe(0);
  });
});
