import type { Db } from 'mongodb';
import { collections } from './collections';
import { VersionedRegister } from './versioned';

/**
 * A resync asked for by an operator or SEMINE, waiting for the next run of the data type to
 * pick it up. Several requests before that run merge into one (full wins over incremental).
 *
 * A run takes the request by writing its run id into it and marks it served only when it
 * records its result: a planning step retried after taking it gets it again, and a run that
 * dies before finishing leaves it for the next run (runs of one data type never overlap).
 *
 * Each change is the next version of a register per (tenant, data type) (store/versioned.ts),
 * decided by an insert: a request arriving while its run completes either lands before the
 * completion (and the completion, reading again, sees a request not yet taken and leaves it) or
 * after it (a new request). Neither overwrites the other, on FerretDB as on MongoDB.
 */
interface SyncRequest {
  full: boolean;
  /** An operator confirmed that the full pass may apply a mass deletion. */
  allowMassDelete: boolean;
  requestedAt: Date;
  /** The run that took it; null until one does. */
  takenBy: string | null;
  /** Client requests merged into it (src/store/resync-tickets.ts): the run that takes it serves each. */
  requestIds: string[];
  /** The run that took it recorded its result: nothing is pending. */
  served: boolean;
}

/** What a run that takes the request serves. */
export interface TakenSyncRequest {
  full: boolean;
  allowMassDelete?: true;
  requestIds?: string[];
}

const register = (db: Db, tenantId: string, dataType: string) =>
  new VersionedRegister<SyncRequest>(db, collections.syncRequests, tenantId, `${tenantId}:${dataType}`);

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
): Promise<void> {
  const fresh: SyncRequest = {
    full,
    allowMassDelete: full && allowMassDelete,
    requestedAt: now,
    takenBy: null,
    requestIds,
    served: false,
  };
  await register(db, tenantId, dataType).change((current) => {
    const pending = current?.value;
    // Nothing pending, or a request a run has already taken (it is being served): the new one
    // stands alone rather than merging (an incremental request after a full one taken is incremental).
    if (!pending || pending.served || pending.takenBy !== null) return fresh;
    return {
      ...pending,
      requestedAt: now,
      full: pending.full || full,
      // A confirmation is never widened by a later plain request, only given by one.
      allowMassDelete: pending.allowMassDelete || (full && allowMassDelete),
      requestIds: [...new Set([...pending.requestIds, ...requestIds])],
    };
  });
}

/** Takes the pending request, if any, for the run `runId`: that run is the resync. */
export async function takeSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
  runId: string,
): Promise<TakenSyncRequest | null> {
  const { version } = await register(db, tenantId, dataType).change((current) => {
    const pending = current?.value;
    if (!pending || pending.served || pending.takenBy === runId) return undefined;
    return { ...pending, takenBy: runId };
  });
  const taken = version?.value;
  if (!taken || taken.served) return null;
  return {
    full: taken.full,
    ...(taken.full && taken.allowMassDelete ? { allowMassDelete: true } : {}),
    ...(taken.requestIds.length ? { requestIds: taken.requestIds } : {}),
  };
}

/** The run `runId` is done: its request is served (one that came in since stays for the next run). */
export async function completeSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
  runId: string,
): Promise<void> {
  await register(db, tenantId, dataType).change((current) => {
    const pending = current?.value;
    if (!pending || pending.served || pending.takenBy !== runId) return undefined;
    return { ...pending, served: true };
  });
}

/** The request waiting for (or being served by) a run of the data type; null when none is. */
export async function pendingSyncRequest(
  db: Db,
  tenantId: string,
  dataType: string,
): Promise<{ full: boolean; takenBy: string | null } | null> {
  const pending = (await register(db, tenantId, dataType).latest())?.value;
  return pending && !pending.served ? { full: pending.full, takenBy: pending.takenBy } : null;
}
