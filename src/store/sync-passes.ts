import { MongoServerError, type Db } from 'mongodb';
import type { DeletionReview } from '../sync/deletion-guard';
import type { Counts, StreamFigures, SyncFallback, SyncMode } from '../sync/figures';
import type { StreamCheckpoint } from './checkpoints';
import { collections } from './collections';
import { isFerretDb } from './db';

/**
 * The pass ledger: one document per (tenant, stream) naming the pass in progress and the
 * activity attempt that holds it, plus one small document per stored page of a full pass
 * with the ids it saw.
 *
 * Why: an activity attempt that Temporal has given up on (its worker lost Temporal, a
 * heartbeat timed out) may still be running — a zombie. Every write of a pass is fenced on
 * (passId, attempt): once a newer attempt has claimed the pass, or a newer pass has replaced
 * it, the zombie's next write is refused and it stops. Progress is committed here after each
 * page, so a retried attempt resumes from what was stored, whatever its heartbeat said. The
 * seen pages are removed only after the pass that wrote them is complete, and a complete pass
 * is never reconciled again: deletions are always computed from a pass that saw every page.
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
  /** Records that looked deleted but Xledger still returned by id (activities/confirm-deletions.ts). */
  confirmedAlive?: number;
  /** Deletions this pass's deltas brought and held for an operator (sync/deletion-guard.ts). */
  deletionReview?: DeletionReview;
}

type PassState = 'running' | 'reconciling' | 'complete';

interface SyncPass {
  _id: string;
  tenantId: string;
  stream: string;
  /** Stable across the attempts of one activity: `<workflow run id>:<activity id>`. */
  passId: string;
  /** The attempt that holds the pass: the fence token. */
  attempt: number;
  state: PassState;
  progress: PassProgress;
  /** Set with state `complete`: what a later attempt of the same pass returns. */
  result: StreamFigures | null;
  checkpoint: StreamCheckpoint | null;
  updatedAt: Date;
}

interface PassPage {
  _id: string;
  tenantId: string;
  stream: string;
  passId: string;
  /** The page covers the ids after `after` (null: from the start) up to and including `end`. */
  after: string | null;
  end: string | null;
  dbIds: number[];
}

/** An attempt found that its pass belongs to another attempt or was replaced: it must stop writing. */
export class PassSupersededError extends Error {
  override name = 'PassSupersededError';
}

/** The pages of a full pass do not chain from the start to its end: deletions cannot be reconciled. */
export class PassIncompleteError extends Error {
  override name = 'PassIncompleteError';
}

export interface PassKey {
  tenantId: string;
  stream: string;
  passId: string;
  attempt: number;
}

export type PassClaim =
  | { kind: 'claimed'; progress: PassProgress; resumed: boolean }
  /** Another attempt of the same pass finished it: its result stands. */
  | { kind: 'complete'; result: StreamFigures; checkpoint: StreamCheckpoint | null };

const ledgerId = (key: Pick<PassKey, 'tenantId' | 'stream'>) => `${key.tenantId}:${key.stream}`;
const passes = (db: Db) => db.collection<SyncPass>(collections.passes);
const pages = (db: Db) => db.collection<PassPage>(collections.passSeen);
const current = (key: PassKey) => ({ _id: ledgerId(key), passId: key.passId, attempt: key.attempt });

/**
 * Claims the pass for this attempt: resumes it where the last stored page ended, returns the
 * result when another attempt already completed it, or starts it (replacing any older pass of
 * the stream, whose attempts are thereby fenced off).
 */
