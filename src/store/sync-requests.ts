import type { Db } from 'mongodb';

/**
 * A resync asked for by an operator or SEMINE, waiting for the next run of the data type to
 * pick it up. Several requests before that run merge into one (full wins over incremental).
 */
interface SyncRequest {
  _id: string;
  tenantId: string;
  dataType: string;
  full: boolean;
  requestedAt: Date;
}

const COLLECTION = 'sync_requests';
const requestId = (tenantId: string, dataType: string) => `${tenantId}:${dataType}`;

export async function requestSync(
  db: Db,
  tenantId: string,
  dataType: string,
  full: boolean,
  now = new Date(),
) {
  await db
    .collection<SyncRequest>(COLLECTION)
    .updateOne(
      { _id: requestId(tenantId, dataType) },
      full
        ? { $set: { tenantId, dataType, requestedAt: now, full: true } }
        : { $set: { tenantId, dataType, requestedAt: now }, $setOnInsert: { full: false } },
      { upsert: true },
    );
}

/** Takes the pending request, if any: the run that takes it is the resync. */
export async function takeSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
): Promise<{ full: boolean } | null> {
  const found = await db
    .collection<SyncRequest>(COLLECTION)
    .findOneAndDelete({ _id: requestId(tenantId, dataType) });
  return found ? { full: found.full } : null;
}
