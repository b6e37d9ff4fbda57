import { hash } from 'node:crypto';
import {
  MongoBulkWriteError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Filter,
} from 'mongodb';
import { boundedBulkWrite, findIn, inChunks, INSERT_BATCH } from './bounded';
import { dataTypeOfCollection, reserveChangeSeqs } from './changes';
import type { RecordToStore, StoredRecord } from '../domain/records';

const changeFeed = Symbol('changeFeed');

/**
 * A stream's collection that knows its database and data type, so that every write through
 * this module takes its numbers in the change feed (store/changes.ts).
 */
export type RecordsCollection = Collection<StoredRecord> & {
  readonly [changeFeed]: { db: Db; dataType: string };
};

/** Numbers in the change feed for `count` documents written now (none asked for none). */
export async function takeChangeSeqs(
  collection: RecordsCollection,
  tenantId: string,
  count: number,
): Promise<number> {
  if (count === 0) return 0;
  const { db, dataType } = collection[changeFeed];
  return reserveChangeSeqs(db, tenantId, dataType, count);
}

export interface UpsertFigures {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** The deterministic key makes an upsert idempotent and a duplicate impossible. */
export const recordId = (tenantId: string, dbId: number): string => `${tenantId}:${dbId}`;

export function contentHash(record: RecordToStore): string {
  // One-shot hashing: a Hash object per record costs more than the digest itself.
  return hash(
    'sha256',
    stableStringify({ entityDbId: record.entityDbId, visibility: record.visibility, ...record.fields }),
    'base64url',
  );
}

/** Up to this many ids, look-ups go by `_id` equality (see StoredState.ensure). */
const POINT_LOOKUP_MAX = 500;

const STATE_PROJECTION = { _id: 1, contentHash: 1, deletedAt: 1 } as const;
type StateFields = Pick<StoredRecord, '_id' | 'contentHash' | 'deletedAt'>;

/**
 * What is stored for one (tenant, stream): content hash and deletion mark per record id, so
 * each page is compared in memory and only differences are written. A full pass loads it
 * whole, once (it needs every live id to reconcile deletions); an incremental pass loads only
 * the ids its pages bring (`ensure`). Both matter on FerretDB, which scans on every query:
 * one read per pass rather than one per record, and no read of 100k documents for a handful
 * of changes.
 */
export class StoredState {
  private readonly byId = new Map<string, { hash: string; deleted: boolean }>();
  /** Ids looked up and found absent (partial state only). */
  private readonly absent = new Set<string>();

  private constructor(
    private readonly collection: Collection<StoredRecord>,
    private readonly tenantId: string,
    private readonly complete: boolean,
  ) {}

  /** Everything stored for the tenant. */
  static async load(collection: Collection<StoredRecord>, tenantId: string): Promise<StoredState> {
    const state = new StoredState(collection, tenantId, true);
    await state.read({ tenantId });
    return state;
  }

  /** Nothing yet: ids are read as pages need them. */
  static partial(collection: Collection<StoredRecord>, tenantId: string): StoredState {
    return new StoredState(collection, tenantId, false);
  }

  /** Makes sure these ids are known (one query for those not yet looked up). */
  async ensure(ids: readonly string[]): Promise<void> {
    if (this.complete) return;
    const missing = ids.filter((id) => !this.byId.has(id) && !this.absent.has(id));
    if (missing.length === 0) return;
    if (missing.length <= POINT_LOOKUP_MAX) {
      // One `_id` equality per record: FerretDB answers those from its index in milliseconds,
      // while a single `$in` query scans the whole collection (seconds at 100k documents).
      for (let start = 0; start < missing.length; start += 16) {
        await Promise.all(missing.slice(start, start + 16).map((_id) => this.read({ _id })));
      }
    } else {
      await this.take(
        findIn(this.collection, { tenantId: this.tenantId }, '_id', missing, {
          projection: STATE_PROJECTION,
        }),
      );
    }
    for (const id of missing) if (!this.byId.has(id)) this.absent.add(id);
  }

  private read(filter: Filter<StoredRecord>): Promise<void> {
    return this.take(this.collection.find(filter, { projection: STATE_PROJECTION }));
  }

  private async take(docs: AsyncIterable<StateFields>): Promise<void> {
    for await (const doc of docs)
      this.byId.set(doc._id, { hash: doc.contentHash, deleted: doc.deletedAt !== null });
  }

  get(id: string) {
    return this.byId.get(id);
  }

  remember(id: string, hash: string): void {
    this.byId.set(id, { hash, deleted: false });
    this.absent.delete(id);
  }

  markDeleted(id: string): void {
    const entry = this.byId.get(id);
    if (entry) entry.deleted = true;
  }

