import type { DeletionReview } from './deletion-guard';
import { shiftWallClock } from './cet';
import { emptyCounts, type Counts, type SyncFallback, type SyncMode } from './figures';
import type { StreamCheckpoint } from './records';

/**
 * The plan of one pass over one stream, pure: where a new pass starts from the stream's
 * checkpoint, what its progress records as it goes, and the checkpoint it leaves. The pass
 * runner (src/sync/pass-runner.ts) does the I/O around it; the pass ledger
 * (src/store/sync-passes.ts) commits the progress after each stored page.
 */

/** Where a pass stands; committed after each stored page. */
export interface PassProgress {
  mode: SyncMode;
  /** `modifiedAt_gte` of an incremental pass, fixed for the whole pass. */
  since: string | null;
  /** Cursor after the last stored page. */
  after: string | null;
  maxModifiedAt: string | null;
  /** Streams with a delta query: where the next delta read starts, and whether this pass read them. */
  deltaCursor: string | null;
  deltasRead: boolean;
  /** Set when the pass runs full instead of incremental (its delta cursor could not be used). */
  fallback?: SyncFallback;
  counts: Counts;
  startedAt: number;
  /** Records that looked deleted but Xledger still returned by id (sync/confirm-deletions.ts). */
  confirmedAlive?: number;
  /** Deletions this pass's deltas brought and held for an operator (domain/deletion-guard.ts). */
  deletionReview?: DeletionReview;
}

/** What a pass decided when it started (src/sync/pass-mode.ts). */
export interface DecidedMode {
  mode: SyncMode;
  fallback?: SyncFallback;
}

/** Xledger's sample subtracts 15 minutes from the high-water mark of incremental reads. */
export const DEFAULT_OVERLAP_MINUTES = 15;

/** A new pass in the mode decided for it (pass-mode.ts), from the stream's checkpoint. */
export function startProgress(
  decided: DecidedMode,
  checkpoint: StreamCheckpoint,
  overlapMinutes = DEFAULT_OVERLAP_MINUTES,
): PassProgress {
  return {
    mode: decided.mode,
    since:
      decided.mode === 'incremental' && checkpoint.highWaterMark
        ? shiftWallClock(checkpoint.highWaterMark, -overlapMinutes)
        : null,
    after: null,
    maxModifiedAt: checkpoint.highWaterMark,
    deltaCursor: checkpoint.deltaCursor,
    deltasRead: false,
    ...(decided.fallback ? { fallback: decided.fallback } : {}),
    counts: emptyCounts(),
    startedAt: Date.now(),
  };
}

export function nextCheckpoint(
  checkpoint: StreamCheckpoint,
  progress: PassProgress,
  lookupFilter: Record<string, unknown>,
  deletionReview: DeletionReview | undefined,
  now: Date,
): StreamCheckpoint {
  return {
    ...checkpoint,
    // Advanced only now: pages come in dbId order, so a mark taken mid-pass could skip records.
    highWaterMark: progress.maxModifiedAt,
    // Saved only now, with the pass complete: a failed pass reads the same deltas again.
    deltaCursor: progress.deltaCursor,
    // Read no earlier than the pass started: how long Xledger will still know it counts from there.
    deltaCursorAt: progress.deltasRead ? new Date(progress.startedAt) : (checkpoint.deltaCursorAt ?? null),
    lookupFilter,
    lastPassAt: now,
    // A full pass settles the review either way: it applied its deletions, or holds new ones. An
    // incremental pass only adds one (its deltas' deletions held): the next full pass settles it.
    ...(progress.mode === 'full'
      ? { lastFullPassAt: now, deletionReview: deletionReview ?? null }
      : deletionReview
        ? { deletionReview }
        : {}),
  };
}

/** What deciding on deletions left for the pass's figures: records confirmed alive, a held review. */
export function noteDeletionOutcome(
  progress: PassProgress,
  outcome: { confirmedAlive: number; review?: DeletionReview },
): void {
  if (outcome.confirmedAlive > 0)
    progress.confirmedAlive = (progress.confirmedAlive ?? 0) + outcome.confirmedAlive;
  if (outcome.review) progress.deletionReview = outcome.review;
}