export async function claimPass(db: Db, key: PassKey, fresh: () => PassProgress): Promise<PassClaim> {
  const _id = ledgerId(key);
  const existing = await passes(db).findOne({ _id });
  if (existing?.passId === key.passId) {
    if (existing.state === 'complete' && existing.result) {
      return { kind: 'complete', result: existing.result, checkpoint: existing.checkpoint };
    }
    const claimed = await passes(db).findOneAndUpdate(
      { _id, passId: key.passId, attempt: { $lt: key.attempt }, state: { $ne: 'complete' } },
      { $set: { attempt: key.attempt, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
    if (claimed) return { kind: 'claimed', progress: claimed.progress, resumed: true };
    // Completed meanwhile, or a later attempt holds it.
    return reclaimAfterRace(db, key);
  }
  const progress = fresh();
  const pass: SyncPass = {
    _id,
    tenantId: key.tenantId,
    stream: key.stream,
    passId: key.passId,
    attempt: key.attempt,
    state: 'running',
    progress,
    result: null,
    checkpoint: null,
    updatedAt: new Date(),
  };
  if (existing) {
    const replaced = await passes(db).replaceOne(
      { _id, passId: existing.passId, attempt: existing.attempt },
      pass,
    );
    if (replaced.matchedCount === 0) return reclaimAfterRace(db, key);
  } else {
    try {
      await passes(db).insertOne(pass);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return reclaimAfterRace(db, key);
      throw error;
    }
  }
  // Pages of passes that never completed (replaced above) can never be reconciled: drop them.
  await pages(db).deleteMany({ tenantId: key.tenantId, stream: key.stream, passId: { $ne: key.passId } });
  return { kind: 'claimed', progress, resumed: false };
}

async function reclaimAfterRace(db: Db, key: PassKey): Promise<PassClaim> {
  const now = await passes(db).findOne({ _id: ledgerId(key) });
  if (now?.passId === key.passId && now.state === 'complete' && now.result) {
    return { kind: 'complete', result: now.result, checkpoint: now.checkpoint };
  }
  throw new PassSupersededError(
    `another attempt or pass now holds the ${key.stream} pass of tenant ${key.tenantId} (this is attempt ${key.attempt})`,
  );
}

/** Throws PassSupersededError unless this attempt still holds its pass. Read by `_id` alone. */
export async function assertCurrent(db: Db, key: PassKey): Promise<void> {
  if (!(await holds(db, key, ['running', 'reconciling']))) throw superseded(key);
}

/** Whether this attempt holds its pass in one of `states`, read by `_id` alone. */
async function holds(db: Db, key: PassKey, states: readonly PassState[]): Promise<boolean> {
  const pass = await passes(db).findOne(
    { _id: ledgerId(key) },
    { projection: { passId: 1, attempt: 1, state: 1 } },
  );
  return pass?.passId === key.passId && pass.attempt === key.attempt && states.includes(pass.state);
}

/** Records the ids one stored page of a full pass saw (kept until the pass is complete). */
export async function rememberPage(
  db: Db,
  key: PassKey,
  after: string | null,
  end: string | null,
  dbIds: number[],
): Promise<void> {
  const _id = `${ledgerId(key)}:${key.passId}:${after ?? 'start'}:${end ?? 'start'}`;
  await pages(db).replaceOne(
    { _id },
    { tenantId: key.tenantId, stream: key.stream, passId: key.passId, after, end, dbIds },
    { upsert: true },
  );
}

/** Commits a stored page to the pass's progress; refused (PassSupersededError) for a zombie. */
export async function commitProgress(db: Db, key: PassKey, progress: PassProgress): Promise<void> {
  if (!(await updateHeld(db, key, ['running'], { progress, updatedAt: new Date() }))) throw superseded(key);
}

/**
 * Writes `fields` to the pass's ledger entry while this attempt holds the pass in one of
 * `states`; false when it does not (superseded). On MongoDB one conditional update, atomic.
 * FerretDB v1 pushes down only a filter of `_id` alone: any other filter reads and decodes every
 * ledger entry of every tenant while it holds its one SQLite writer (a 100-tenant fleet: 1.6 s
 * per update, every other write queued behind it; bench/README.md), and its conditional updates
 * are not atomic anyway (measured). There the holder is read by `_id`, then written by `_id`;
 * the pass's page writes are fenced the same way (assertCurrent).
 */
async function updateHeld(
  db: Db,
  key: PassKey,
  states: readonly PassState[],
  fields: Partial<SyncPass>,
): Promise<boolean> {
  if (!(await isFerretDb(db))) {
    const result = await passes(db).updateOne(
      { ...current(key), state: { $in: [...states] } },
      { $set: fields },
    );
    return result.matchedCount > 0;
  }
  if (!(await holds(db, key, states))) return false;
  await passes(db).updateOne({ _id: ledgerId(key) }, { $set: fields });
  return true;
}

/**
 * Enters reconciliation: only the attempt that holds the pass, and only while the pass is not
 * complete. An attempt that died while reconciling leaves it to the next one, which redoes it
 * (marking deleted is idempotent).
 */
export async function beginReconciliation(db: Db, key: PassKey): Promise<void> {
  if (
    !(await updateHeld(db, key, ['running', 'reconciling'], { state: 'reconciling', updatedAt: new Date() }))
  ) {
    throw superseded(key);
  }
}

/**
 * The ids a full pass saw, provided its stored pages chain from the start of the stream to
 * `end` (the cursor of its last page, which had no next page). Pages stored by a zombie of the
 * same pass only add ids, which can only keep records alive.
 */
export async function seenInCompletePass(db: Db, key: PassKey, end: string | null): Promise<Set<number>> {
  const edges: Array<[string | null, string | null]> = [];
  const seen = new Set<number>();
  for await (const page of pages(db).find({
    tenantId: key.tenantId,
    stream: key.stream,
    passId: key.passId,
  })) {
    edges.push([page.after, page.end]);
    for (const id of page.dbIds) seen.add(id);
  }
  if (!pagesCoverStream(edges, end)) {
    throw new PassIncompleteError(
      `the stored pages of the ${key.stream} pass of tenant ${key.tenantId} do not cover the stream from its start to ${end ?? 'the start'}: deletions are not reconciled`,
    );
  }
  return seen;
}

/** Whether the pages (after → end) form a path from the stream's start (null) to `end`. */
export function pagesCoverStream(
  edges: ReadonlyArray<readonly [string | null, string | null]>,
  end: string | null,
): boolean {
  const next = new Map<string | null, Array<string | null>>();
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const reached = new Set<string | null>([null]);
  const frontier: Array<string | null> = [null];
  while (frontier.length > 0) {
    const cursor = frontier.pop() ?? null;
    for (const to of next.get(cursor) ?? []) {
      if (!reached.has(to)) {
        reached.add(to);
        frontier.push(to);
      }
    }
  }
  return reached.has(end);
}

/**
 * Marks the pass complete with its result and the checkpoint it leads to, then drops its
 * pages. A later attempt of the same pass finds the result and returns it.
 */
export async function completePass(
  db: Db,
  key: PassKey,
  result: StreamFigures,
  checkpoint: StreamCheckpoint,
): Promise<void> {
  const done = await updateHeld(db, key, ['running', 'reconciling'], {
    state: 'complete',
    result,
    checkpoint,
    updatedAt: new Date(),
  });
  if (!done) throw superseded(key);
  await pages(db).deleteMany({ tenantId: key.tenantId, stream: key.stream, passId: key.passId });
}

function superseded(key: PassKey): PassSupersededError {
  return new PassSupersededError(
    `attempt ${key.attempt} of the ${key.stream} pass of tenant ${key.tenantId} no longer holds the pass (a newer attempt or pass took over): it stops without writing`,
  );
}

/**
 * What the stream's latest pass had spent and stored, when it belongs to the workflow run
 * `runId` and did not complete (a failed run's partial figures); null otherwise.
 */
export async function unfinishedPassOfRun(
  db: Db,
  tenantId: string,
  stream: string,
  runId: string,
): Promise<{ mode: SyncMode; counts: Counts; startedAt: number } | null> {
  const pass = await passes(db).findOne({ _id: ledgerId({ tenantId, stream }) });
  if (!pass || !pass.passId.startsWith(`${runId}:`) || pass.state === 'complete') return null;
  return { mode: pass.progress.mode, counts: pass.progress.counts, startedAt: pass.progress.startedAt };
}
