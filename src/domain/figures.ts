/**
 * The figures of a sync run. Plain types and pure functions only: workflows import this file.
 */
import type { DeletionReview } from './deletion-guard';

export type SyncMode = 'incremental' | 'full';

/** auth: the token was refused; scope: it lacks a scope; credits: Xledger's hourly credits stayed spent through every retry. */
export type SyncFailureKind = 'auth' | 'scope' | 'credits' | 'exhausted_retries';
/**
 * Why a pass asked to be incremental ran full: its delta cursor was older than Xledger keeps
 * deltas (or Xledger refused it), or it had none yet (e.g. a stream that just gained a delta
 * query). Only a full pass can then notice every deletion.
 */
export type SyncFallback = 'delta_cursor_expired' | 'delta_cursor_missing';
export type SyncTrigger = 'schedule' | 'resync' | 'manual';

export interface Counts {
  /** Nodes Xledger returned. */
  fetched: number;
  /** Nodes that belong to the tenant's owner or its clients. */
  kept: number;
  /** Nodes of other owners, dropped. */
  filteredOut: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Records marked deleted (after a complete pass, or from Xledger's deltas). */
  deleted: number;
  /** Nodes that failed validation, stored in the rejects collection. */
  rejected: number;
  pages: number;
  /** Xledger requests made and bytes moved: what the run cost the customer. */
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface StreamFigures extends Counts {
  stream: string;
  mode: SyncMode;
  durationMs: number;
  /** Set when the pass ran full instead of incremental, and why. */
  fallback?: SyncFallback;
  /**
   * Records that looked deleted (unseen by a full pass, or DELETED in a delta) but that Xledger
   * still returned when asked for them by id: kept. Absent when none.
   */
  confirmedAlive?: number;
  /** Set when a pass held back its deletions for an operator (see deletion-guard.ts). */
  deletionReview?: DeletionReview;
}

export interface LinkFigures {
  link: string;
  /** Documents whose derived fields changed. */
  updated: number;
  /** Records whose link could not be resolved (e.g. a project manager without email). */
  unresolved: number;
}

export interface SyncRunSummary {
  tenantId: string;
  dataType: string;
  workflowId: string;
  runId: string;
  trigger: SyncTrigger;
  /**
   * needs_review: a full pass held back a mass deletion until an operator confirms it; failed: the
   * run gave up (stored by recordFailedRun; its figures are what it spent and stored until then).
   */
  status: 'completed' | 'skipped' | 'needs_review' | 'failed';
  /** Why a run was skipped (e.g. the data type is not enabled, or the tenant needs attention). */
  reason?: string;
  /** Why a failed run failed: auth, scope, credits or exhausted_retries, and the message. */
  failure?: { kind: SyncFailureKind; message: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  totals: Counts;
  streams: StreamFigures[];
  link?: LinkFigures;
}

export function emptyCounts(): Counts {
  return {
    fetched: 0,
    kept: 0,
    filteredOut: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    rejected: 0,
    pages: 0,
    requests: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
}

export function addCounts(total: Counts, more: Counts): Counts {
  const sum = { ...total };
  for (const key of Object.keys(sum) as Array<keyof Counts>) sum[key] += more[key];
  return sum;
}
