/**
 * What the real Xledger sends and refuses, as the public evidence shows it (shared/xledger-api.md,
 * "Corrections and additions"), end to end on the real servers: empty pages answered
 * `"edges": null`, timestamps without a fraction, the corrected field shapes stored as SEMINE
 * reads them, deletions of suppliers from supplier_deltas, and a delta cursor Xledger no longer
 * keeps falling back to a full pass that says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { loadCheckpoint } from '../../src/store/checkpoints';
import { collections } from '../../src/store/collections';
import { recordsCollection } from '../../src/store/records';
import { startHarness, type Harness } from '../support/harness';
import {
  admin,
  counters,
  DATA_TYPE_TRUTH,
  expectDataTypeEqualsTruth,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  runSync,
  streamFigures,
  truth,
  written,
} from '../support/sync';

const TENANT = 'real';
const OWNER = SEED_ENTITIES.owner1;
const WALL_CLOCK_WITHOUT_FRACTION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
let h: Harness;

const docs = (collection: string) =>
  recordsCollection(h.store.db, collection).find({ tenantId: TENANT, deletedAt: null }).toArray();
const supplierDoc = (dbId: number) =>
  recordsCollection(h.store.db, 'suppliers').findOne({ tenantId: TENANT, dbId });
const setCheckpoint = (stream: string, fields: Record<string, unknown>) =>
  h.store.db.collection(collections.checkpoints).updateOne({ _id: `${TENANT}:${stream}` as never }, fields);

/** Asks the simulator what Xledger answers, as the client's incremental query would. */
async function rawSuppliersSince(since: string): Promise<unknown> {
  const response = await fetch(h.sim.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `token ${SEED_TOKENS.root}` },
    body: JSON.stringify({
      query: `query($since: DateTimeString!) { suppliers(first: 10, ownerSet: ALL, objectStatus: ALL, filter: { modifiedAt_gte: $since }) { edges { cursor } pageInfo { hasNextPage } } }`,
      variables: { since },
    }),
  });
  return ((await response.json()) as { data: { suppliers: unknown } }).data.suppliers;
}

beforeAll(async () => {
  h = await startHarness({ seed: 13, suppliers: 200 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: OWNER,
    options: { fixedAssets: true, projectManagers: false },
  });
  await h.startWorker();
});
afterAll(() => h?.close());

describe('field shapes', () => {
  it('stores accounts, fixed assets and tax table setups in Xledger’s shapes, as the README documents them', async () => {
    for (const type of ['accounts', 'fixedAssets', 'vatCodes']) {
      const run = await runSync(h, TENANT, type, 'full');
      expect(run.status, type).toBe('completed');
      expect(run.totals.rejected, `${type} rejected`).toBe(0);
      await expectDataTypeEqualsTruth(h, TENANT, OWNER, type);
    }

    const accounts = await docs('accounts');
    for (const account of accounts) {
      expect(typeof account.vat, `account ${account.code} vat`).toBe('boolean');
      expect(account.ledgerType).toEqual({ dbId: expect.any(Number), name: expect.any(String) });
      expect(account.chartOfAccount).toEqual({ dbId: account.chartOfAccountDbId, name: expect.any(String) });
      expect(account.accountGroup).toEqual({ dbId: account.accountGroupDbId, code: expect.any(String) });
    }
    const payable = accounts.find((a) => a.code === '2400' && a.visibility === 'owner');
    expect(payable).toMatchObject({ vat: false, ledgerType: { name: 'AP' } });
    expect(accounts.find((a) => a.code === '6300' && a.visibility === 'owner')).toMatchObject({ vat: true });

    const assets = await docs('fixed_assets');
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset.assetStatus).toEqual({
        dbId: expect.any(Number),
        name: expect.stringMatching(/^(ACTIVE|DISPOSED)$/),
      });
      expect(asset.dateFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(asset.balance).toMatch(/^\d+\.\d{2}$/);
      expect(asset.currency).toEqual({ dbId: expect.any(Number) });
      // A disposed asset's validity has ended; an active one's has not.
      if ((asset.assetStatus as { name: string }).name === 'DISPOSED')
        expect(asset.dateTo).toMatch(/^\d{4}-/);
      else expect(asset.dateTo).toBeNull();
    }

    const setups = await docs('tax_table_setups');
    expect(setups.length).toBeGreaterThan(0);
    for (const setup of setups) {
      expect(setup).toMatchObject({ dateFrom: '2016-01-01', dateTo: null });
      expect(setup).not.toHaveProperty('fromDate');
    }
    // The VAT percentages still come from the setups (by dateFrom).
    const codes = await docs('vat_codes');
    expect(codes.find((c) => c.code === '1' && c.visibility === 'owner')?.percent).toBe('25.00');
  });
});

