import type { DeletionReview } from './deletion-guard';

/**
 * The record model: what a sync stores of Xledger's data (records, rejects, a stream's
 * checkpoint), as types. src/store/ keeps them in MongoDB; the pure cores in src/sync/ and the
 * data types build them.
 */

/** A record's fields as mapped from its Xledger node (each data type's toDocument). */
export type DocumentFields = Record<string, unknown>;

export type Visibility = 'owner' | 'client';

/** A synced master-data record as SEMINE reads it. */
export interface StoredRecord {
  _id: string;
  tenantId: string;
  dbId: number;
  /** The Xledger entity the record belongs to: the Entity Owner or one of its clients. */
  entityDbId: number;
  /** owner: shared with every client of the owner; client: visible to that client only. */
  visibility: Visibility;
  contentHash: string;
  syncedAt: Date;
  /** Set when a complete pass no longer found the record in Xledger. */
  deletedAt: Date | null;
  /** Its place in the change feed (store/changes.ts): stamped on every write. */
  changeSeq?: number;
  [field: string]: unknown;
}

export interface RecordToStore {
  dbId: number;
  entityDbId: number;
  visibility: Visibility;
  fields: DocumentFields;
}

/** A node Xledger sent that did not pass its zod schema: kept with the reason, never stored as data. */
export interface RejectedRecord {
  _id: string;
  tenantId: string;
  stream: string;
  dbId: number | null;
  reason: string;
  /**
   * The node as Xledger sent it. Stored as JSON text of at most 16 kB (nodeText): a hostile
   * node's keys (`$gt`, `a.b`) are not valid field names in every store, and one bad record must
   * never stop the page it came in.
   */
  node: unknown;
  rejectedAt: Date;
}

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
