import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { getStream } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';
import { loadCheckpoint, saveCheckpoint, type StreamCheckpoint } from '../store/checkpoints';
import { forgetPasses, rememberSeen, seenInPass } from '../store/pass-seen';
import {
  markDeleted,
  recordId,
  recordsCollection,
  StoredState,
  upsertRecords,
  type RecordToStore,
} from '../store/records';
import { clearRejects, saveRejects, type RejectedRecord } from '../store/rejects';
import { emptyCounts, type Counts, type StreamFigures, type SyncMode } from '../sync/figures';
import { compareWallClock, shiftWallClock } from '../xledger/cet';
import { deltaCompanion, readDeltas } from '../xledger/deltas';
import { paginate, type ConnectionQuery } from '../xledger/paginate';
import { tenantXledger, type ActivityDeps } from './deps';
import { toFailure } from './failures';
import { loadOwnershipRule } from './ownership';

export interface SyncStreamInput {
  tenantId: string;
  dataType: string;
  stream: string;
  mode: SyncMode;
}

/** Heartbeat details: enough to resume a pass where the last stored page ended. Small by design. */
interface PassProgress {
  passId: string;
  mode: SyncMode;
  /** `modifiedAt_gte` of an incremental pass, fixed for the whole pass. */
  since: string | null;
  after: string | null;
  maxModifiedAt: string | null;
  /** Streams with a delta query: where the next delta read starts, and whether this pass read them. */
  deltaCursor: string | null;
  deltasRead: boolean;
  counts: Counts;
  startedAt: number;
}

const DEFAULT_OVERLAP_MINUTES = 15;

/**
 * One pass over one Xledger stream for one tenant: pages through Xledger, keeps the owner's
 * records, writes what changed, heartbeats its cursor after each stored page (a retried
 * attempt resumes there), and — after a complete full pass only — marks as deleted what
 * Xledger no longer returns. Nothing but figures goes back to the workflow.
 */
export function createSyncStream(deps: ActivityDeps) {
  return async function syncStream(input: SyncStreamInput): Promise<StreamFigures> {
    const stream = getStream(input.stream);
    try {
      return await runPass(deps, stream, input);
    } catch (error) {
      throw toFailure(error, { tenantId: input.tenantId, dataType: input.dataType, scope: stream.scope });
    }
  };
}

async function runPass(
  deps: ActivityDeps,
  stream: StreamDefinition,
  input: SyncStreamInput,
): Promise<StreamFigures> {
  const context = Context.current();
  const { db } = deps;
  const log = deps.logger.child({ tenantId: input.tenantId, stream: stream.name });
  const { tenant, client } = await tenantXledger(deps, input.tenantId);
  const checkpoint = await loadCheckpoint(db, input.tenantId, stream.name);
  const progress = resumeOrStart(
    context.info.heartbeatDetails,
    input,
    stream,
    checkpoint,
    deps.overlapMinutes,
  );
  if (progress.after)
    log.info({ after: progress.after, passId: progress.passId }, 'resuming pass from heartbeat');

  const ownership = await loadOwnershipRule(db, client, input.tenantId, tenant.entityOwnerDbId);
  const lookupFilter =
    stream.lookupFilter && (progress.mode === 'full' || !checkpoint.lookupFilter)
      ? await stream.lookupFilter(client)
      : (checkpoint.lookupFilter ?? {});
  const query = connectionQuery(stream, lookupFilter, progress.since);
  const collection = recordsCollection(db, stream.collection);
  let stored: StoredState | undefined;
  let refreshedEntities = false;
  const now = () => new Date();

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
    context.heartbeat(progress);
  };
  const keepAlive = setInterval(heartbeat, deps.heartbeatIntervalMs ?? 5_000);
  // A full pass needs every stored id (deletions); an incremental one only those its pages bring.
  const loadStored = async () =>
    (stored ??=
      progress.mode === 'full'
        ? await StoredState.load(collection, input.tenantId)
        : StoredState.partial(collection, input.tenantId));
  // Deltas ride along with the first page this pass requests, until a page with them is stored.
  const deltaField = stream.deltas && !progress.deltasRead ? stream.deltas : undefined;
  try {
    for await (const page of paginate<unknown>(client, query, {
      pageSize: deps.pageSize,
      after: progress.after,
      ...(deltaField ? { companion: deltaCompanion(deltaField, progress.deltaCursor) } : {}),
    })) {
      // The run was cancelled or terminated (e.g. its tenant removed) while the page was in
      // flight, as the last heartbeat learned: store nothing more.
      context.cancellationSignal.throwIfAborted();
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
      await saveRejects(db, rejects);
      await clearRejects(db, input.tenantId, stream.name, accepted);
      if (records.length > 0) {
        const written = await upsertRecords(collection, input.tenantId, records, await loadStored(), now());
        counts.inserted = written.inserted;
        counts.updated = written.updated;
        counts.unchanged = written.unchanged;
      }
      if (progress.mode === 'full') {
        await rememberSeen(db, input.tenantId, stream.name, progress.passId, page.endCursor, present);
      }
      if (deltaField && 'companion' in page) {
        const deltas = await readDeltas(client, deltaField, progress.deltaCursor, page.companion);
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
      // The page is stored: commit it to the progress that heartbeats carry.
      for (const key of Object.keys(counts) as Array<keyof Counts>) progress.counts[key] += counts[key];
      progress.maxModifiedAt = maxModifiedAt;
      progress.after = page.endCursor;
      heartbeat();
    }

    if (progress.mode === 'full') {
      progress.counts.deleted += await reconcileDeletions(
        db,
        stream,
        input.tenantId,
        progress.passId,
        await loadStored(),
        now(),
      );
    }
    syncUsage();
    await saveCheckpoint(db, nextCheckpoint(checkpoint, progress, lookupFilter, now()));
    const figures: StreamFigures = {
      stream: stream.name,
      mode: progress.mode,
      ...progress.counts,
      durationMs: Date.now() - progress.startedAt,
    };
    log.info({ figures }, 'pass complete');
    return figures;
  } finally {
    clearInterval(keepAlive);
  }
}