describe('timestamps and empty pages', () => {
  it('keeps Xledger’s modifiedAt without a fraction and sends `since` without one', async () => {
    const full = await runSync(h, TENANT, 'suppliers', 'full');
    expect(full.status).toBe('completed');
    const checkpoint = await loadCheckpoint(h.store.db, TENANT, 'suppliers');
    expect(checkpoint.highWaterMark).toMatch(WALL_CLOCK_WITHOUT_FRACTION);
    for (const supplier of await docs('suppliers'))
      expect(supplier.modifiedAt).toMatch(WALL_CLOCK_WITHOUT_FRACTION);

    // Xledger takes yyyy-MM-ddTHH:mm:ss only: an incremental pass whose `since` had a fraction
    // would be refused as a whole.
    const target = (await truth(h, OWNER, 'suppliers')).find((r) => r.visibility === 'owner')!;
    await admin(h, 'PATCH', `/admin/records/suppliers/${target.dbId}`, {
      description: 'Renamed without fraction AS',
    });
    const incremental = await runSync(h, TENANT, 'suppliers', 'incremental');
    const figures = streamFigures(incremental, 'suppliers');
    expect(figures.mode).toBe('incremental');
    expect(figures.updated).toBe(1);
    expect((await supplierDoc(target.dbId))?.description).toBe('Renamed without fraction AS');
  });

  it('reads an empty incremental page answered `"edges": null` as no records', async () => {
    // The mark is past every supplier (say its newest ones were deleted): nothing is modified
    // since, and Xledger answers "edges": null, not [].
    const { highWaterMark } = await loadCheckpoint(h.store.db, TENANT, 'suppliers');
    const mark = '2999-01-01T00:00:00';
    expect(await rawSuppliersSince('2998-12-31T23:45:00')).toEqual({
      edges: null,
      pageInfo: { hasNextPage: false },
    });
    await setCheckpoint('suppliers', { $set: { highWaterMark: mark } });
    try {
      await resetCounters(h);
      const run = await runSync(h, TENANT, 'suppliers', 'incremental');
      const figures = streamFigures(run, 'suppliers');
      expect(run.status).toBe('completed');
      expect(figures.mode).toBe('incremental');
      expect(figures.fetched).toBe(0);
      expect(figures.pages).toBe(1);
      expect(written(figures)).toBe(0);
      expect(figures.requests).toBe(1);
      expect((await loadCheckpoint(h.store.db, TENANT, 'suppliers')).highWaterMark).toBe(mark);
    } finally {
      await setCheckpoint('suppliers', { $set: { highWaterMark } });
    }
  });
});

