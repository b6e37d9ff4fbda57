import type { AnyBulkWriteOperation, BulkWriteOptions, Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  boundedBulkWrite,
  boundedDeleteMany,
  chunked,
  CONCURRENT_UPDATE_COMMANDS,
  deleteManyIn,
  findIn,
  IN_BATCH,
  inChunks,
  UPDATE_BATCH,
} from '../../src/store/bounded';

/** The store's bound on bulk writes and `$in` lists, against a collection that records its calls. */

interface Doc {
  _id: string;
  n?: number;
  tenantId?: string;
  deletedAt?: Date | null;
}

type Query = Record<string, unknown> & { _id: { $in: string[] } };

interface Call {
  method: string;
  size: number;
  filter?: Query;
  options?: BulkWriteOptions;
}

function fakeCollection(failOnCall: Map<number, Error> = new Map()) {
  const calls: Call[] = [];
  const fail = () => {
    const error = failOnCall.get(calls.length);
    if (error) throw error;
  };
  const collection = {
    async bulkWrite(ops: AnyBulkWriteOperation<Doc>[], options?: BulkWriteOptions) {
      calls.push({ method: 'bulkWrite', size: ops.length, ...(options ? { options } : {}) });
      fail();
      // Each updateOne matches; every third one changes nothing.
      const updates = ops.filter((op) => 'updateOne' in op).length;
      return {
        insertedCount: ops.filter((op) => 'insertOne' in op).length,
        matchedCount: updates,
        modifiedCount: updates - Math.floor(updates / 3),
        deletedCount: ops.filter((op) => 'deleteOne' in op).length,
        upsertedCount: 0,
      };
    },
    async updateMany(filter: Query) {
      const size = filter._id.$in.length;
      calls.push({ method: 'updateMany', size, filter });
      fail();
      return { matchedCount: size, modifiedCount: size - 1 };
    },
    async deleteMany(filter: Query) {
      const size = filter._id.$in.length;
      calls.push({ method: 'deleteMany', size, filter });
      fail();
      return { deletedCount: size };
    },
    find(filter: Query) {
      const values = filter._id.$in;
      calls.push({ method: 'find', size: values.length, filter });
      return (async function* () {
        for (const _id of values) yield { _id };
      })();
    },
  };
  return { calls, collection: collection as unknown as Collection<Doc> };
}

