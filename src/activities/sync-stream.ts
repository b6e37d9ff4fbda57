import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { getStream } from '../datatypes/registry';
import type { StreamDefinition } from '../datatypes/stream';
import { loadCheckpoint, saveCheckpoint, type StreamCheckpoint } from '../store/checkpoints';
import { forgetPasses, rememberSeen, seenInPass } from '../store/pass-seen';
import {
  markDeleted,
  recordsCollection,
  StoredState,
  upsertRecords,
  type RecordToStore,
} from '../store/records';
import { clearRejects, saveRejects, type RejectedRecord } from '../store/rejects';
import { emptyCounts, type Counts, type StreamFigures, type SyncMode } from '../sync/figures';
import { compareWallClock, shiftWallClock } from '../xledger/cet';
import { paginate, type ConnectionQuery } from '../xledger/paginate';
import type { ActivityDeps } from './deps';
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
  const tenant = await deps.tenants.get(input.tenantId);
  const client = deps.xledgerFor(
    input.tenantId,
    tenant.xledger.endpoint,
    await deps.tenants.token(input.tenantId),
  );
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

  // Usage of this attempt's client on top of what earlier attempts of the pass had spent.
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
  try {
    for await (const page of paginate<unknown>(client, query, {
      pageSize: deps.pageSize,
      after: progress.after,
    })) {
      const counts = progress.counts;
      counts.pages += 1;
      counts.fetched += page.nodes.length;
      const records: RecordToStore[] = [];
      const rejects: Omit<RejectedRecord, '_id'>[] = [];
      const accepted: number[] = [];
      const seen = new Set<number>();
      for (const raw of page.nodes) {
        const parsed = stream.node.safeParse(raw);
        if (!parsed.success) {
          rejects.push(rejectOf(input.tenantId, stream.name, raw, parsed.error.issues, now()));
          continue;
        }
        const node = parsed.data;
        if (seen.has(node.dbId)) continue;
        seen.add(node.dbId);
        accepted.push(node.dbId);
        const modifiedAt = (node as { modifiedAt?: string | null }).modifiedAt;
        if (
          modifiedAt &&
          (!progress.maxModifiedAt || compareWallClock(modifiedAt, progress.maxModifiedAt) > 0)
        ) {
          progress.maxModifiedAt = modifiedAt;
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
        records.push({ dbId: node.dbId, ...owner, fields: stream.toDocument(node) });
      }
      counts.rejected += rejects.length;
      await saveRejects(db, rejects);
      await clearRejects(db, input.tenantId, stream.name, accepted);
      if (records.length > 0) {
        stored ??= await StoredState.load(collection, input.tenantId);
        const written = await upsertRecords(collection, input.tenantId, records, stored, now());
        counts.inserted += written.inserted;
        counts.updated += written.updated;
        counts.unchanged += written.unchanged;
      }
      if (progress.mode === 'full') {
        await rememberSeen(
          db,
          input.tenantId,
          stream.name,
          progress.passId,
          page.endCursor,
          records.map((r) => r.dbId),
        );
      }
      progress.after = page.endCursor;
      heartbeat();
    }

    if (progress.mode === 'full') {
      stored ??= await StoredState.load(collection, input.tenantId);
      progress.counts.deleted += await reconcileDeletions(
        db,
        stream,
        input.tenantId,
        progress.passId,
        stored,
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
  if (previous && typeof previous.passId === 'string') return previous;
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
    lookupFilter,
    lastPassAt: now,
    ...(progress.mode === 'full' ? { lastFullPassAt: now } : {}),
  };
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
