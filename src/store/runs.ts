import type { Db } from 'mongodb';
import type { SyncRunSummary } from '../domain/figures';
import { collections } from './collections';

export interface StoredRun extends SyncRunSummary {
  _id: string;
}

/** Run summaries, for the status API; keyed by workflow run id so a retried save is a no-op. */
export async function saveRun(db: Db, run: SyncRunSummary): Promise<void> {
  const _id = `${run.workflowId}:${run.runId}`;
  await db.collection<StoredRun>(collections.runs).replaceOne({ _id }, run, { upsert: true });
}

export async function latestRuns(
  db: Db,
  tenantId: string,
  dataType: string,
  limit = 10,
): Promise<StoredRun[]> {
  return db
    .collection<StoredRun>(collections.runs)
    .find({ tenantId, dataType })
    .sort({ startedAt: -1 })
    .limit(limit)
    .toArray();
}
