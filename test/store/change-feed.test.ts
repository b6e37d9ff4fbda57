import type { DataType } from '../../src/domain/data-types';
import type { RecordChange } from '../../src/datatypes/records';
import { describe, expect, it } from 'vitest';
import { readChanges, sealChanges } from '../../src/store/changes';
import { ensureIndexes } from '../../src/store/db';
import {
  markDeleted,
  recordId,
  recordsCollection,
  StoredState,
  upsertRecords,
} from '../../src/store/records';
import { useScratchDb } from '../support/scratch-store';
import type { RecordToStore } from '../../src/domain/records';

const db = useScratchDb('changes');

const supplier = (dbId: number, version = 1): RecordToStore => ({
  dbId,
  entityDbId: 101,
  visibility: 'owner',
  fields: { code: `S${dbId}`, description: `Supplier ${dbId} v${version}` },
});

async function write(tenantId: string, records: RecordToStore[], collection = 'suppliers') {
  const target = recordsCollection(db(), collection);
  return upsertRecords(target, tenantId, records, StoredState.partial(target, tenantId), new Date());
}

/** Every change after `after`, read in pages of `limit`. */
async function readAll<T extends DataType>(tenantId: string, dataType: T, after: number, limit = 1000) {
  const changes: Array<RecordChange<T>> = [];
  let cursor = after;
  for (;;) {
    const page = await readChanges(db(), tenantId, dataType, { after: cursor, limit });
    changes.push(...page.changes);
    cursor = page.next;
    if (!page.hasMore) return { changes, next: cursor };
  }
}

describe('the change feed', () => {
  it('returns exactly the inserts, updates and deletions after a cursor, in a stable order', async () => {
    await ensureIndexes(db());
    const tenant = 'feed';
    await write(
      tenant,
      [1, 2, 3, 4, 5].map((dbId) => supplier(dbId)),
    );
    // Not sealed yet (the run has not recorded its result): not visible.
    expect(await readChanges(db(), tenant, 'suppliers', { after: 0, limit: 10 })).toEqual({
      changes: [],
      next: 0,
      hasMore: false,
      head: 0,
    });
    const first = await sealChanges(db(), tenant, 'suppliers');
    const initial = await readAll(tenant, 'suppliers', 0);
    expect(initial.changes.map((c) => c.record.dbId)).toEqual([1, 2, 3, 4, 5]);
    expect(initial.next).toBe(first);

    // The next run (new records take their numbers first): 2 and 4 change, 3 is deleted, 6 is new, 1 and 5 are unchanged.
    const figures = await write(
      tenant,
      [1, 2, 4, 5, 6].map((dbId) => supplier(dbId, dbId === 2 || dbId === 4 ? 2 : 1)),
    );
    expect(figures).toEqual({ inserted: 1, updated: 2, unchanged: 2 });
    await markDeleted(recordsCollection(db(), 'suppliers'), tenant, [recordId(tenant, 3)], new Date());
    // Another tenant's changes never show.
    await write('feed-other', [supplier(7)]);
    await sealChanges(db(), 'feed-other', 'suppliers');
    const second = await sealChanges(db(), tenant, 'suppliers');
    const after = await readAll(tenant, 'suppliers', first, 2);
    expect(after.changes.map((c) => [c.record.dbId, c.deleted])).toEqual([
      [6, false],
      [2, false],
      [4, false],
      [3, true],
    ]);
    expect(after.changes.map((c) => c.record.description)).toEqual([
      'Supplier 6 v1',
      'Supplier 2 v2',
      'Supplier 4 v2',
      'Supplier 3 v1',
    ]);
    expect(after.next).toBe(second);
    // Read again from the same cursor: the same answer. From the end: nothing.
    expect((await readAll(tenant, 'suppliers', first, 3)).changes.map((c) => c.changeSeq)).toEqual(
      after.changes.map((c) => c.changeSeq),
    );
    expect(await readChanges(db(), tenant, 'suppliers', { after: second, limit: 10 })).toMatchObject({
      changes: [],
      next: second,
      head: second,
    });
    // From the start: each record once, at its latest change.
    const everything = await readAll(tenant, 'suppliers', 0, 4);
    expect(everything.changes.map((c) => c.record.dbId)).toEqual([1, 5, 6, 2, 4, 3]);
  });

  it('orders the streams of one data type in one sequence', async () => {
    const tenant = 'feed-dims';
    await write(tenant, [supplier(1)], 'object_kinds');
    await write(tenant, [supplier(10), supplier(11)], 'object_values');
    await write(tenant, [supplier(1, 2)], 'object_kinds');
    await sealChanges(db(), tenant, 'dimensions');
    const { changes } = await readAll(tenant, 'dimensions', 0, 1);
    expect(changes.map((c) => [c.stream, c.record.dbId])).toEqual([
      ['objectValues', 10],
      ['objectValues', 11],
      ['objectKinds', 1],
    ]);
  });
});
