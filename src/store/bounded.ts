import pLimit from 'p-limit';
import type {
  AnyBulkWriteOperation,
  BulkWriteOptions,
  Collection,
  Document,
  Filter,
  FindOptions,
} from 'mongodb';

/**
 * Every bulk write and every `$in` list the store sends goes through this module, in pieces
 * that the smallest supported server finishes — the same pieces on MongoDB and FerretDB.
 * Measured on FerretDB v1.24.2 with SQLite (what `npm start` and the tests run) with
 * `npm run bench -- ferretdb-limits` (bench/scenarios/ferretdb-limits.ts):
 *
 * - ONE update command with 100 or more single-document statements (updateOne, replaceOne)
 *   that match a document locks its database up for good: 99 finish (2.6 s at 10,000
 *   documents), 100 never answer, and nothing else on that database answers afterwards. Each
 *   such statement keeps one of the database's 100 SQLite connections until the whole command
 *   ends. Concurrent commands on one database share those connections: 8 bulkWrites of 25 at
 *   once finish, 8 of 50 lock up. (Upserts that insert and updateMany statements keep none.)
 * - A delete that matches more than 32,766 documents fails ("too many SQL variables": FerretDB
 *   deletes them in one SQL statement with one parameter each): 32,766 finish, 32,767 fail.
 * - find and deleteMany with `$in` of 10,000 ids, find with 100,000, insertMany of 10,000:
 *   fine (1.7 s, 1.6 s, 2.1 s, 0.2 s at 10,000 documents).
 *
 * FerretDB v1.24.2 as released also never uses its `_id` index (its queries and its index
 * spell the path differently): each document an update touches costs a scan of the
 * collection, ≈35 ms at 10,000 documents, ≈340 ms at 100,000. Our build corrects that
 * (src/devstack/tools.ts): 1.5 ms at 100,000. FerretDB pushes down a filter of `_id` ALONE;
 * an updateMany with `$in` still scans. Hot paths therefore update by `_id` alone.
 */

/**
 * Statements per update command (bulkWrite): a quarter of the 100 at which FerretDB locks up,
 * so that several such commands at once on one database (a worker syncs many streams and
 * tenants side by side) still finish.
 */
export const UPDATE_BATCH = 25;

/**
 * Update commands (bulkWrite pieces) in flight at once in this process, whichever collection or
 * tenant they are for. The pieces of one command already go one after another; this bounds
 * concurrent commands of different activities: a worker runs up to 100 activities at once, and a
 * fleet's runs write links, entity trees and changed records side by side. Measured with
 * `npm run bench -- tenants` (1,000 tenants on their schedules, FerretDB): without this bound
 * FerretDB stopped answering after 7 minutes, at 0% CPU — its connections all held by commands
 * waiting for more. Two per process leaves room for a second worker (8 commands of 25 finish).
 */
export const CONCURRENT_UPDATE_COMMANDS = 2;
const updateCommands = pLimit(CONCURRENT_UPDATE_COMMANDS);

/**
 * Ids per `$in` of a find or a delete, and documents per delete: under a third of the 32,767
 * at which a FerretDB delete fails. One page of Xledger records (10,000) is one query: on
 * FerretDB each such query scans the collection, so fewer queries are faster.
 */
export const IN_BATCH = 10_000;

/** Documents per insertMany: one page of Xledger records (measured fine on FerretDB). */
export const INSERT_BATCH = 10_000;

/** Consecutive pieces of at most `size` items (none for no items). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer: ${size}`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Runs `fn` on each piece of `items` in turn — never in parallel: on FerretDB concurrent
 * commands on one database share its connections. `offset` is the piece's first index.
 */
export async function inChunks<T, R>(
  items: readonly T[],
  size: number,
  fn: (chunk: T[], offset: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let offset = 0;
  for (const chunk of chunked(items, size)) {
    results.push(await fn(chunk, offset));
    offset += chunk.length;
  }
  return results;
}

/** The counts of a bulk write, summed over its pieces. */
export interface BulkWriteCounts {
  insertedCount: number;
  matchedCount: number;
  modifiedCount: number;
  deletedCount: number;
  upsertedCount: number;
}

const noCounts = (): BulkWriteCounts => ({
  insertedCount: 0,
  matchedCount: 0,
  modifiedCount: 0,
  deletedCount: 0,
  upsertedCount: 0,
});

/**
 * `collection.bulkWrite(ops, options)` in pieces of UPDATE_BATCH operations, one after another.
 * Ordered (the driver's default): stops at the first piece that fails and throws its error.
 * Unordered: every piece is tried, then the first error (if any) is thrown — the driver's own
 * error, so callers can still tell e.g. a duplicate key (code 11000).
 */
export async function boundedBulkWrite<T extends Document>(
  collection: Collection<T>,
  ops: readonly AnyBulkWriteOperation<T>[],
  options: BulkWriteOptions = {},
): Promise<BulkWriteCounts> {
  const counts = noCounts();
  let firstError: unknown;
  for (const chunk of chunked(ops, UPDATE_BATCH)) {
    try {
      const result = await updateCommands(() => collection.bulkWrite(chunk, options));
      counts.insertedCount += result.insertedCount;
      counts.matchedCount += result.matchedCount;
      counts.modifiedCount += result.modifiedCount;
      counts.deletedCount += result.deletedCount;
      counts.upsertedCount += result.upsertedCount;
    } catch (error) {
      if (options.ordered !== false) throw error;
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  return counts;
}

/** `filter` with `field: { $in: values }` added. */
const withIn = <T extends Document>(
  filter: Filter<T>,
  field: string,
  values: readonly unknown[],
): Filter<T> => ({ ...filter, [field]: { $in: values } }) as Filter<T>;

/** `deleteMany({ ...filter, [field]: { $in: values } })` in pieces of IN_BATCH values; the deleted count. */
export async function deleteManyIn<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  field: string,
  values: readonly unknown[],
): Promise<number> {
  let deleted = 0;
  await inChunks(values, IN_BATCH, async (chunk) => {
    deleted += (await collection.deleteMany(withIn(filter, field, chunk))).deletedCount;
  });
  return deleted;
}

/**
 * `deleteMany(filter)` (a filter without `_id`) in pieces of at most IN_BATCH documents: the
 * ids of the next piece are read, then deleted. Returns the deleted count.
 */
export async function boundedDeleteMany<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const ids = (await collection.find(filter, { projection: { _id: 1 }, limit: IN_BATCH }).toArray()).map(
      (doc) => doc._id,
    );
    if (ids.length === 0) return deleted;
    const piece = (await collection.deleteMany(withIn(filter, '_id', ids))).deletedCount;
    deleted += piece;
    // Another writer changed them meanwhile: never loop on what cannot be deleted.
    if (piece === 0) return deleted;
  }
}

/**
 * The documents of `find({ ...filter, [field]: { $in: values } }, options)`, queried in
 * pieces of IN_BATCH values. Without sort or limit across pieces: for look-ups.
 */
export async function* findIn<T extends Document>(
  collection: Collection<T>,
  filter: Filter<T>,
  field: string,
  values: readonly unknown[],
  options?: Omit<FindOptions, 'sort' | 'limit' | 'skip'>,
): AsyncGenerator<T> {
  for (const chunk of chunked(values, IN_BATCH)) {
    for await (const doc of collection.find(withIn(filter, field, chunk), options)) yield doc as T;
  }
}
