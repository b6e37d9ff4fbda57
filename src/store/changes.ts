import type { Db } from 'mongodb';
import { dataTypes, getDataType } from '../datatypes/registry';
import { collections } from './collections';
import { VersionedRegister, type Version } from './versioned';
import type { StoredRecord } from '../domain/records';
import type { DataType } from '../domain/data-types';
import type { DataTypeRecord, RecordChange } from '../datatypes/records';

/**
 * The change feed: what changed in a tenant's data type after a cursor, for SEMINE to read what
 * a `sync.completed` announced. No change streams (FerretDB has none): every write of a record
 * (insert, update, deletion mark, derived field) stamps it with `changeSeq`, the next number of
 * a sequence per (tenant, data type). A reader asks for `changeSeq > after`, in order.
 *
 * - **Numbers are claimed by inserts**: the numbers of a (tenant, data type) are a versioned
 *   register (store/versioned.ts) holding the last number handed out and the sealed position;
 *   a write batch takes a block of numbers by inserting the register's next version. Of two
 *   writers that read the same version one insert wins and the other reads again, so no number
 *   is handed out twice, on FerretDB (which runs `$inc` as a read then a write: 1,230 of 4,000
 *   numbers were handed out twice under concurrent writers) as on MongoDB. A data type's
 *   streams (dimensions, VAT codes, projects) write at once, so this matters without zombies.
 * - **Cost on the sync path**: one block per batch that writes anything (about five `_id`
 *   round trips), plus the field and its index entry on each written document. Unchanged
 *   records are not written, so a sync without changes adds nothing.
 * - **Nothing passed over**: numbers are handed out before their documents are written, so a
 *   reader could see 7 before 5 is written and move its cursor past 5. The feed therefore only
 *   shows numbers up to `sealed`, which a run advances when it records its result (every
 *   write of the run is done by then; writes of one tenant's data type never overlap: its
 *   schedule never runs it twice at once, and its passes are fenced).
 * - A record changed twice between two reads is returned once, at its latest number.
 */
export const CHANGE_SEQUENCES = collections.changeSequences;

interface ChangeSequence {
  /** The last number handed out. */
  next: number;
  /** Readers see numbers up to this one. */
  sealed: number;
}

/** The single document per (tenant, data type) this module kept before its numbers were versioned. */
interface LegacySequenceDoc {
  _id: string;
  next?: number;
  sealed?: number;
}

const sequenceId = (tenantId: string, dataType: string) => `${tenantId}:${dataType}`;
const sequence = (db: Db, tenantId: string, dataType: string) =>
  new VersionedRegister<ChangeSequence>(db, CHANGE_SEQUENCES, tenantId, sequenceId(tenantId, dataType));

/**
 * Where the numbers stand. A store written before the register existed kept them on the head
 * document itself: those numbers go on from there, never back to 1.
 */
async function current(
  db: Db,
  register: VersionedRegister<ChangeSequence>,
): Promise<Version<ChangeSequence> | null> {
  const latest = await register.latest();
  if (latest) return latest;
  const legacy = await db.collection<LegacySequenceDoc>(CHANGE_SEQUENCES).findOne({ _id: register.key });
  return legacy?.next ? { n: 0, value: { next: legacy.next, sealed: legacy.sealed ?? 0 } } : null;
}

/** The data type whose stream writes this collection. */
export function dataTypeOfCollection(collection: string): string {
  const found = dataTypes.find((type) => type.streams.some((stream) => stream.collection === collection));
  if (!found) throw new Error(`No data type writes the collection "${collection}"`);
  return found.name;
}

/** Numbers for the documents of one write batch: returns the first of `count` consecutive ones. */
export async function reserveChangeSeqs(
  db: Db,
  tenantId: string,
  dataType: string,
  count: number,
): Promise<number> {
  const register = sequence(db, tenantId, dataType);
  for (;;) {
    const now = await current(db, register);
    const from = now?.value ?? { next: 0, sealed: 0 };
    const taken = await register.propose(now && now.n > 0 ? now : null, { ...from, next: from.next + count });
    if (taken) return from.next + 1;
  }
}

/**
 * Makes every number handed out so far visible to readers: called once a run's writes are
 * done (activities/record-run.ts). Returns the sealed position: the cursor up to which the run's
 * changes can be read.
 */
export async function sealChanges(db: Db, tenantId: string, dataType: string): Promise<number> {
  const register = sequence(db, tenantId, dataType);
  for (;;) {
    const now = await current(db, register);
    if (!now) return 0;
    if (now.value.sealed >= now.value.next) return now.value.sealed;
    const sealed = await register.propose(now.n > 0 ? now : null, { ...now.value, sealed: now.value.next });
    if (sealed) return sealed.value.sealed;
  }
}

/** A page of the feed; each record JSON-safe and typed by its data type (datatypes/records.ts). */
export interface ChangesRead<T extends DataType = DataType> {
  changes: Array<RecordChange<T>>;
  /** Pass as `after` to read on; equal to `after` when nothing changed. */
  next: number;
  /** More changes wait after `next`, up to what is sealed now. */
  hasMore: boolean;
  /**
   * The newest readable position. To start following a data type that is already synced: take
   * `head` first, read the current records (the collections), then read the feed after `head`.
   */
  head: number;
}

/**
 * The tenant's records of a data type changed after `after`, in `changeSeq` order (all its
 * streams in one order), at most `limit`. Deleted ones are included. One indexed query per
 * stream collection on MongoDB (`tenant_changeSeq`); FerretDB scans the collection instead.
 */
export async function readChanges<T extends DataType>(
  db: Db,
  tenantId: string,
  dataType: T,
  options: { after: number; limit: number },
): Promise<ChangesRead<T>> {
  const type = getDataType(dataType);
  const sealed = (await current(db, sequence(db, tenantId, dataType)))?.value.sealed ?? 0;
  if (sealed <= options.after) return { changes: [], next: options.after, hasMore: false, head: sealed };
  const perStream = await Promise.all(
    type.streams.map(async (stream) => {
      const docs = await db
        .collection<StoredRecord>(stream.collection)
        .find({ tenantId, changeSeq: { $gt: options.after, $lte: sealed } })
        .sort({ changeSeq: 1 })
        .limit(options.limit + 1)
        .toArray();
      return docs.map(
        (record) =>
          ({
            stream: stream.name,
            collection: stream.collection,
            changeSeq: record.changeSeq as number,
            deleted: record.deletedAt !== null && record.deletedAt !== undefined,
            record: syncedRecord<T>(record),
          }) as RecordChange<T>,
      );
    }),
  );
  const all = perStream.flat().sort((a, b) => a.changeSeq - b.changeSeq);
  const changes = all.slice(0, options.limit);
  const hasMore = all.length > options.limit;
  return { changes, next: hasMore ? changes.at(-1)!.changeSeq : sealed, hasMore, head: sealed };
}

/**
 * A stored record as SEMINE receives it: JSON-safe (ISO times), without what is ours alone
 * (`_id`, `contentHash`). Its fields are those its stream's toDocument stored, which is what
 * DataTypeRecord<T> says they are.
 */
export function syncedRecord<T extends DataType = DataType>(stored: StoredRecord): DataTypeRecord<T> {
  const { _id: _key, contentHash: _hash, syncedAt, deletedAt, ...fields } = stored;
  return {
    ...fields,
    syncedAt: isoTime(syncedAt),
    deletedAt: deletedAt ? isoTime(deletedAt) : null,
  } as unknown as DataTypeRecord<T>;
}

const isoTime = (value: Date | string): string => new Date(value).toISOString();
