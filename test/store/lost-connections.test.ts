/**
 * A connection to the MongoDB-wire server lost in the middle of a write, as a restart of the
 * server produces it (test/sync/restarts.test.ts saw it: a full pass completed with two pages of
 * suppliers missing from the store). The driver reports a cut insertMany as a MongoBulkWriteError
 * with no write errors; a page's write that took that for "nothing but duplicates" committed the
 * page without its records. Here a proxy cuts the connection exactly when the page's insert
 * passes: the write must fail (so the pass does not commit the page), and writing the page again
 * must leave every record stored.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { RecordToStore } from '../../src/domain/records';
import { connectStore, type Store } from '../../src/store/db';
import { recordId, recordsCollection, StoredState, upsertRecords } from '../../src/store/records';
import { startWireProxy, type Cut, type WireProxy } from '../support/wire-proxy';

const OWNER = 101;
const PAGE = 200;

let proxy: WireProxy;
let store: Store;

beforeAll(async () => {
  proxy = await startWireProxy(inject('mongoUri'));
  store = await connectStore(proxy.uri, `${inject('mongoDbName')}_lost_${randomBytes(4).toString('hex')}`);
});
afterAll(async () => {
  await store?.db.dropDatabase().catch(() => undefined);
  await store?.close();
  await proxy?.close();
});

const page = (tenantId: string): RecordToStore[] =>
  Array.from({ length: PAGE }, (_, i) => ({
    dbId: 1_000 + i,
    entityDbId: OWNER,
    visibility: 'owner',
    fields: { code: `S${i}`, description: `Supplier ${i} of ${tenantId}` },
  }));

async function storedDbIds(tenantId: string): Promise<number[]> {
  const docs = await recordsCollection(store.db, 'suppliers')
    .find({ tenantId, deletedAt: null }, { projection: { dbId: 1 } })
    .toArray();
  return docs.map((doc) => doc.dbId).sort((a, b) => a - b);
}

describe('a write whose connection is lost', () => {
  it.each<[Cut, string]>([
    ['before', 'never reached the server'],
    ['after-reply', 'ran, its answer lost'],
  ])('a page insert cut %s (%s) fails; written again, every record is stored', async (how) => {
    const tenantId = `cut-${how}`;
    const collection = recordsCollection(store.db, 'suppliers');
    const records = page(tenantId);
    const cutsBefore = proxy.cuts();
    proxy.cutNext('insert', 'suppliers', how);
    await expect(
      upsertRecords(collection, tenantId, records, StoredState.partial(collection, tenantId), new Date()),
    ).rejects.toThrow();
    expect(proxy.cuts()).toBe(cutsBefore + 1);
    expect((await storedDbIds(tenantId)).length).toBe(how === 'before' ? 0 : PAGE);

    // The retried attempt: a fresh stored state, the same page.
    const again = await upsertRecords(
      collection,
      tenantId,
      records,
      StoredState.partial(collection, tenantId),
      new Date(),
    );
    expect(again.inserted + again.updated + again.unchanged).toBe(PAGE);
    expect(await storedDbIds(tenantId)).toEqual(records.map((record) => record.dbId));
  });

  it('a page another writer inserted half of meanwhile: its duplicates are replaced, nothing fails', async () => {
    const tenantId = 'racing-writers';
    const collection = recordsCollection(store.db, 'suppliers');
    const records = page(tenantId);
    // This writer reads what is stored (nothing) ...
    const state = StoredState.partial(collection, tenantId);
    await state.ensure(records.map((record) => recordId(tenantId, record.dbId)));
    // ... another writer stores half of the page ...
    const other = StoredState.partial(collection, tenantId);
    await upsertRecords(collection, tenantId, records.slice(0, PAGE / 2), other, new Date());
    // ... and this writer's inserts of that half meet duplicate keys: replaced, not failed.
    const figures = await upsertRecords(collection, tenantId, records, state, new Date());
    expect(figures).toEqual({ inserted: PAGE / 2, updated: PAGE / 2, unchanged: 0 });
    expect(await storedDbIds(tenantId)).toEqual(records.map((record) => record.dbId));
  });
});
