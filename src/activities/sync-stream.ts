import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { getStream } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';
import { loadCheckpoint, saveCheckpoint, type StreamCheckpoint } from '../store/checkpoints';
import {
  markDeleted,
  recordId,
  recordsCollection,
  StoredState,
  upsertRecords,
  type RecordToStore,
} from '../store/records';
import { clearRejects, saveRejects, type RejectedRecord } from '../store/rejects';
import {
  assertCurrent,
  beginReconciliation,
  claimPass,
  commitProgress,
  completePass,
  rememberPage,
  seenInCompletePass,
  type PassKey,
  type PassProgress,
} from '../store/sync-passes';
import { DEFAULT_MAX_DELETION_SHARE, deletionVerdict, type DeletionReview } from '../sync/deletion-guard';
import { emptyCounts, type Counts, type StreamFigures, type SyncMode } from '../sync/figures';
import { compareWallClock, shiftWallClock } from '../xledger/cet';
import {
  deltaCursorFallback,
  isDeltaCursorRefused,
  newestDeltaCursor,
  readDeltas,
  type DeltaRead,
} from '../xledger/deltas';
import { resolveLookup } from '../xledger/lookups';
import { streamFilter, streamPages, type DeltaCompanion, type FilterValues } from '../xledger/operations';
import { paginate } from '../xledger/paginate';
import { tenantXledger, type ActivityDeps } from './deps';
import { loadOwnershipRule } from './ownership';

export interface SyncStreamInput {
  tenantId: string;
  dataType: string;
  stream: string;
  mode: SyncMode;
  /** An operator confirmed that this full pass may mark a large share of records deleted. */
  allowMassDelete?: boolean;
}

const DEFAULT_OVERLAP_MINUTES = 15;

/**
 * One pass over one Xledger stream for one tenant: pages through Xledger, keeps the owner's
 * records, writes what changed, commits its cursor after each stored page (a retried attempt
 * resumes there), and — after a complete full pass only — marks as deleted what Xledger no
 * longer returns, unless that is a mass deletion (deletion-guard.ts). Every write is fenced
 * on the pass and attempt (store/sync-passes.ts): an attempt Temporal has given up on stops
 * before its next write. Nothing but figures goes back to the workflow.
 */
export function createSyncStream(deps: ActivityDeps) {
  // Its errors (Xledger's, a superseded or incomplete pass) become failures in cast-known-errors.ts.
  return async function syncStream(input: SyncStreamInput): Promise<StreamFigures> {
    return runPass(deps, getStream(input.stream), input);
  };
}

