import { Context } from '@temporalio/activity';
import { adaptStream } from '../datatypes/optional-fields';
import { leaveOutRefusedField } from '../activities/optional-field-refusal';
import { getStream } from '../datatypes/registry';
import type { DeltaField, StreamDefinition } from '../datatypes/stream';
import type { Logger } from '../logger';
import { loadCheckpoint, saveCheckpoint } from '../store/checkpoints';
import { recordsCollection, StoredState, upsertRecords } from '../store/records';
import { clearRejects, saveRejects } from '../store/rejects';
import {
  assertCurrent,
  beginReconciliation,
  claimPass,
  commitProgress,
  completePass,
  rememberPage,
  type PassKey,
  type PassProgress,
} from '../store/sync-passes';
import { classifyPage, type ClassifiedPage } from './classify-page';
import { DEFAULT_MAX_DELETION_SHARE, type DeletionReview } from '../domain/deletion-guard';
import { emptyCounts, type Counts, type StreamFigures } from '../domain/figures';
import { decidePassMode, restartsFullOnRefusedCursor, type PassMode, type RequestedMode } from './pass-mode';
import type { TenantSettings } from '../domain/tenant';
import { shiftWallClock } from '../domain/cet';
import type { XledgerClient } from '../xledger/client';
import { isDeltaCursorRefused, newestDeltaCursor, readDeltas, type DeltaRead } from '../xledger/deltas';
import { resolveLookup } from '../xledger/lookups';
import { streamFilter, type FilterValues } from '../xledger/filter-fields';
import { streamPages, type DeltaCompanion } from '../xledger/operations';
import { paginate } from '../xledger/paginate';
import {
  deletionsFromDeltas,
  reconcileDeletions,
  type DeletionContext,
  type DeletionOutcome,
} from './confirm-deletions';
import { tenantXledger, type ActivityDeps } from '../activities/deps';
import { noteSpent } from '../activities/pass-spent';
import { loadOwnershipRule } from './entity-tree';
import type { StreamCheckpoint } from '../domain/records';

export interface SyncStreamInput {
  tenantId: string;
  dataType: string;
  stream: string;
  /**
   * What the run asks of the pass; the pass decides its mode when it starts (sync/pass-mode.ts)
   * and its figures report the mode it ran.
   */
  mode: RequestedMode;
  /** An operator confirmed that this full pass may mark a large share of records deleted. */
  allowMassDelete?: boolean;
}

const DEFAULT_OVERLAP_MINUTES = 15;

/**
 * One pass over one Xledger stream for one tenant, in the mode it decides when it starts
 * (sync/pass-mode.ts): pages through Xledger, keeps the owner's records (each page classified
 * by sync/classify-page.ts), writes what changed, commits its cursor after each stored page
 * (a retried attempt resumes there), and — after a complete full pass only — marks as deleted
 * what Xledger no longer returns, unless that is a mass deletion (deletion-guard.ts). Every
 * write is fenced on the pass and attempt (store/sync-passes.ts): an attempt Temporal has given up on stops
 * before its next write. Nothing but figures goes back to the workflow.
 */
export function createSyncStream(deps: ActivityDeps) {
  // Its errors (Xledger's, a superseded or incomplete pass) become failures in cast-known-errors.ts.
  return async function syncStream(input: SyncStreamInput): Promise<StreamFigures> {
    const stream = getStream(input.stream);
    const spending: PassSpending = {};
    try {
      return await runPass(deps, stream, input, spending);
    } catch (caught) {
      const error = await leaveOutRefusedField(deps.tenants, input.tenantId, stream, caught);
      // What the pass spent, its failing request included: the failed run's cost counts it.
      const usage = spending.usage?.();
      if (usage) noteSpent(error, { stream: stream.name, ...usage });
      throw error;
    }
  };
}

/** Reads what the pass has spent in Xledger so far (its earlier attempts' commits and this one). */
interface PassSpending {
  usage?: () => { requests: number; bytesSent: number; bytesReceived: number };
}

