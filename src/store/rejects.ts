import type { Db } from 'mongodb';
import { boundedBulkWrite, deleteManyIn } from './bounded';
import { collections } from './collections';

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

export async function clearRejects(db: Db, tenantId: string, stream: string, dbIds: number[]): Promise<void> {
  if (dbIds.length === 0) return;
  await deleteManyIn(
    db.collection<RejectedRecord>(collections.rejects),
    {},
    '_id',
    dbIds.map((id) => `${tenantId}:${stream}:${id}`),
  );
}
