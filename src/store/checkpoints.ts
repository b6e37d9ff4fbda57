import type { Db } from 'mongodb';
import type { DeletionReview } from '../domain/deletion-guard';
import { collections } from './collections';

/** Where a (tenant, stream) stands between runs. */
export interface StreamCheckpoint {
  _id: string;
  tenantId: string;
  stream: string;
  /** Highest Xledger `modifiedAt` stored so far (CET wall clock), or null before the first read. */
  highWaterMark: string | null;
  /** Cursor of the last delta read, for streams whose deletions come from a delta query. */
  deltaCursor: string | null;
  /**
   * When that cursor was read (no later than the pass that read it started): Xledger keeps
   * deltas for about 3 days, so an older cursor can no longer be trusted. Absent on checkpoints
   * written before it was kept.
   */
  deltaCursorAt?: Date | null;
  /** A looked-up filter (e.g. the TAX_RULE kind ids), refreshed on full passes. */
  lookupFilter: Record<string, unknown> | null;
  lastFullPassAt: Date | null;
  lastPassAt: Date | null;
  /** Deletions the last full pass held back for an operator; null once a full pass applies them. */
  deletionReview?: DeletionReview | null;
}

const checkpointId = (tenantId: string, stream: string) => `${tenantId}:${stream}`;

export async function loadCheckpoint(db: Db, tenantId: string, stream: string): Promise<StreamCheckpoint> {
  const found = await db
    .collection<StreamCheckpoint>(collections.checkpoints)
    .findOne({ _id: checkpointId(tenantId, stream) });
  return (
    found ?? {
      _id: checkpointId(tenantId, stream),
      tenantId,
      stream,
      highWaterMark: null,
      deltaCursor: null,
      deltaCursorAt: null,
      lookupFilter: null,
      lastFullPassAt: null,
      lastPassAt: null,
    }
  );
}

export async function saveCheckpoint(db: Db, checkpoint: StreamCheckpoint): Promise<void> {
  const { _id, ...fields } = checkpoint;
  await db
    .collection<StreamCheckpoint>(collections.checkpoints)
    .updateOne({ _id }, { $set: fields }, { upsert: true });
}