const updates = (n: number): AnyBulkWriteOperation<Doc>[] =>
  Array.from({ length: n }, (_, i) => ({
    updateOne: { filter: { _id: `t:${i}` }, update: { $set: { n: i } } },
  }));
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t:${i}`);

describe('bounded writes', () => {
  it('the bounds stay below what FerretDB v1 finishes', () => {
    // FerretDB locks up at 100 matching statements in one update command (fewer when
    // several run at once), and fails a delete of more than 32,766 documents.
    expect(UPDATE_BATCH).toBe(25);
    expect(IN_BATCH).toBeLessThan(32_766 / 2);
    expect(IN_BATCH).toBeGreaterThanOrEqual(10_000);
  });

  it('chunks: pieces of at most the size, in order, none for no items', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunked([], 50)).toEqual([]);
    expect(() => chunked([1], 0)).toThrow(RangeError);
  });

  it('inChunks runs one piece after another and passes each offset', async () => {
    let running = 0;
    const seen: Array<[number, number]> = [];
    const results = await inChunks(ids(120), 50, async (chunk, offset) => {
      running += 1;
      expect(running).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push([offset, chunk.length]);
      running -= 1;
      return chunk[0];
    });
    expect(seen).toEqual([
      [0, 50],
      [50, 50],
      [100, 20],
    ]);
    expect(results).toEqual(['t:0', 't:50', 't:100']);
    expect(await inChunks([], 50, async () => 1)).toEqual([]);
  });

  it('a bulk write of 10,000 goes in pieces of UPDATE_BATCH and its counts are summed', async () => {
    const { calls, collection } = fakeCollection();
    const counts = await boundedBulkWrite(collection, updates(10_010), { ordered: false });
    // 400 pieces of 25 (8 of them change nothing) and one of 10 (3 unchanged).
    expect(calls.map((call) => call.size)).toEqual([...Array<number>(400).fill(UPDATE_BATCH), 10]);
    expect(calls.every((call) => call.options?.ordered === false)).toBe(true);
    expect(counts).toEqual({
      insertedCount: 0,
      matchedCount: 10_010,
      modifiedCount: 10_010 - 400 * 8 - 3,
      deletedCount: 0,
      upsertedCount: 0,
    });
  });

  it('no operations: no command, zero counts', async () => {
    const { calls, collection } = fakeCollection();
    expect(await boundedBulkWrite(collection, [])).toEqual({
      insertedCount: 0,
      matchedCount: 0,
      modifiedCount: 0,
      deletedCount: 0,
      upsertedCount: 0,
    });
    expect(await deleteManyIn(collection, {}, '_id', [])).toBe(0);
    for await (const doc of findIn(collection, {}, '_id', [])) expect.unreachable(String(doc));
    expect(calls).toEqual([]);
  });

  it('ordered: stops at the piece that fails; unordered: tries every piece, then throws the first error', async () => {
    const duplicate = Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    const later = new Error('later');
    const ordered = fakeCollection(
      new Map([
        [2, duplicate],
        [3, later],
      ]),
    );
    await expect(boundedBulkWrite(ordered.collection, updates(100))).rejects.toBe(duplicate);
    expect(ordered.calls).toHaveLength(2);

    const unordered = fakeCollection(
      new Map([
        [2, duplicate],
        [3, later],
      ]),
    );
    await expect(boundedBulkWrite(unordered.collection, updates(100), { ordered: false })).rejects.toBe(
      duplicate,
    );
    expect(unordered.calls).toHaveLength(4);
  });

  it('deleteMany and find with $in go in pieces of IN_BATCH ids', async () => {
    const { calls, collection } = fakeCollection();
    const n = 2 * IN_BATCH + 500;
    expect(await deleteManyIn(collection, { tenantId: 't' }, '_id', ids(n))).toBe(n);
    const found: unknown[] = [];
    for await (const doc of findIn(collection, { tenantId: 't' }, '_id', ids(n))) found.push(doc._id);
    expect(found).toEqual(ids(n));
    expect(calls.map((call) => `${call.method} ${call.size}`)).toEqual([
      `deleteMany ${IN_BATCH}`,
      `deleteMany ${IN_BATCH}`,
      'deleteMany 500',
      `find ${IN_BATCH}`,
      `find ${IN_BATCH}`,
      'find 500',
    ]);
    expect(calls[0]!.filter).toEqual({ tenantId: 't', _id: { $in: ids(IN_BATCH) } });
  });

  it('a deleteMany by filter reads and deletes at most IN_BATCH documents at a time', async () => {
    let stored = Array.from({ length: 2 * IN_BATCH + 7 }, (_, i) => ({ _id: `t:${i}`, tenantId: 't' }));
    stored.push({ _id: 'u:1', tenantId: 'u' });
    const deletes: number[] = [];
    const collection = {
      find: (filter: { tenantId: string }, options: { limit: number }) => ({
        toArray: async () => stored.filter((doc) => doc.tenantId === filter.tenantId).slice(0, options.limit),
      }),
      deleteMany: async (filter: Query) => {
        const wanted = new Set(filter._id.$in);
        deletes.push(wanted.size);
        const before = stored.length;
        stored = stored.filter((doc) => !(wanted.has(doc._id) && doc.tenantId === filter.tenantId));
        return { deletedCount: before - stored.length };
      },
    } as unknown as Collection<Doc>;
    expect(await boundedDeleteMany(collection, { tenantId: 't' })).toBe(2 * IN_BATCH + 7);
    expect(deletes).toEqual([IN_BATCH, IN_BATCH, 7]);
    expect(stored).toEqual([{ _id: 'u:1', tenantId: 'u' }]);
    expect(await boundedDeleteMany(collection, { tenantId: 't' })).toBe(0);
  });

  it('update commands of many writers at once: never more than CONCURRENT_UPDATE_COMMANDS in flight', async () => {
    let inFlight = 0;
    let most = 0;
    let commands = 0;
    const slow = {
      async bulkWrite(ops: AnyBulkWriteOperation<Doc>[]) {
        inFlight += 1;
        commands += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return {
          insertedCount: 0,
          matchedCount: ops.length,
          modifiedCount: ops.length,
          deletedCount: 0,
          upsertedCount: 0,
        };
      },
    } as unknown as Collection<Doc>;
    // Twenty activities each writing 60 updates (three commands) side by side.
    const counts = await Promise.all(Array.from({ length: 20 }, () => boundedBulkWrite(slow, updates(60))));
    expect(counts.every((c) => c.modifiedCount === 60)).toBe(true);
    expect(commands).toBe(60);
    expect(most).toBe(CONCURRENT_UPDATE_COMMANDS);
  });
});
