import type { Db } from 'mongodb';
import { boundedBulkWrite, deleteManyIn } from './bounded';
import { collections } from './collections';
import type { RejectedRecord } from '../domain/records';

const MAX_NODE_TEXT = 16_384;

/** A node as bounded JSON text, whatever it holds. */
export function nodeText(node: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(node) ?? String(node);
  } catch {
    text = String(node);
  }
  return text.length > MAX_NODE_TEXT ? `${text.slice(0, MAX_NODE_TEXT)}… (${text.length} characters)` : text;
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
      const replacement = { ...reject, _id, node: nodeText(reject.node) };
      return { replaceOne: { filter: { _id }, replacement, upsert: true } };
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
