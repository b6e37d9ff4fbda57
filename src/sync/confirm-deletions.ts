import type { Db } from 'mongodb';
import type { StreamDefinition } from '../datatypes/stream';
import type { Logger } from '../logger';
import { forgetEntities } from '../store/entities';
import { markDeleted, recordId, type RecordsCollection, type StoredState } from '../store/records';
import { seenInCompletePass, type PassKey } from '../store/sync-passes';
import { deletionVerdict, type DeletionReview } from '../domain/deletion-guard';
import type { XledgerClient } from '../xledger/client';
import { stillInXledger } from '../xledger/records-by-id';
import { entitiesOutOfSight } from './entity-tree';

/**
 * Deletion only on proof. Whatever suggests a record is gone — a complete full pass that did not
 * see it, or a delta saying DELETED — it is marked deleted only when:
 * 1. Xledger, asked for it by id, no longer returns it, or returns it as another owner's (moved
 *    out of the tenant's tree, as the pass itself found it). A record it still returns as the
 *    tenant's — or of an entity the tree does not know — is "confirmed alive": counted, logged,
 *    kept;
 * 2. the tenant's entity tree, read again, still holds every entity it held (records of an entity
 *    the token no longer sees vanish from every answer without being deleted);
 * 3. the deletions are not an unusual share of the stream (domain/deletion-guard.ts).
 * Failing 2 or 3, nothing is deleted and the pass holds its deletions for an operator.
 * Xledger is asked only when there are candidates: a pass without any costs no request.
 */
export interface DeletionContext {
  db: Db;
  client: XledgerClient;
  log: Logger;
  key: PassKey;
  stream: StreamDefinition;
  collection: RecordsCollection;
  stored: StoredState;
  ownerDbId: number;
  /**
   * Whether a record of this owner entity is the tenant's, or may be (an entity the tree does not
   * know): such a record Xledger returns by id is alive. Entities missing from the latest tree
   * are still in it (store/entities.ts), so a short entity list never makes records another's.
   */
  mayBeTenants: (ownerDbId: number) => boolean;
  guard: { maxShare: number; allowMassDelete: boolean };
  /** Throws unless this attempt may still write (store/sync-passes.ts). */
  fence: () => Promise<void>;
  now: Date;
}

export interface DeletionOutcome {
  deleted: number;
  /** Candidates Xledger still returned by id: not deleted. */
  confirmedAlive: number;
  /** Set when the deletions wait for an operator. */
  review?: DeletionReview;
}

/**
 * After a complete full pass: the stored live records the pass did not see are the candidates.
 * The seen ids come from the pass ledger, so they include every page of the pass, whichever
 * attempt stored it.
 */
export async function reconcileDeletions(
  context: DeletionContext,
  end: string | null,
): Promise<DeletionOutcome> {
  const { db, key, stored } = context;
  const seen = await seenInCompletePass(db, key, end);
  const live = stored.liveIds();
  const prefix = key.tenantId.length + 1;
  const candidates = live.filter((id) => !seen.has(Number(id.slice(prefix))));
  return deleteConfirmed(context, candidates, () => Promise.resolve(live.length));
}

/** The stored live records whose last delta is DELETED are the candidates. */
export async function deletionsFromDeltas(
  context: DeletionContext,
  deletedDbIds: readonly number[],
): Promise<DeletionOutcome> {
  if (deletedDbIds.length === 0) return { deleted: 0, confirmedAlive: 0 };
  const { stored, key, collection } = context;
  const ids = deletedDbIds.map((dbId) => recordId(key.tenantId, dbId));
  await stored.ensure(ids);
  const candidates = ids.filter((id) => {
    const entry = stored.get(id);
    return entry !== undefined && !entry.deleted;
  });
  // An incremental pass holds only the ids its pages brought: count the live ones.
  const live = () => collection.countDocuments({ tenantId: key.tenantId, deletedAt: null });
  return deleteConfirmed(context, candidates, live);
}

async function deleteConfirmed(
  context: DeletionContext,
  candidates: readonly string[],
  live: () => Promise<number>,
): Promise<DeletionOutcome> {
  if (candidates.length === 0) return { deleted: 0, confirmedAlive: 0 };
  const { key, log, guard, now } = context;
  const prefix = key.tenantId.length + 1;
  const dbIdOf = (id: string) => Number(id.slice(prefix));
  const returned = await stillInXledger(
    context.client,
    context.stream,
    candidates.map(dbIdOf),
    context.ownerDbId,
  );
  const alive = [...returned].filter(([, owner]) => context.mayBeTenants(owner)).map(([dbId]) => dbId);
  const aliveIds = new Set(alive);
  const gone = candidates.filter((id) => !aliveIds.has(dbIdOf(id)));
  if (alive.length > 0) {
    log.warn(
      { confirmedAlive: alive.length, candidates: candidates.length, sample: alive.slice(0, 20) },
      'records that looked deleted are still in Xledger when asked by id: not deleted',
    );
  }
  const outcome = { deleted: 0, confirmedAlive: alive.length };
  if (gone.length === 0) return outcome;

  const missingEntities = await entitiesOutOfSight(
    context.db,
    context.client,
    key.tenantId,
    context.ownerDbId,
  );
  const verdict = deletionVerdict({
    live: await live(),
    wouldDelete: gone.length,
    maxShare: guard.maxShare,
    missingEntities,
    allowMassDelete: guard.allowMassDelete,
    now,
  });
  if (!verdict.apply) {
    log.warn({ review: verdict.review }, 'deletions held back for an operator: nothing deleted');
    return { ...outcome, review: verdict.review };
  }
  await context.fence();
  const deleted = await markDeleted(context.collection, key.tenantId, gone, now);
  for (const id of gone) context.stored.markDeleted(id);
  // The operator confirmed the deletions of a tree that shrank: the tree shrinks with them.
  if (missingEntities.length > 0) await forgetEntities(context.db, key.tenantId, missingEntities);
  return { ...outcome, deleted };
}
