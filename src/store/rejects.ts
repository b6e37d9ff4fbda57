import type { Db } from 'mongodb';
import { boundedBulkWrite, deleteManyIn } from './bounded';
import { collections } from './db';

/** A node Xledger sent that did not pass its zod schema: kept with the reason, never stored as data. */
export interface RejectedRecord {
  _id: string;
  tenantId: string;
  stream: string;
  dbId: number | null;
  reason: string;
  node: unknown;
  rejectedAt: Date;
}

export async function saveRejects(db: Db, rejects: Omit<RejectedRecord, '_id'>[]): Promise<void> {
  if (rejects.length === 0) return;
  await boundedBulkWrite(
    db.collection<RejectedRecord>(collections.rejects),
    rejects.map((reject) => {
      // One entry per record (the latest reason), so a record rejected on every run does not pile up.
      const key =
        reject.dbId ?? `unknown-${reject.rejectedAt.getTime()}-${Math.random().toString(36).slice(2)}`;
      const _id = `${reject.tenantId}:${reject.stream}:${key}`;
      return { replaceOne: { filter: { _id }, replacement: { ...reject, _id }, upsert: true } };
    }),
    { ordered: false },
  );
}

/**
 * Drops the rejects of records that now pass. Rejects are few, pages are not (10,000 ids): the
 * stream's rejects are read first (one small query), and only those among `dbIds` are deleted,
 * by `_id` — a page without earlier rejects costs one read instead of a delete over its ids.
 */
export async function clearRejects(db: Db, tenantId: string, stream: string, dbIds: number[]): Promise<void> {
  if (dbIds.length === 0) return;
  const collection = db.collection<RejectedRecord>(collections.rejects);
  const rejected = new Set<number>();
  for await (const reject of collection.find({ tenantId, stream }, { projection: { dbId: 1 } })) {
    if (reject.dbId !== null) rejected.add(reject.dbId);
  }
  if (rejected.size === 0) return;
  const cleared = dbIds.filter((dbId) => rejected.has(dbId));
  await deleteManyIn(
    collection,
    {},
    '_id',
    cleared.map((id) => `${tenantId}:${stream}:${id}`),
  );
}