async function runPass(
  deps: ActivityDeps,
  stream: StreamDefinition,
  input: SyncStreamInput,
  spending: PassSpending,
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
  // Without the optional fields the tenant's Xledger lacks (src/datatypes/optional-fields.ts).
  stream = adaptStream(stream, await deps.tenants.omittedFields(input.tenantId), tenant.entityOwnerDbId);
  const checkpoint = await loadCheckpoint(db, input.tenantId, stream.name);
  // The pass's mode is decided here, once; a resumed pass keeps the one in the ledger.
  let decided: PassMode | undefined;
  const claim = await claimPass(db, key, () => {
    decided = decidePassMode({ requested: input.mode, stream, checkpoint, tenant, now: Date.now() });
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

  const ownership = await loadOwnershipRule(db, client, input.tenantId, tenant.entityOwnerDbId);
  const lookupFilter: FilterValues =
    stream.lookup && (progress.mode === 'full' || !checkpoint.lookupFilter)
      ? await resolveLookup(client, stream.lookup, deps.pageSize)
      : (checkpoint.lookupFilter ?? {});
  const pass = new StreamPass(deps, context, key, log, {
    stream,
    input,
    tenant,
    client,
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

/** What a claimed pass works with. */
interface PassSetup {
  stream: StreamDefinition;
  input: SyncStreamInput;
  tenant: TenantSettings;
  client: XledgerClient;
  checkpoint: StreamCheckpoint;
  /** Where the pass stands, as committed to the ledger: changed only with a commit (`storePage`). */
  progress: PassProgress;
  ownership: Awaited<ReturnType<typeof loadOwnershipRule>>;
  lookupFilter: FilterValues;
}

/**
 * The I/O of one claimed pass around the pure page classification: fetch pages, fence every
 * write on the pass and attempt, write what a page holds, commit progress, heartbeat.
 */
class StreamPass {
  private readonly collection: ReturnType<typeof recordsCollection>;
  private stored: StoredState | undefined;
  private refreshedEntities = false;
  /** Usage spent by earlier attempts: this attempt's client counts from zero. */
  private readonly usageBefore: Counts;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly context: Context,
    private readonly key: PassKey,
    private readonly log: Logger,
    private readonly setup: PassSetup,
  ) {
    this.collection = recordsCollection(deps.db, setup.stream.collection);
    this.usageBefore = { ...setup.progress.counts };
  }

  private get progress(): PassProgress {
    return this.setup.progress;
  }

  /** Stops before a write once Temporal has cancelled the attempt or another holds the pass. */
  private async fence(): Promise<void> {
    this.context.cancellationSignal.throwIfAborted();
    await assertCurrent(this.deps.db, this.key);
  }

  /**
   * `progress` is what has been stored: it changes only once a page is written, so that a
   * heartbeat sent while a page is in flight never claims work that a retry would redo. Usage
   * is the exception: requests made are spent, whether or not their page was stored.
   */
  private syncUsage(): void {
    const { counts } = this.progress;
    const { usage } = this.setup.client;
    counts.requests = this.usageBefore.requests + usage.requests;
    counts.bytesSent = this.usageBefore.bytesSent + usage.bytesSent;
    counts.bytesReceived = this.usageBefore.bytesReceived + usage.bytesReceived;
  }

  heartbeat(): void {
    this.syncUsage();
    // For operators (the Web UI shows it) and liveness; resumption reads the pass ledger.
    // `stream` names the pass for `tenant resync --wait` (src/client/resync.ts), which reads it.
    this.context.heartbeat({ passId: this.key.passId, stream: this.setup.stream.name, ...this.progress });
  }

  /** A full pass needs every stored id (deletions); an incremental one only those its pages bring. */
  private async loadStored(): Promise<StoredState> {
    this.stored ??=
      this.progress.mode === 'full'
        ? await StoredState.load(this.collection, this.key.tenantId)
        : StoredState.partial(this.collection, this.key.tenantId);
    return this.stored;
  }

  /**
   * Reads the pass's pages from where it stands and stores them. Deltas ride along with the
   * first page this pass requests, until a page with them is stored: a full pass asks for the
   * newest cursor only (`last: 1`), an incremental one for the deltas after its cursor.
   *
   * A page is classified (validated, filtered: CPU) while the page before it is being stored
   * (mostly waiting on MongoDB), and the next one is read meanwhile (paginate.ts). Pages are
   * still stored and committed one after another, in order.
   */
  async readPages(): Promise<void> {
    const { stream, client, lookupFilter } = this.setup;
    const progress = this.progress;
    const deltaField = stream.deltas && !progress.deltasRead ? stream.deltas : undefined;
    const companion: DeltaCompanion | undefined = !deltaField
      ? undefined
      : progress.mode === 'full'
        ? { read: 'newest' }
        : { read: 'after', after: progress.deltaCursor };
    const request = streamPages(stream, streamFilter(stream, lookupFilter, progress.since), companion);
    let storing: Promise<void> | undefined;
    let maxModifiedAt = progress.maxModifiedAt;
    try {
      for await (const page of paginate<unknown>(client, request, {
        pageSize: this.deps.pageSize,
        after: progress.after,
      })) {
        const classified = await this.classify(page.nodes, maxModifiedAt);
        maxModifiedAt = classified.maxModifiedAt;
        const deltas =
          deltaField && 'companion' in page ? { field: deltaField, answer: page.companion } : undefined;
        await storing;
        storing = this.storePage(page.endCursor, classified, deltas);
        // Awaited before the next page is stored or the loop ends; until then, a failure waits.
        storing.catch(() => undefined);
      }
      await storing;
    } finally {
      // A failed read leaves no write of this attempt running behind it.
      await storing?.catch(() => undefined);
    }
  }

  /**
   * The page as the tenant's ownership rule sees it, its high-water mark carried on from
   * `maxModifiedAt` (the pages before it, stored or not yet). A node of an entity never seen may be a
   * client added since the tree was read: the tree is read again (once per pass) and the page
   * classified with it.
   */
  private async classify(nodes: readonly unknown[], maxModifiedAt: string | null): Promise<ClassifiedPage> {
    const { stream, ownership } = this.setup;
    const classifyWith = () =>
      classifyPage(nodes, {
        tenantId: this.key.tenantId,
        stream,
        ownership: ownership.current,
        maxModifiedAt,
        now: new Date(),
      });
    const classified = classifyWith();
    if (!classified.sawUnknownEntity || this.refreshedEntities) return classified;
    await ownership.refresh();
    this.refreshedEntities = true;
    return classifyWith();
  }

  /** Writes one classified page (and its deltas), then commits it to the pass's progress. */
  private async storePage(
    endCursor: string | null,
    page: ClassifiedPage,
    deltas: { field: DeltaField; answer: unknown } | undefined,
  ): Promise<void> {
    const { db } = this.deps;
    const { tenantId } = this.key;
    const progress = this.progress;
    const counts = page.counts;
    await this.fence();
    await saveRejects(db, page.rejects);
    await clearRejects(db, tenantId, this.setup.stream.name, page.accepted);
    if (page.records.length > 0) {
      const written = await upsertRecords(
        this.collection,
        tenantId,
        page.records,
        await this.loadStored(),
        new Date(),
      );
      counts.inserted = written.inserted;
      counts.updated = written.updated;
      counts.unchanged = written.unchanged;
    }
    if (progress.mode === 'full') {
      await rememberPage(db, this.key, progress.after, endCursor, page.present);
    }
    if (deltas) {
      const read: DeltaRead =
        progress.mode === 'full'
          ? newestDeltaCursor(deltas.answer)
          : await readDeltas(this.setup.client, deltas.field, progress.deltaCursor, deltas.answer);
      const outcome = await deletionsFromDeltas(await this.deletionContext(), read.deletedDbIds);
      counts.deleted = outcome.deleted;
      noteDeletionOutcome(progress, outcome);
      progress.deltaCursor = read.cursor;
      progress.deltasRead = true;
    }
    // The page is stored: commit it to the pass's progress (refused for a zombie).
    for (const k of Object.keys(counts) as Array<keyof Counts>) progress.counts[k] += counts[k];
    progress.maxModifiedAt = page.maxModifiedAt;
    progress.after = endCursor;
    this.syncUsage();
    await commitProgress(db, this.key, progress);
    this.heartbeat();
  }

  /**
   * Xledger no longer knows the stored delta cursor (deltas are kept about 3 days): only a
   * full pass can notice every deletion since. Nothing of this pass is stored yet
   * (pass-mode.ts), so it starts over as a full pass, and says so.
   */
  async restartAsFull(): Promise<void> {
    Object.assign(this.progress, {
      mode: 'full',
      since: null,
      deltaCursor: null,
      fallback: 'delta_cursor_expired',
    } satisfies Partial<PassProgress>);
    this.stored = undefined;
    await this.fence();
    this.syncUsage();
    await commitProgress(this.deps.db, this.key, this.progress);
  }

  /**
   * After a full pass: marks deleted what it did not see and Xledger no longer returns by id,
   * or holds the deletions for an operator (confirm-deletions.ts).
   */
  async reconcile(): Promise<DeletionReview | undefined> {
    this.context.cancellationSignal.throwIfAborted();
    await beginReconciliation(this.deps.db, this.key);
    const outcome = await reconcileDeletions(await this.deletionContext(), this.progress.after);
    this.progress.counts.deleted += outcome.deleted;
    noteDeletionOutcome(this.progress, outcome);
    return outcome.review;
  }

  /** What deciding on deletions needs: the pass's store, its client, and the tenant's guard. */
  private async deletionContext(): Promise<DeletionContext> {
    const { stream, client, tenant, input } = this.setup;
    return {
      db: this.deps.db,
      client,
      log: this.log,
      key: this.key,
      stream,
      collection: this.collection,
      stored: await this.loadStored(),
      ownerDbId: tenant.entityOwnerDbId,
      mayBeTenants: (ownerDbId) => {
        const rule = this.setup.ownership.current;
        return rule.classify(ownerDbId) !== null || rule.isUnknownEntity(ownerDbId);
      },
      guard: {
        maxShare: tenant.maxDeletionShare ?? DEFAULT_MAX_DELETION_SHARE,
        allowMassDelete: input.allowMassDelete === true,
      },
      fence: () => this.fence(),
      now: new Date(),
    };
  }

  /** The pass's figures, with the pass complete in the ledger and its checkpoint saved. */
  async complete(reconciled: DeletionReview | undefined): Promise<StreamFigures> {
    const progress = this.progress;
    // Held by the reconciliation, or by the deltas of an incremental pass (kept in its progress).
    const deletionReview = reconciled ?? progress.deletionReview;
    this.syncUsage();
    const figures: StreamFigures = {
      stream: this.setup.stream.name,
      mode: progress.mode,
      ...progress.counts,
      durationMs: Date.now() - progress.startedAt,
      ...(progress.fallback ? { fallback: progress.fallback } : {}),
      ...(progress.confirmedAlive ? { confirmedAlive: progress.confirmedAlive } : {}),
      ...(deletionReview ? { deletionReview } : {}),
    };
    const next = nextCheckpoint(
      this.setup.checkpoint,
      progress,
      this.setup.lookupFilter,
      deletionReview,
      new Date(),
    );
    await completePass(this.deps.db, this.key, figures, next);
    await saveCheckpoint(this.deps.db, next);
    this.log.info({ figures }, 'pass complete');
    return figures;
  }
}

/** A new pass in the mode decided for it (pass-mode.ts), from the stream's checkpoint. */
function startProgress(
  decided: PassMode,
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
function noteDeletionOutcome(progress: PassProgress, outcome: DeletionOutcome): void {
  if (outcome.confirmedAlive > 0)
    progress.confirmedAlive = (progress.confirmedAlive ?? 0) + outcome.confirmedAlive;
  if (outcome.review) progress.deletionReview = outcome.review;
}