function resumeOrStart(
  details: unknown,
  input: SyncStreamInput,
  stream: StreamDefinition,
  checkpoint: StreamCheckpoint,
  overlapMinutes = DEFAULT_OVERLAP_MINUTES,
): PassProgress {
  const previous = details as PassProgress | undefined;
  if (previous && typeof previous.passId === 'string') {
    return {
      ...previous,
      deltaCursor: previous.deltaCursor ?? checkpoint.deltaCursor,
      deltasRead: previous.deltasRead ?? false,
    };
  }
  // Streams without a change cursor, and a stream never read, can only be read whole.
  const mode: SyncMode =
    input.mode === 'full' ||
    stream.changeCursor === null ||
    checkpoint.highWaterMark === null ||
    !checkpoint.lastFullPassAt
      ? 'full'
      : 'incremental';
  return {
    passId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    mode,
    since:
      mode === 'incremental' && checkpoint.highWaterMark
        ? shiftWallClock(checkpoint.highWaterMark, -overlapMinutes)
        : null,
    after: null,
    maxModifiedAt: checkpoint.highWaterMark,
    deltaCursor: checkpoint.deltaCursor,
    deltasRead: false,
    counts: emptyCounts(),
    startedAt: Date.now(),
  };
}

function connectionQuery(
  stream: StreamDefinition,
  lookupFilter: Record<string, unknown>,
  since: string | null,
): ConnectionQuery {
  const filter = {
    ...lookupFilter,
    ...(since && stream.changeCursor ? { [`${stream.changeCursor}_gte`]: since } : {}),
  };
  return {
    rootField: stream.rootField,
    selection: stream.selection,
    args: {
      ownerSet: { type: 'OwnerSet', value: 'ALL' },
      ...(Object.keys(filter).length > 0 ? { filter: { type: stream.filterType, value: filter } } : {}),
      ...(stream.objectStatus ? { objectStatus: { type: 'ObjectStatus', value: 'ALL' } } : {}),
    },
  };
}

/** After a complete full pass: every stored live record that the pass did not see is gone in Xledger. */
async function reconcileDeletions(
  db: Db,
  stream: StreamDefinition,
  tenantId: string,
  passId: string,
  stored: StoredState,
  now: Date,
): Promise<number> {
  const seen = await seenInPass(db, tenantId, stream.name, passId);
  const missing = stored.liveIds().filter((id) => !seen.has(Number(id.slice(tenantId.length + 1))));
  const deleted = await markDeleted(recordsCollection(db, stream.collection), tenantId, missing, now);
  for (const id of missing) stored.markDeleted(id);
  await forgetPasses(db, tenantId, stream.name);
  return deleted;
}

function nextCheckpoint(
  checkpoint: StreamCheckpoint,
  progress: PassProgress,
  lookupFilter: Record<string, unknown>,
  now: Date,
): StreamCheckpoint {
  return {
    ...checkpoint,
    // Advanced only now: pages come in dbId order, so a mark taken mid-pass could skip records.
    highWaterMark: progress.maxModifiedAt,
    // Saved only now, with the pass complete: a failed pass reads the same deltas again.
    deltaCursor: progress.deltaCursor,
    lookupFilter,
    lastPassAt: now,
    ...(progress.mode === 'full' ? { lastFullPassAt: now } : {}),
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
