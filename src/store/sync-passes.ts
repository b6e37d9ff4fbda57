import type { Db } from 'mongodb';
import type { Counts, StreamFigures, SyncMode } from '../domain/figures';
import { collections } from './collections';
import { VersionedRegister } from './versioned';
import type { StreamCheckpoint } from '../domain/records';
import type { PassProgress } from '../domain/pass-plan';

/**
 * The pass ledger: a versioned register per (tenant, stream) (store/versioned.ts) naming the
 * pass in progress and the activity attempt that holds it, plus one small document per stored
 * page of a full pass with the ids it saw, keyed by the cursor it starts after.
 *
 * Why: an activity attempt that Temporal has given up on (its worker lost Temporal, a
 * heartbeat timed out) may still be running — a zombie. Every write of a pass is fenced on
 * (passId, attempt): a claim, the start of reconciliation and completion each insert the
 * ledger's next version, so of two attempts only one moves the pass on; once a newer attempt
 * has claimed the pass, or a newer pass has replaced it, the zombie's next write is refused
 * (its version is no longer the newest) and it stops. Progress is committed here after each
 * page, so a retried attempt resumes from what was stored, whatever its heartbeat said. The
 * seen pages are removed only after the pass that wrote them is complete, and a complete pass
 * is never reconciled again: deletions are always computed from a pass that saw every page.
 */

type PassState = 'running' | 'reconciling' | 'complete';