async function runPass(
  deps: ActivityDeps,
  stream: StreamDefinition,
  input: SyncStreamInput,
): Promise<StreamFigures> {
  const context = Context.current();
  const { db } = deps;
  const { workflowExecution, activityId, attempt } = context.info;
  const key: PassKey = {
    tenantId: input.tenantId,
    stream: stream.name,
    // The same for every attempt of this activity, and new for every run.
    passId: `${workflowExecution?.runId ?? 'standalone'}:${activityId}`,
    attempt,
  };
  const log = deps.logger.child({ tenantId: input.tenantId, stream: stream.name, attempt });
  const { tenant, client } = await tenantXledger(deps, input.tenantId);
  const checkpoint = await loadCheckpoint(db, input.tenantId, stream.name);
  const claim = await claimPass(db, key, () => startProgress(input, stream, checkpoint, deps.overlapMinutes));
  if (claim.kind === 'complete') {
    // An earlier attempt finished the pass (e.g. while Temporal was unreachable): its result
    // stands. Saving its checkpoint again is harmless and covers a death right after completing.
    if (claim.checkpoint) await saveCheckpoint(db, claim.checkpoint);
    log.info({ passId: key.passId }, 'pass already completed by an earlier attempt');
    return claim.result;
  }
  const progress = claim.progress;
  if (claim.resumed) log.info({ after: progress.after, passId: key.passId }, 'resuming pass');

  const ownership = await loadOwnershipRule(db, client, input.tenantId, tenant.entityOwnerDbId);
  const lookupFilter: FilterValues =
    stream.lookup && (progress.mode === 'full' || !checkpoint.lookupFilter)
      ? await resolveLookup(client, stream.lookup, deps.pageSize)
      : (checkpoint.lookupFilter ?? {});
  const collection = recordsCollection(db, stream.collection);
  let stored: StoredState | undefined;
  let refreshedEntities = false;
  const now = () => new Date();
  /** Stops before a write once Temporal has cancelled the attempt or another holds the pass. */
  const fence = async () => {
    context.cancellationSignal.throwIfAborted();
    await assertCurrent(db, key);
  };

  // `progress` is what has been stored: it changes only once a page is written, so that a
  // heartbeat sent while a page is in flight never claims work that a retry would redo.
  // Usage is the exception: requests made are spent, whether or not their page was stored.
  const usageBefore = { ...progress.counts };
  const syncUsage = () => {
    progress.counts.requests = usageBefore.requests + client.usage.requests;
    progress.counts.bytesSent = usageBefore.bytesSent + client.usage.bytesSent;
    progress.counts.bytesReceived = usageBefore.bytesReceived + client.usage.bytesReceived;
  };
  const heartbeat = () => {
    syncUsage();
    // For operators (the Web UI shows it) and liveness; resumption reads the pass ledger.
    context.heartbeat({ passId: key.passId, ...progress });
  };
  const keepAlive = setInterval(heartbeat, deps.heartbeatIntervalMs ?? 5_000);
  // A full pass needs every stored id (deletions); an incremental one only those its pages bring.
  const loadStored = async () =>
    (stored ??=
      progress.mode === 'full'
        ? await StoredState.load(collection, input.tenantId)
        : StoredState.partial(collection, input.tenantId));
  /**
   * Reads the pass's pages from where it stands and stores them. Deltas ride along with the
   * first page this pass requests, until a page with them is stored: a full pass asks for the
   * newest cursor only (`last: 1`), an incremental one for the deltas after its cursor.
   */
  const readPages = async () => {
    const deltaField = stream.deltas && !progress.deltasRead ? stream.deltas : undefined;
    const companion: DeltaCompanion | undefined = !deltaField
      ? undefined
      : progress.mode === 'full'
        ? { read: 'newest' }
        : { read: 'after', after: progress.deltaCursor };
    const request = streamPages(stream, streamFilter(stream, lookupFilter, progress.since), companion);
    for await (const page of paginate<unknown>(client, request, {
      pageSize: deps.pageSize,
      after: progress.after,
    })) {
      const counts = emptyCounts();
      counts.pages = 1;
      counts.fetched = page.nodes.length;
      let maxModifiedAt = progress.maxModifiedAt;
      const records: RecordToStore[] = [];
      const rejects: Omit<RejectedRecord, '_id'>[] = [];
      const accepted: number[] = [];
      /** Ids Xledger still returns for this tenant (kept or rejected): not deleted. */
      const present: number[] = [];
      const seen = new Set<number>();
      for (const raw of page.nodes) {
        const parsed = stream.node.safeParse(raw);
        if (!parsed.success) {
          const reject = rejectOf(input.tenantId, stream.name, raw, parsed.error.issues, now());
          const rawOwner = ownerOf(raw);
          if (rawOwner !== null) {
            if (!refreshedEntities && ownership.current.isUnknownEntity(rawOwner)) {
              await ownership.refresh();
              refreshedEntities = true;
            }
            // Another owner's record never lands, not even as a reject.
            if (!ownership.current.classify(rawOwner)) {
              counts.filteredOut += 1;
              continue;
            }
          }
          rejects.push(reject);
          if (reject.dbId !== null) present.push(reject.dbId);
          continue;
        }
        const node = parsed.data;
        if (seen.has(node.dbId)) continue;
        seen.add(node.dbId);
        accepted.push(node.dbId);
        const modifiedAt = (node as { modifiedAt?: string | null }).modifiedAt;
        if (modifiedAt && (!maxModifiedAt || compareWallClock(modifiedAt, maxModifiedAt) > 0)) {
          maxModifiedAt = modifiedAt;
        }
        if (!refreshedEntities && ownership.current.isUnknownEntity(node.ownerDbId)) {
          // A record of an entity we have not seen: a client may have been added since the last read.
          await ownership.refresh();
          refreshedEntities = true;
        }
        const owner = ownership.current.classify(node.ownerDbId);
        if (!owner) {
          counts.filteredOut += 1;
          continue;
        }
        counts.kept += 1;
        present.push(node.dbId);
        records.push({ dbId: node.dbId, ...owner, fields: stream.toDocument(node) });
      }
      counts.rejected = rejects.length;
      await fence();
      await saveRejects(db, rejects);
      await clearRejects(db, input.tenantId, stream.name, accepted);
      if (records.length > 0) {
        const written = await upsertRecords(collection, input.tenantId, records, await loadStored(), now());
        counts.inserted = written.inserted;
        counts.updated = written.updated;
        counts.unchanged = written.unchanged;
      }
      if (progress.mode === 'full') {
        await rememberPage(db, key, progress.after, page.endCursor, present);
      }
      if (deltaField && 'companion' in page) {
        const deltas: DeltaRead =
          companion?.read === 'newest'
            ? newestDeltaCursor(page.companion)
            : await readDeltas(client, deltaField, progress.deltaCursor, page.companion);
        await fence();
        counts.deleted = await markDeletedFromDeltas(
          collection,
          input.tenantId,
          deltas.deletedDbIds,
          loadStored,
          now(),
        );
        progress.deltaCursor = deltas.cursor;
        progress.deltasRead = true;
      }
      // The page is stored: commit it to the pass's progress (refused for a zombie).
      for (const k of Object.keys(counts) as Array<keyof Counts>) progress.counts[k] += counts[k];
      progress.maxModifiedAt = maxModifiedAt;
      progress.after = page.endCursor;
      syncUsage();
      await commitProgress(db, key, progress);
      heartbeat();
    }
  };

  try {
    try {
      await readPages();
    } catch (error) {
      // Xledger no longer knows the stored delta cursor (deltas are kept about 3 days): only a
      // full pass can notice every deletion since. Deltas ride on the first request, so
      // nothing of this pass is stored yet: it restarts as a full pass, and says so.
      if (
        !isDeltaCursorRefused(error) ||
        progress.mode !== 'incremental' ||
        progress.after !== null ||
        progress.deltasRead
      ) {
        throw error;
      }
      log.warn(
        { deltaCursor: progress.deltaCursor },
        'Xledger refused the delta cursor: running a full pass',
      );
      Object.assign(progress, {
        mode: 'full',
        since: null,
        deltaCursor: null,
        fallback: 'delta_cursor_expired',
      } satisfies Partial<PassProgress>);
      stored = undefined;
      await fence();
      syncUsage();
      await commitProgress(db, key, progress);
      await readPages();
    }

    let deletionReview: DeletionReview | undefined;
    if (progress.mode === 'full') {
      context.cancellationSignal.throwIfAborted();
      await beginReconciliation(db, key);
      const outcome = await reconcileDeletions(db, key, progress.after, await loadStored(), {
        maxShare: tenant.maxDeletionShare ?? DEFAULT_MAX_DELETION_SHARE,
        allowMassDelete: input.allowMassDelete === true,
        now: now(),
      });
      if ('review' in outcome) {
        deletionReview = outcome.review;
        log.warn({ review: deletionReview }, 'full pass held back a mass deletion for an operator');
      } else progress.counts.deleted += outcome.deleted;
    }
    syncUsage();
    const figures: StreamFigures = {
      stream: stream.name,
      mode: progress.mode,
      ...progress.counts,
      durationMs: Date.now() - progress.startedAt,
      ...(progress.fallback ? { fallback: progress.fallback } : {}),
      ...(deletionReview ? { deletionReview } : {}),
    };
    const next = nextCheckpoint(checkpoint, progress, lookupFilter, deletionReview, now());
    await completePass(db, key, figures, next);
    await saveCheckpoint(db, next);
    log.info({ figures }, 'pass complete');
    return figures;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * A new pass: incremental from the high-water mark where the stream has one, else full. A
 * stream whose deletions come from a delta query runs full when its stored delta cursor is
 * older than Xledger keeps deltas, or missing: only a full pass would notice every deletion.
 */
function startProgress(
  input: SyncStreamInput,
  stream: StreamDefinition,
  checkpoint: StreamCheckpoint,
  overlapMinutes = DEFAULT_OVERLAP_MINUTES,
): PassProgress {
  // Streams without a change cursor, and a stream never read, can only be read whole.
  let mode: SyncMode =
    input.mode === 'full' ||
    stream.changeCursor === null ||
    checkpoint.highWaterMark === null ||
    !checkpoint.lastFullPassAt
      ? 'full'
      : 'incremental';
  const fallback =
    mode === 'incremental' && stream.deltas
      ? deltaCursorFallback(checkpoint.deltaCursorAt, Date.now())
      : null;
  if (fallback) mode = 'full';
  return {
    mode,
    since:
      mode === 'incremental' && checkpoint.highWaterMark
        ? shiftWallClock(checkpoint.highWaterMark, -overlapMinutes)
        : null,
    after: null,
    maxModifiedAt: checkpoint.highWaterMark,
    deltaCursor: checkpoint.deltaCursor,
    deltasRead: false,
    ...(fallback ? { fallback } : {}),
    counts: emptyCounts(),
    startedAt: Date.now(),
  };
}

/**
 * After a complete full pass: every stored live record that the pass did not see is gone in
 * Xledger — unless that many deletions need an operator's review first. The seen ids come
 * from the pass ledger, so they include every page of the pass, whichever attempt stored it.
 */
async function reconcileDeletions(
  db: Db,
  key: PassKey,
  end: string | null,
  stored: StoredState,
  guard: { maxShare: number; allowMassDelete: boolean; now: Date },
): Promise<{ deleted: number } | { review: DeletionReview }> {
  const seen = await seenInCompletePass(db, key, end);
  const live = stored.liveIds();
  const prefix = key.tenantId.length + 1;
  const missing = live.filter((id) => !seen.has(Number(id.slice(prefix))));
  const verdict = deletionVerdict({ live: live.length, wouldDelete: missing.length, ...guard });
  if (!verdict.apply) return { review: verdict.review };
  const collection = recordsCollection(db, getStream(key.stream).collection);
  const deleted = await markDeleted(collection, key.tenantId, missing, guard.now);
  for (const id of missing) stored.markDeleted(id);
  return { deleted };
}

function nextCheckpoint(
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
    // A full pass settles the review either way: it applied its deletions, or holds new ones.
    ...(progress.mode === 'full' ? { lastFullPassAt: now, deletionReview: deletionReview ?? null } : {}),
  };
}

/** Marks the stored live records that Xledger's deltas report as DELETED. */
async function markDeletedFromDeltas(
  collection: ReturnType<typeof recordsCollection>,
  tenantId: string,
  deletedDbIds: number[],
  loadStored: () => Promise<StoredState>,
  now: Date,
): Promise<number> {
  if (deletedDbIds.length === 0) return 0;
  const stored = await loadStored();
  const candidates = deletedDbIds.map((dbId) => recordId(tenantId, dbId));
  await stored.ensure(candidates);
  const ids = candidates.filter((id) => {
    const entry = stored.get(id);
    return entry !== undefined && !entry.deleted;
  });
  const deleted = await markDeleted(collection, tenantId, ids, now);
  for (const id of ids) stored.markDeleted(id);
  return deleted;
}

/** The owner of a node that failed validation, when it can still be read. */
function ownerOf(raw: unknown): number | null {
  const value = (raw as { ownerDbId?: unknown } | null)?.ownerDbId;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

function rejectOf(
  tenantId: string,
  stream: string,
  raw: unknown,
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  rejectedAt: Date,
): Omit<RejectedRecord, '_id'> {
  const rawId = (raw as { dbId?: unknown } | null)?.dbId;
  const dbId =
    typeof rawId === 'number'
      ? rawId
      : typeof rawId === 'string' && /^\d+$/.test(rawId)
        ? Number(rawId)
        : null;
  const reason = issues
    .map((issue) => `${issue.path.map(String).join('.') || '(node)'}: ${issue.message}`)
    .join('; ');
  return { tenantId, stream, dbId, reason, node: raw, rejectedAt };
}