  liveIds(): string[] {
    if (!this.complete) throw new Error('liveIds needs the complete stored state (StoredState.load)');
    return [...this.byId].filter(([, entry]) => !entry.deleted).map(([id]) => id);
  }
}

/**
 * Writes the records of one page that are new or changed; an unchanged record is not
 * written. New records go in insertMany; if another writer inserted one meanwhile, the
 * duplicate-key failure is retried as a replace, so concurrent upserts never fail. Changed
 * records go in bulk writes bounded to what FerretDB finishes (store/bounded.ts): one page
 * may bring 10,000 changes.
 */
export async function upsertRecords(
  collection: RecordsCollection,
  tenantId: string,
  records: RecordToStore[],
  stored: StoredState,
  now: Date,
): Promise<UpsertFigures> {
  const figures: UpsertFigures = { inserted: 0, updated: 0, unchanged: 0 };
  await stored.ensure(records.map((record) => recordId(tenantId, record.dbId)));
  const inserts: StoredRecord[] = [];
  const replacements: StoredRecord[] = [];
  for (const record of records) {
    const doc = toStoredRecord(tenantId, record, now);
    const existing = stored.get(doc._id);
    if (existing && existing.hash === doc.contentHash && !existing.deleted) {
      figures.unchanged += 1;
      continue;
    }
    (existing ? replacements : inserts).push(doc);
  }
  const firstSeq = await takeChangeSeqs(collection, tenantId, inserts.length + replacements.length);
  [...inserts, ...replacements].forEach((doc, i) => (doc.changeSeq = firstSeq + i));
  if (inserts.length > 0) {
    const lostRaces = await insertNew(collection, inserts);
    figures.inserted += inserts.length - lostRaces.length;
    replacements.push(...lostRaces);
  }
  if (replacements.length > 0) {
    await boundedBulkWrite(
      collection,
      replacements.map((doc): AnyBulkWriteOperation<StoredRecord> => ({
        updateOne: { filter: { _id: doc._id }, update: { $set: withoutId(doc) }, upsert: true },
      })),
      { ordered: false },
    );
    figures.updated += replacements.length;
  }
  for (const doc of [...inserts, ...replacements]) stored.remember(doc._id, doc.contentHash);
  return figures;
}

/** Inserts the documents; returns those another writer inserted first (duplicate key). */
async function insertNew(
  collection: Collection<StoredRecord>,
  docs: StoredRecord[],
): Promise<StoredRecord[]> {
  const lostRaces: StoredRecord[] = [];
  await inChunks(docs, INSERT_BATCH, async (chunk) => {
    try {
      const result = await collection.insertMany(chunk, { ordered: false });
      if (result.insertedCount !== chunk.length) {
        throw new Error(`insertMany stored ${result.insertedCount} of ${chunk.length} documents`);
      }
    } catch (error) {
      const duplicates = onlyDuplicateKeys(error, chunk.length);
      if (!duplicates) throw error;
      for (const index of duplicates) lostRaces.push(chunk[index]!);
    }
  });
  return lostRaces;
}

/**
 * The indexes of the documents an insertMany failed for, when each failed for a duplicate key
 * and every other document was inserted; undefined for any other failure. A connection lost
 * mid-command also comes as a MongoBulkWriteError, with no write errors and nothing known to be
 * inserted: taken for "no duplicates", it would count a page as stored that never was.
 */
function onlyDuplicateKeys(error: unknown, documents: number): number[] | undefined {
  if (!(error instanceof MongoBulkWriteError) || error.writeConcernError) return undefined;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== 11000))
    return undefined;
  if (error.result.insertedCount + writeErrors.length !== documents) return undefined;
  return writeErrors.map((writeError) => writeError.index);
}

/**
 * Marks records as deleted (never removes them: SEMINE may still reference them); returns
 * how many were live.
 */
export async function markDeleted(
  collection: RecordsCollection,
  tenantId: string,
  ids: string[],
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  // Which of them are still live: one `$in` query per 10,000 ids (already deleted records are
  // neither counted nor touched again). Then one statement per record, filtered by `_id`
  // alone: answered from the `_id` index by MongoDB and FerretDB alike (FerretDB pushes down a
  // filter of `_id` alone; an updateMany with `$in` scans the collection for each record).
  const live: string[] = [];
  for await (const doc of findIn(collection, { tenantId, deletedAt: null }, '_id', ids, {
    projection: { _id: 1 },
  }))
    live.push(doc._id);
  const firstSeq = await takeChangeSeqs(collection, tenantId, live.length);
  const result = await boundedBulkWrite(
    collection,
    live.map((_id, i) => ({
      updateOne: {
        filter: { _id },
        update: { $set: { deletedAt: now, syncedAt: now, changeSeq: firstSeq + i } },
      },
    })),
    { ordered: false },
  );
  return result.modifiedCount;
}

function withoutId({ _id: _ignored, ...rest }: StoredRecord): Omit<StoredRecord, '_id'> {
  return rest;
}

function toStoredRecord(tenantId: string, record: RecordToStore, now: Date): StoredRecord {
  // Object.assign, not spread: V8 spreads an object of many fields (a page has 10,000) many
  // times slower. The fields come first and the record's own keys win, as with a spread.
  return Object.assign({}, record.fields, {
    _id: recordId(tenantId, record.dbId),
    tenantId,
    dbId: record.dbId,
    entityDbId: record.entityDbId,
    visibility: record.visibility,
    contentHash: contentHash(record),
    syncedAt: now,
    deletedAt: null,
  });
}

/**
 * The query helper SEMINE's product code uses: what one client entity of a tenant may see —
 * records shared by its owner plus its own client-level records, never deleted ones.
 */
export function visibleToClientFilter(tenantId: string, clientEntityDbId: number): Filter<StoredRecord> {
  return {
    tenantId,
    deletedAt: null,
    $or: [{ visibility: 'owner' }, { visibility: 'client', entityDbId: clientEntityDbId }],
  };
}

export function recordsCollection(db: Db, collection: string): RecordsCollection {
  return Object.assign(db.collection<StoredRecord>(collection), {
    [changeFeed]: { db, dataType: dataTypeOfCollection(collection) },
  });
}

/**
 * JSON with object keys in code-unit order and undefined members left out: the same text for
 * the same content, whatever order the fields were set in. Stored hashes depend on this exact
 * text: a change here makes every record look changed once. Built with plain loops (no
 * intermediate arrays): it runs once per record.
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + stableStringify(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as `a < b` does.
  const keys = Object.keys(object).sort();
  let out = '';
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${stableStringify(member)}`;
  }
  return `{${out}}`;
}