/** One version of a stream's ledger (store/versioned.ts): which pass, held by which attempt. */
interface LedgerEntry {
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
const ledger = (db: Db, key: Pick<PassKey, 'tenantId' | 'stream'>) =>
  new VersionedRegister<LedgerEntry>(db, collections.passes, key.tenantId, ledgerId(key));
const pages = (db: Db) => db.collection<PassPage>(collections.passSeen);
const pageId = (
  key: PassKey | (Pick<PassKey, 'tenantId' | 'stream'> & { passId: string }),
  after: string | null,
) => `${ledgerId(key)}:${key.passId}:${after ?? 'start'}`;

/**
 * The ledger version each attempt holds and the state it wrote there, remembered by the process
 * running it (an attempt runs in one process from claim to end): its fence is then one `_id`
 * look-up of the next version, and a page's commit two round trips (write its own version, look
 * up the next). A missing entry (never, in practice) is found again from the ledger.
 */
interface Held {
  n: number;
  state: PassState;
}
const heldVersions = new Map<string, Held>();
const heldKey = (key: PassKey) => `${ledgerId(key)}:${key.passId}:${key.attempt}`;
const isHolder = (entry: LedgerEntry, key: PassKey) =>
  entry.passId === key.passId && entry.attempt === key.attempt;

/**
 * Claims the pass for this attempt: resumes it where the last stored page ended, returns the
 * result when another attempt already completed it, or starts it (replacing any older pass of
 * the stream, whose attempts are thereby fenced off). Decided by inserting the ledger's next
 * version: of two attempts claiming at once, one insert wins and the other reads again.
 */
export async function claimPass(db: Db, key: PassKey, fresh: () => PassProgress): Promise<PassClaim> {
  const register = ledger(db, key);
  let replaced: LedgerEntry | null = null;
  let outcome: PassClaim | undefined;
  let superseded = false;
  const { version } = await register.change((current) => {
    const entry = current?.value;
    outcome = undefined;
    superseded = false;
    replaced = null;
    if (entry?.passId === key.passId) {
      if (entry.state === 'complete' && entry.result) {
        outcome = { kind: 'complete', result: entry.result, checkpoint: entry.checkpoint };
        return undefined;
      }
      // A later attempt holds it (this one is the zombie), or this attempt claimed it already.
      if (entry.attempt >= key.attempt) {
        superseded = true;
        return undefined;
      }
      outcome = { kind: 'claimed', progress: entry.progress, resumed: true };
      return { ...entry, attempt: key.attempt, updatedAt: new Date() };
    }
    replaced = entry ?? null;
    const progress = fresh();
    outcome = { kind: 'claimed', progress, resumed: false };
    return {
      passId: key.passId,
      attempt: key.attempt,
      state: 'running',
      progress,
      result: null,
      checkpoint: null,
      updatedAt: new Date(),
    };
  });
  if (superseded || !outcome || !version) throw supersededBy(key);
  if (outcome.kind === 'claimed')
    heldVersions.set(heldKey(key), { n: version.n, state: version.value.state });
  // Pages of a pass that never completed (replaced above) can never be reconciled: drop them.
  const old = replaced as LedgerEntry | null;
  if (old && old.state !== 'complete') await dropPages(db, { ...key, passId: old.passId });
  return outcome;
}

/**
 * The ledger version this attempt holds, or null when another attempt or pass took over:
 * remembered (then checked by one look-up of the next version), else read from the ledger.
 */
async function holding(db: Db, key: PassKey): Promise<Held | null> {
  const register = ledger(db, key);
  const remembered = heldVersions.get(heldKey(key));
  if (remembered) return (await register.isLatest(remembered.n)) ? remembered : null;
  const current = await register.latest();
  if (!current || !isHolder(current.value, key)) return null;
  const held = { n: current.n, state: current.value.state };
  heldVersions.set(heldKey(key), held);
  return held;
}

/** Throws PassSupersededError unless this attempt still holds its pass. */
export async function assertCurrent(db: Db, key: PassKey): Promise<void> {
  const held = await holding(db, key);
  if (!held || held.state === 'complete') throw supersededBy(key);
}

/**
 * Records the ids one stored page of a full pass saw (kept until the pass is complete), under
 * the cursor it starts after: reconciliation follows the pages from the stream's start, one
 * `_id` look-up each.
 */
export async function rememberPage(
  db: Db,
  key: PassKey,
  after: string | null,
  end: string | null,
  dbIds: number[],
): Promise<void> {
  await pages(db).replaceOne(
    { _id: pageId(key, after) },
    { tenantId: key.tenantId, stream: key.stream, passId: key.passId, after, end, dbIds },
    { upsert: true },
  );
}

/**
 * Commits a stored page to the pass's progress; refused (PassSupersededError) for a zombie.
 * Progress decides nothing (a claim copies what it finds), so the holder writes it into its own
 * version by `_id`, then checks that its version is still the newest: a zombie's late commit
 * lands in a version no one reads any more and the zombie stops.
 */
export async function commitProgress(db: Db, key: PassKey, progress: PassProgress): Promise<void> {
  const register = ledger(db, key);
  // Written first, checked after: a superseded attempt's write lands in a version no one reads.
  const held = heldVersions.get(heldKey(key)) ?? (await holding(db, key));
  if (!held || held.state !== 'running') throw supersededBy(key);
  await register.amend(held.n, { progress, updatedAt: new Date() });
  if (!(await register.isLatest(held.n))) throw supersededBy(key);
}

/** Moves the pass to its next state as the ledger's next version: refused unless this attempt holds it. */
async function advance(
  db: Db,
  key: PassKey,
  from: readonly PassState[],
  change: Partial<LedgerEntry>,
): Promise<void> {
  const register = ledger(db, key);
  const held = await holding(db, key);
  const entry = held && (await register.at(held.n))?.value;
  if (!held || !entry || !isHolder(entry, key) || !from.includes(entry.state)) throw supersededBy(key);
  const written = await register.propose(
    { n: held.n, value: entry },
    { ...entry, ...change, updatedAt: new Date() },
  );
  if (!written) throw supersededBy(key);
  heldVersions.set(heldKey(key), { n: written.n, state: written.value.state });
}

/**
 * Enters reconciliation: only the attempt that holds the pass, and only while the pass is not
 * complete. An attempt that died while reconciling leaves it to the next one, which redoes it
 * (marking deleted is idempotent).
 */
export async function beginReconciliation(db: Db, key: PassKey): Promise<void> {
  await advance(db, key, ['running', 'reconciling'], { state: 'reconciling' });
}

/**
 * The ids a full pass saw, provided its stored pages chain from the start of the stream to
 * `end` (the cursor of its last page, which had no next page). A page stored again by a zombie
 * of the same pass holds the same records (same cursor, same stream).
 */
export async function seenInCompletePass(db: Db, key: PassKey, end: string | null): Promise<Set<number>> {
  const seen = new Set<number>();
  let after: string | null = null;
  for (let page = 0; ; page++) {
    if (after === end) return seen;
    const stored: PassPage | null = await pages(db).findOne({ _id: pageId(key, after) });
    if (!stored || page > MAX_PAGES_PER_PASS) {
      throw new PassIncompleteError(
        `the stored pages of the ${key.stream} pass of tenant ${key.tenantId} do not cover the stream from its start to ${end ?? 'the start'}: deletions are not reconciled`,
      );
    }
    for (const id of stored.dbIds) seen.add(id);
    if (stored.end === after)
      throw new PassIncompleteError(
        `a stored page of the ${key.stream} pass of tenant ${key.tenantId} does not move its cursor`,
      );
    after = stored.end;
  }
}

/** More pages than any stream has: a chain longer than this loops. */
const MAX_PAGES_PER_PASS = 1_000_000;

/** Deletes a pass's stored pages, following them from the start by `_id`. */
async function dropPages(db: Db, key: PassKey): Promise<void> {
  let after: string | null = null;
  for (let page = 0; page <= MAX_PAGES_PER_PASS; page++) {
    const stored: PassPage | null = await pages(db).findOneAndDelete({ _id: pageId(key, after) });
    if (!stored || stored.end === after) return;
    after = stored.end;
  }
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
  await advance(db, key, ['running', 'reconciling'], { state: 'complete', result, checkpoint });
  heldVersions.delete(heldKey(key));
  await dropPages(db, key);
}

function supersededBy(key: PassKey): PassSupersededError {
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
  const pass = (await ledger(db, { tenantId, stream }).latest())?.value;
  if (!pass || !pass.passId.startsWith(`${runId}:`) || pass.state === 'complete') return null;
  return { mode: pass.progress.mode, counts: pass.progress.counts, startedAt: pass.progress.startedAt };
}
