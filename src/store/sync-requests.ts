import type { Db } from 'mongodb';
import { collections } from './collections';

/**
 * A resync asked for by an operator or SEMINE, waiting for the next run of the data type to
 * pick it up. Several requests before that run merge into one (full wins over incremental).
 *
 * A run takes the request by writing its run id into it and removes it only when it records
 * its result: a planning step retried after taking it gets it again, and a run that dies
 * before finishing leaves it for the next run (runs of one data type never overlap).
 */
interface SyncRequest {
  _id: string;
  tenantId: string;
  dataType: string;
  full: boolean;
  /** An operator confirmed that the full pass may apply a mass deletion. */
  allowMassDelete?: boolean;
  requestedAt: Date;
  /** The run that took it; null until one does, and again when a new request comes in. */
  takenBy: string | null;
  /** Client requests merged into it (src/store/resync-tickets.ts): the run that takes it serves each. */
  requestIds?: string[];
}

const requestId = (tenantId: string, dataType: string) => `${tenantId}:${dataType}`;

export async function requestSync(
  db: Db,
  tenantId: string,
  dataType: string,
  {
    full,
    allowMassDelete = false,
    requestIds = [],
  }: { full: boolean; allowMassDelete?: boolean; requestIds?: string[] },
  now = new Date(),
) {
  const requests = db.collection<SyncRequest>(collections.syncRequests);
  const merged = requestIds.length > 0 ? { $addToSet: { requestIds: { $each: requestIds } } } : {};
  // A request a run has already taken is being served: the new one replaces it rather than
  // merging with it (an incremental request after a full one taken is incremental).
  const replaced = await requests.updateOne(
    { _id: requestId(tenantId, dataType), takenBy: { $ne: null } },
    { $set: { tenantId, dataType, requestedAt: now, full, allowMassDelete, takenBy: null, requestIds } },
  );
  if (replaced.matchedCount === 1) return;
  await requests.updateOne(
    { _id: requestId(tenantId, dataType) },
    full
      ? {
          $set: {
            tenantId,
            dataType,
            requestedAt: now,
            full: true,
            takenBy: null,
            // A confirmation is never widened by a later plain request, only given by one.
            ...(allowMassDelete ? { allowMassDelete: true } : {}),
          },
          ...merged,
        }
      : {
          $set: { tenantId, dataType, requestedAt: now, takenBy: null },
          $setOnInsert: { full: false },
          ...merged,
        },
    { upsert: true },
  );
}

/** Takes the pending request, if any, for the run `runId`: that run is the resync. */
export async function takeSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
  runId: string,
): Promise<{ full: boolean; allowMassDelete?: true; requestIds?: string[] } | null> {
  const taken = await db
    .collection<SyncRequest>(collections.syncRequests)
    .findOneAndUpdate(
      { _id: requestId(tenantId, dataType) },
      { $set: { takenBy: runId } },
      { returnDocument: 'after' },
    );
  if (!taken) return null;
  return {
    full: taken.full,
    ...(taken.full && taken.allowMassDelete === true ? { allowMassDelete: true } : {}),
    ...(taken.requestIds?.length ? { requestIds: taken.requestIds } : {}),
  };
}

/** The run `runId` is done: its request is served (one that came in since stays for the next run). */
export async function completeSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
  runId: string,
): Promise<void> {
  await db
    .collection<SyncRequest>(collections.syncRequests)
    .deleteOne({ _id: requestId(tenantId, dataType), takenBy: runId });
}
