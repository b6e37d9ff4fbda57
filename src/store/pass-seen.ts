import type { Db } from 'mongodb';
import { collections } from './db';

/**
 * The record ids a full pass has seen, one small document per page, so that deletions can be
 * reconciled after a pass that was interrupted and resumed in another attempt or worker.
 */
interface PassPage {
  _id: string;
  tenantId: string;
  stream: string;
  passId: string;
  dbIds: number[];
}

export async function rememberSeen(
  db: Db,
  tenantId: string,
  stream: string,
  passId: string,
  pageCursor: string | null,
  dbIds: number[],
): Promise<void> {
  const _id = `${tenantId}:${stream}:${passId}:${pageCursor ?? 'start'}`;
  await db
    .collection<PassPage>(collections.passSeen)
    .replaceOne({ _id }, { tenantId, stream, passId, dbIds }, { upsert: true });
}

export async function seenInPass(
  db: Db,
  tenantId: string,
  stream: string,
  passId: string,
): Promise<Set<number>> {
  const seen = new Set<number>();
  const pages = db.collection<PassPage>(collections.passSeen).find({ tenantId, stream, passId });
  for await (const page of pages) for (const id of page.dbIds) seen.add(id);
  return seen;
}

/** Drops the pages of the stream's passes: the one just reconciled and any that never completed. */
export async function forgetPasses(db: Db, tenantId: string, stream: string): Promise<void> {
  await db.collection<PassPage>(collections.passSeen).deleteMany({ tenantId, stream });
}
