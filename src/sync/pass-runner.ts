import type { DeletionReview } from '../domain/deletion-guard';
import type { StreamFigures } from '../domain/figures';
import { startProgress } from '../domain/pass-plan';
import { loadCheckpoint, saveCheckpoint } from '../store/checkpoints';
import { claimPass } from '../store/sync-passes';
import { isDeltaCursorRefused } from '../xledger/deltas';
import type { FilterValues } from '../xledger/filter-fields';
import { resolveLookup } from '../xledger/lookups';
import { loadOwnershipRule } from './entity-tree';
import { decidePassMode, restartsFullOnRefusedCursor, type PassMode } from './pass-mode';
import { StreamPass, type PassRequest, type PassRunnerDeps } from './stream-pass';

/** Reads what the pass has spent in Xledger so far (its earlier attempts' commits and this one). */
export interface PassSpending {
  usage?: () => { requests: number; bytesSent: number; bytesReceived: number };
}

/**
 * One pass over one Xledger stream for one tenant, in the mode it decides when it starts
 * (sync/pass-mode.ts): pages through Xledger, keeps the owner's records (each page classified
 * by sync/classify-page.ts), writes what changed, commits its cursor after each stored page
 * (a retried attempt resumes there), and — after a complete full pass only — marks as deleted
 * what Xledger no longer returns, unless that is a mass deletion (deletion-guard.ts). Every
 * write is fenced on the pass and attempt (store/sync-passes.ts): an attempt Temporal has given
 * up on stops before its next write. `spending` learns what the pass spends as it goes.
 */
export async function runPass(
  deps: PassRunnerDeps,
  request: PassRequest,
  spending: PassSpending,
): Promise<StreamFigures> {
  const { db, client, tenant, log } = deps;
  const { key, stream } = request;
  const checkpoint = await loadCheckpoint(db, key.tenantId, stream.name);
  // The pass's mode is decided here, once; a resumed pass keeps the one in the ledger.
  let decided: PassMode | undefined;
  const claim = await claimPass(db, key, () => {
    decided = decidePassMode({ requested: request.mode, stream, checkpoint, tenant, now: Date.now() });
    return startProgress(decided, checkpoint, deps.overlapMinutes);
  });
  if (claim.kind === 'complete') {
    // An earlier attempt finished the pass (e.g. while Temporal was unreachable): its result
    // stands. Saving its checkpoint again is harmless and covers a death right after completing.
    if (claim.checkpoint) await saveCheckpoint(db, claim.checkpoint);
    log.info({ passId: key.passId }, 'pass already completed by an earlier attempt');
    return claim.result;
  }
  const progress = claim.progress;
  const committed = { ...progress.counts };
  spending.usage = () => ({
    requests: committed.requests + client.usage.requests,
    bytesSent: committed.bytesSent + client.usage.bytesSent,
    bytesReceived: committed.bytesReceived + client.usage.bytesReceived,
  });
  if (claim.resumed) log.info({ after: progress.after, passId: key.passId }, 'resuming pass');
  else log.info({ passId: key.passId, mode: progress.mode, reason: decided?.reason }, 'starting pass');

  const ownership = await loadOwnershipRule(db, client, key.tenantId, tenant.entityOwnerDbId);
  const lookupFilter: FilterValues =
    stream.lookup && (progress.mode === 'full' || !checkpoint.lookupFilter)
      ? await resolveLookup(client, stream.lookup, deps.pageSize)
      : (checkpoint.lookupFilter ?? {});
  const pass = new StreamPass(deps, key, {
    stream,
    request,
    checkpoint,
    progress,
    ownership,
    lookupFilter,
  });

  const keepAlive = setInterval(() => pass.heartbeat(), deps.heartbeatIntervalMs ?? 5_000);
  try {
    let phase: PassPhase = 'reading';
    let deletionReview: DeletionReview | undefined;
    for (;;) {
      switch (phase) {
        case 'reading':
          try {
            await pass.readPages();
          } catch (error) {
            if (!isDeltaCursorRefused(error) || !restartsFullOnRefusedCursor(progress)) throw error;
            log.warn(
              { deltaCursor: progress.deltaCursor },
              'Xledger refused the delta cursor: running a full pass',
            );
            await pass.restartAsFull();
            break; // and read again, whole
          }
          phase = progress.mode === 'full' ? 'reconciling' : 'completing';
          break;
        case 'reconciling':
          deletionReview = await pass.reconcile();
          phase = 'completing';
          break;
        case 'completing':
          return await pass.complete(deletionReview);
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Where a claimed pass stands: reading pages (again, whole, when Xledger refuses the delta
 * cursor on the first request), then — full passes only — reconciling deletions, then
 * completing (figures, checkpoint).
 */
type PassPhase = 'reading' | 'reconciling' | 'completing';
