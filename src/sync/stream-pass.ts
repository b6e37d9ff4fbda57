import type { Db } from 'mongodb';
import type { DeltaField, StreamDefinition } from '../datatypes/stream';
import { DEFAULT_MAX_DELETION_SHARE, type DeletionReview } from '../domain/deletion-guard';
import type { Counts, StreamFigures } from '../domain/figures';
import { nextCheckpoint, noteDeletionOutcome, type PassProgress } from '../domain/pass-plan';
import type { StreamCheckpoint } from '../domain/records';
import type { TenantSettings } from '../domain/tenant';
import type { Logger } from '../logger';
import { saveCheckpoint } from '../store/checkpoints';
import { recordsCollection, StoredState, upsertRecords } from '../store/records';
import { clearRejects, saveRejects } from '../store/rejects';
import {
  assertCurrent,
  beginReconciliation,
  commitProgress,
  completePass,
  rememberPage,
  type PassKey,
} from '../store/sync-passes';
import type { XledgerClient } from '../xledger/client';
import { newestDeltaCursor, readDeltas, type DeltaRead } from '../xledger/deltas';
import { streamFilter, type FilterValues } from '../xledger/filter-fields';
import { streamPages, type DeltaCompanion } from '../xledger/operations';
import { paginate } from '../xledger/paginate';
import { classifyPage, type ClassifiedPage } from './classify-page';
import { deletionsFromDeltas, reconcileDeletions, type DeletionContext } from './confirm-deletions';
import type { loadOwnershipRule } from './entity-tree';
import type { RequestedMode } from './pass-mode';

/** What one pass works with: the store, the tenant and its Xledger client, and the attempt's liveness. */
export interface PassRunnerDeps {
  db: Db;
  client: XledgerClient;
  tenant: TenantSettings;
  log: Logger;
  /** Records per Xledger request. */
  pageSize: number;
  /** Safety overlap subtracted from the high-water mark of incremental reads (Xledger's sample uses 15). */
  overlapMinutes?: number;
  /** How often a running pass reports while a page is in flight. */
  heartbeatIntervalMs?: number;
  /** Reports that the attempt lives and where the pass stands (the activity's heartbeat). */
  heartbeat(details: PassHeartbeat): void;
  /** Aborted once the attempt is cancelled: the pass stops before its next write. */
  signal: AbortSignal;
}

/** The pass a runner runs: which one (and which attempt), over which stream, asked for which mode. */
export interface PassRequest {
  key: PassKey;
  /** The stream as the tenant's Xledger has it (without the optional fields it lacks). */
  stream: StreamDefinition;
  /**
   * What the run asks of the pass; the pass decides its mode when it starts (sync/pass-mode.ts)
   * and its figures report the mode it ran.
   */
  mode: RequestedMode;
  /** An operator confirmed that this full pass may mark a large share of records deleted. */
  allowMassDelete: boolean;
}

/** What a pass tells while it runs: for operators (the Web UI), liveness and `tenant resync --wait`. */
export type PassHeartbeat = { passId: string; stream: string } & PassProgress;

/** What a claimed pass works with. */
export interface PassSetup {
  stream: StreamDefinition;
  request: PassRequest;
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
export class StreamPass {
  private readonly collection: ReturnType<typeof recordsCollection>;
  private stored: StoredState | undefined;
  private refreshedEntities = false;
  /** Usage spent by earlier attempts: this attempt's client counts from zero. */
  private readonly usageBefore: Counts;

  constructor(
    private readonly deps: PassRunnerDeps,
    private readonly key: PassKey,
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
    this.deps.signal.throwIfAborted();
    await assertCurrent(this.deps.db, this.key);
  }

  /**
   * `progress` is what has been stored: it changes only once a page is written, so that a
   * heartbeat sent while a page is in flight never claims work that a retry would redo. Usage
   * is the exception: requests made are spent, whether or not their page was stored.
   */
  private syncUsage(): void {
    const { counts } = this.progress;
    const { usage } = this.deps.client;
    counts.requests = this.usageBefore.requests + usage.requests;
    counts.bytesSent = this.usageBefore.bytesSent + usage.bytesSent;
    counts.bytesReceived = this.usageBefore.bytesReceived + usage.bytesReceived;
  }

  heartbeat(): void {
    this.syncUsage();
    // For operators (the Web UI shows it) and liveness; resumption reads the pass ledger.
    // `stream` names the pass for `tenant resync --wait` (src/client/resync.ts), which reads it.
    this.deps.heartbeat({ passId: this.key.passId, stream: this.setup.stream.name, ...this.progress });
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
    const { stream, lookupFilter } = this.setup;
    const { client } = this.deps;
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
          : await readDeltas(this.deps.client, deltas.field, progress.deltaCursor, deltas.answer);
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
    this.deps.signal.throwIfAborted();
    await beginReconciliation(this.deps.db, this.key);
    const outcome = await reconcileDeletions(await this.deletionContext(), this.progress.after);
    this.progress.counts.deleted += outcome.deleted;
    noteDeletionOutcome(this.progress, outcome);
    return outcome.review;
  }

  /** What deciding on deletions needs: the pass's store, its client, and the tenant's guard. */
  private async deletionContext(): Promise<DeletionContext> {
    const { stream, request } = this.setup;
    const { client, tenant } = this.deps;
    return {
      db: this.deps.db,
      client,
      log: this.deps.log,
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
        allowMassDelete: request.allowMassDelete,
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
    this.deps.log.info({ figures }, 'pass complete');
    return figures;
  }
}
