/**
 * Whether a pass over a stream reads it incrementally or whole: decided here, once, when the
 * pass starts (src/sync/pass-runner.ts). Pure: the caller brings the facts.
 *
 * A run only asks (`requested`): `auto` from a schedule, `full` from an operator or a resync
 * request, `incremental` on demand. What the stream and its checkpoint allow decides the rest.
 * The decision is kept in the pass ledger (src/store/sync-passes.ts), so a retried attempt
 * resumes the pass in the mode its first attempt decided, whatever the checkpoint says by then.
 * The figures report the mode the pass ran (`StreamFigures.mode`), and a delta fallback as such.
 */
import type { StreamDefinition } from '../datatypes/stream';
import type { TenantSettings } from '../domain/tenant';
import { deltaCursorFallback } from '../xledger/deltas';
import type { SyncFallback, SyncMode } from '../domain/figures';
import type { StreamCheckpoint } from '../domain/records';

/** What a run asks of its passes; `auto`: full when the tenant's full-pass interval has passed. */
export type RequestedMode = SyncMode | 'auto';

export interface PassModeFacts {
  requested: RequestedMode;
  stream: Pick<StreamDefinition, 'changeCursor' | 'deltas'>;
  checkpoint: Pick<StreamCheckpoint, 'highWaterMark' | 'lastFullPassAt' | 'deltaCursorAt'>;
  tenant: Pick<TenantSettings, 'fullPassIntervalHours'>;
  /** Epoch ms: when the pass starts. */
  now: number;
}

/** Why a pass runs in its mode (logged when it starts; the delta ones also reach the figures). */
export type PassModeReason =
  /** An operator, or a resync request, asked for a full pass. */
  | 'full_requested'
  /** The stream was never read whole: there is nothing to be incremental from. */
  | 'never_read_whole'
  /** `auto`, and the tenant's full-pass interval has passed since the last full pass. */
  | 'full_pass_due'
  /** Xledger has no change filter for the stream: it can only be read whole. */
  | 'no_change_cursor'
  /** No record of the stream carried a `modifiedAt` yet: nothing to filter from. */
  | 'no_high_water_mark'
  /** The stored delta cursor is missing or older than Xledger keeps deltas. */
  | SyncFallback
  | 'incremental';

export interface PassMode {
  mode: SyncMode;
  reason: PassModeReason;
  /** Set when a pass that could otherwise be incremental runs full for want of a usable delta cursor. */
  fallback?: SyncFallback;
}

/** The mode of a new pass. Checked in this order; only the delta cursor makes a fallback. */
export function decidePassMode({ requested, stream, checkpoint, tenant, now }: PassModeFacts): PassMode {
  if (requested === 'full') return full('full_requested');
  if (!checkpoint.lastFullPassAt) return full('never_read_whole');
  if (
    requested === 'auto' &&
    checkpoint.lastFullPassAt.getTime() <= now - tenant.fullPassIntervalHours * 3_600_000
  ) {
    return full('full_pass_due');
  }
  if (stream.changeCursor === null) return full('no_change_cursor');
  if (checkpoint.highWaterMark === null) return full('no_high_water_mark');
  // Deletions of a stream with a delta query show only there: without a cursor Xledger still
  // knows, only a full pass would notice every deletion.
  const fallback = stream.deltas ? deltaCursorFallback(checkpoint.deltaCursorAt, now) : null;
  if (fallback) return { mode: 'full', reason: fallback, fallback };
  return { mode: 'incremental', reason: 'incremental' };
}

/** What the run asks of its passes: a taken resync request for a full pass overrides the run's input. */
export function requestedMode(input: RequestedMode, resync: { full: boolean } | null): RequestedMode {
  return resync?.full ? 'full' : input;
}

/**
 * The one change of mode after a pass has started: Xledger refused the stored delta cursor
 * (e.g. it no longer keeps the deltas after it). Deltas ride on the pass's first request, so an
 * incremental pass that has stored nothing yet restarts as a full pass, reported as
 * `delta_cursor_expired`. Any other pass lets the refusal fail it.
 */
export function restartsFullOnRefusedCursor(progress: {
  mode: SyncMode;
  after: string | null;
  deltasRead: boolean;
}): boolean {
  return progress.mode === 'incremental' && progress.after === null && !progress.deltasRead;
}

function full(reason: PassModeReason): PassMode {
  return { mode: 'full', reason };
}