describe('deltas', () => {
  it('a first full pass takes the newest delta cursor (last: 1) in the same request as its first page', async () => {
    const checkpoint = await loadCheckpoint(h.store.db, TENANT, 'suppliers');
    expect(checkpoint.deltaCursor).toMatch(/^\d+$/);
    expect(checkpoint.deltaCursorAt).toBeInstanceOf(Date);
  });

  it('an incremental pass notices a deleted supplier through supplier_deltas', async () => {
    const gone = (await truth(h, OWNER, 'suppliers')).find((r) => r.visibility === 'client')!;
    const cursorBefore = (await loadCheckpoint(h.store.db, TENANT, 'suppliers')).deltaCursor;
    await admin(h, 'DELETE', `/admin/records/suppliers/${gone.dbId}`);

    await resetCounters(h);
    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    const figures = streamFigures(run, 'suppliers');
    expect(figures.mode).toBe('incremental');
    expect(figures.fallback).toBeUndefined();
    expect(figures.deleted).toBe(1);
    // The page with its deltas, then the supplier looked up by id and the entity tree read again.
    expect(figures.requests).toBe(3);
    const c = await counters(h, 'root');
    expect(fieldRequests(c, 'supplier_deltas')).toBe(1);
    expect((await supplierDoc(gone.dbId))?.deletedAt).toBeInstanceOf(Date);
    const cursorAfter = (await loadCheckpoint(h.store.db, TENANT, 'suppliers')).deltaCursor;
    expect(Number(cursorAfter)).toBeGreaterThan(Number(cursorBefore));
    await expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
  });

  it('a stored delta cursor older than Xledger keeps deltas makes the pass a full one, and says so', async () => {
    const gone = (await truth(h, OWNER, 'suppliers')).find((r) => r.visibility === 'owner')!;
    await admin(h, 'DELETE', `/admin/records/suppliers/${gone.dbId}`);
    // The tenant was paused for four days: its cursor was read before Xledger's ~3 days.
    await setCheckpoint('suppliers', { $set: { deltaCursorAt: new Date(Date.now() - 4 * 24 * 3_600_000) } });

    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    const figures = streamFigures(run, 'suppliers');
    expect(figures.mode).toBe('full');
    expect(figures.fallback).toBe('delta_cursor_expired');
    expect(figures.deleted).toBe(1); // found by the full pass's reconciliation
    expect((await supplierDoc(gone.dbId))?.deletedAt).toBeInstanceOf(Date);
    const checkpoint = await loadCheckpoint(h.store.db, TENANT, 'suppliers');
    expect(Date.now() - checkpoint.deltaCursorAt!.getTime()).toBeLessThan(10 * 60_000);

    // The next pass is incremental again.
    const next = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(streamFigures(next, 'suppliers')).toMatchObject({ mode: 'incremental' });
    expect(streamFigures(next, 'suppliers').fallback).toBeUndefined();
  });

  it('a stream without a delta cursor yet (e.g. before suppliers had one) runs full once, and says so', async () => {
    await setCheckpoint('suppliers', { $unset: { deltaCursorAt: '' }, $set: { deltaCursor: null } });
    const run = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(streamFigures(run, 'suppliers')).toMatchObject({ mode: 'full', fallback: 'delta_cursor_missing' });
    expect((await loadCheckpoint(h.store.db, TENANT, 'suppliers')).deltaCursor).toMatch(/^\d+$/);
  });

  it('a cursor Xledger refuses (its deltas were dropped) falls back to a full pass within the same run', async () => {
    const retention = h.sim.state.deltaRetentionMs;
    const gone = (await truth(h, OWNER, 'suppliers')).find((r) => r.visibility === 'client')!;
    try {
      // Xledger has dropped every delta, the deletion's too: the stored cursor is unknown to it.
      h.sim.state.deltaRetentionMs = 1;
      await admin(h, 'DELETE', `/admin/records/suppliers/${gone.dbId}`);
      await new Promise((resolve) => setTimeout(resolve, 20));

      await resetCounters(h);
      const run = await runSync(h, TENANT, 'suppliers', 'incremental');
      const figures = streamFigures(run, 'suppliers');
      expect(run.status).toBe('completed');
      expect(figures.mode).toBe('full');
      expect(figures.fallback).toBe('delta_cursor_expired');
      expect(figures.deleted).toBe(1);
      // The refused request, then the full pass's single page, the look-up by id of the record it
      // no longer saw, and the entity tree read again before it is marked deleted.
      expect(figures.requests).toBe(4);
      expect((await counters(h, 'root')).refused).toBe(1);
      expect((await supplierDoc(gone.dbId))?.deletedAt).toBeInstanceOf(Date);
    } finally {
      h.sim.state.deltaRetentionMs = retention;
    }
    await expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    // Xledger kept no delta at all: the next incremental pass reads from the start of what it keeps.
    const next = await runSync(h, TENANT, 'suppliers', 'incremental');
    expect(streamFigures(next, 'suppliers')).toMatchObject({ mode: 'incremental', deleted: 0 });
  });
});
