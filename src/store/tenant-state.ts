import { MongoServerError, type Db } from 'mongodb';
import type { AttentionReason, TenantRecovered } from '../events/catalogue';
import type { DataTypeRecord } from '../sync/data-type-state';
import { collections } from './collections';

/**
 * What runs' outcomes leave behind, per data type and per tenant (the state derivation is in
 * src/sync/data-type-state.ts). Every look-up is by `_id`, so FerretDB pushes it down.
 *
 * - `data_type_states`, `_id` = `<tenant>:<dataType>`: last success, last failure, consecutive
 *   failures.
 * - `tenant_states`, `_id` = tenant id: whether the tenant needs attention (and since when, why,
 *   which episode), its last recovery, when it was onboarded and when its first sync completed.
 *
 * - `tenant_state_transitions`: each needs-attention episode raised and ended, claimed once.
 *
 * Events are recorded after the state that they announce, with deterministic ids: a retried
 * step records the same event again, a no-op.
 */

export interface StoredDataTypeState extends DataTypeRecord {
  _id: string;
  tenantId: string;
  dataType: string;
  updatedAt: Date;
}

/** A tenant whose token was refused or lacks a scope: its runs end at once until someone acts. */
export interface Attention {
  /** 1 for the tenant's first time, then 2, …: part of the events' ids. */
  episode: number;
  reason: AttentionReason;
  message: string;
  /** The data type whose run found it. */
  dataType: string;
  since: string;
  /** `<workflowId>:<runId>` of that run. */
  run: string;
}

export interface Recovery {
  episode: number;
  cause: TenantRecovered['cause'];
  at: string;
}

export interface StoredTenantState {
  _id: string;
  tenantId: string;
  attention: Attention | null;
  /** Attention episodes so far. */
  episodes: number;
  lastRecovery: Recovery | null;
  /** When the tenant was onboarded (its first upsert); null for tenants onboarded before this was kept. */
  onboardedAt: string | null;
  /** When every enabled data type had completed its first run; null until then. */
  readyAt: string | null;
}

const dataTypeStateId = (tenantId: string, dataType: string) => `${tenantId}:${dataType}`;
const dataTypeStates = (db: Db) => db.collection<StoredDataTypeState>(collections.dataTypeStates);
const tenantStates = (db: Db) => db.collection<StoredTenantState>(collections.tenantStates);

export async function loadDataTypeRecord(
  db: Db,
  tenantId: string,
  dataType: string,
): Promise<StoredDataTypeState | null> {
  return dataTypeStates(db).findOne({ _id: dataTypeStateId(tenantId, dataType) });
}

/** The records of the given data types (missing ones: null), one `_id` look-up each. */
export async function loadDataTypeRecords(
  db: Db,
  tenantId: string,
  dataTypes: readonly string[],
): Promise<Map<string, StoredDataTypeState | null>> {
  const found = await Promise.all(dataTypes.map((dataType) => loadDataTypeRecord(db, tenantId, dataType)));
  return new Map(dataTypes.map((dataType, i) => [dataType, found[i] ?? null]));
}

/**
 * Applies a run's outcome to its data type's record. Runs of one data type never overlap, so
 * read-then-write is safe; the pure `apply` makes a retried outcome a no-op.
 */
export async function applyToDataTypeRecord(
  db: Db,
  tenantId: string,
  dataType: string,
  apply: (record: DataTypeRecord | null) => DataTypeRecord,
  now = new Date(),
): Promise<DataTypeRecord> {
  const current = await loadDataTypeRecord(db, tenantId, dataType);
  const next = apply(current);
  if (current && next.lastOutcomeRun === current.lastOutcomeRun) return next;
  await dataTypeStates(db).replaceOne(
    { _id: dataTypeStateId(tenantId, dataType) },
    {
      tenantId,
      dataType,
      lastSuccessAt: next.lastSuccessAt,
      lastFailure: next.lastFailure,
      consecutiveFailures: next.consecutiveFailures,
      lastOutcomeRun: next.lastOutcomeRun,
      updatedAt: now,
    },
    { upsert: true },
  );
  return next;
}

export async function loadTenantState(db: Db, tenantId: string): Promise<StoredTenantState | null> {
  return tenantStates(db).findOne({ _id: tenantId });
}

/** The attention the tenant needs, or null: what a run checks before it asks Xledger anything. */
export async function tenantAttention(db: Db, tenantId: string): Promise<Attention | null> {
  return (await loadTenantState(db, tenantId))?.attention ?? null;
}

/** The tenant states of the given tenants, one `_id` look-up each. */
export async function loadTenantStates(
  db: Db,
  tenantIds: readonly string[],
): Promise<Map<string, StoredTenantState | null>> {
  const found = await Promise.all(tenantIds.map((tenantId) => loadTenantState(db, tenantId)));
  return new Map(tenantIds.map((tenantId, i) => [tenantId, found[i] ?? null]));
}

/** Creates the tenant's state document if it has none (so conditional updates find it). */
async function ensureTenantState(db: Db, tenantId: string): Promise<void> {
  try {
    await tenantStates(db).updateOne(
      { _id: tenantId },
      {
        $setOnInsert: {
          tenantId,
          attention: null,
          episodes: 0,
          lastRecovery: null,
          onboardedAt: null,
          readyAt: null,
        },
      },
      { upsert: true },
    );
  } catch (error) {
    // Concurrent upserts of one new document: one inserts it, the others may fail on its _id.
    if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
  }
}

/** A new tenant: onboarded now, its first sync not yet complete. */
export async function markOnboarded(db: Db, tenantId: string, now = new Date()): Promise<void> {
  await ensureTenantState(db, tenantId);
  await tenantStates(db).updateOne(
    { _id: tenantId },
    { $set: { onboardedAt: now.toISOString(), readyAt: null } },
  );
}

/**
 * A transition announced with an event, claimed by inserting it under a deterministic `_id`:
 * the one insert that succeeds made it. (A conditional update is no compare-and-set on FerretDB
 * v1, where concurrent updates of one document can all match; a unique `_id` holds everywhere.)
 * It keeps everything its event says, so whoever finds it — a retried step, a concurrent run —
 * can finish it and record its event again (a no-op).
 */
interface Transition {
  _id: string;
  tenantId: string;
  episode: number;
  attention?: Attention;
  recovery?: Recovery;
}

async function claimTransition(
  db: Db,
  transition: Transition,
): Promise<{ transition: Transition; mine: boolean }> {
  const transitions = db.collection<Transition>(collections.tenantStateTransitions);
  try {
    await transitions.insertOne(transition);
    return { transition, mine: true };
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    const earlier = await transitions.findOne({ _id: transition._id });
    if (!earlier) throw error;
    return { transition: earlier, mine: false };
  }
}

/**
 * Moves the tenant to needs-attention, unless it already needs it. Returns the attention the
 * tenant is in (this run's, or the one another run raised first: its event is recorded again, a
 * no-op) and whether this call raised it.
 */
export async function raiseAttention(
  db: Db,
  tenantId: string,
  attention: Omit<Attention, 'episode'>,
): Promise<{ attention: Attention; mine: boolean }> {
  await ensureTenantState(db, tenantId);
  const current = await loadTenantState(db, tenantId);
  if (current?.attention)
    return { attention: current.attention, mine: current.attention.run === attention.run };
  const episode = (current?.episodes ?? 0) + 1;
  const { transition, mine } = await claimTransition(db, {
    _id: `${tenantId}:attention:${episode}`,
    tenantId,
    episode,
    attention: { ...attention, episode },
  });
  // Whoever claimed it, the tenant shows it now (also when its claimer died before this step).
  await tenantStates(db).updateOne(
    { _id: tenantId, episodes: { $lt: episode } },
    { $set: { attention: transition.attention!, episodes: episode } },
  );
  return { attention: transition.attention!, mine };
}

/**
 * Ends the tenant's needs-attention episode. Returns the recovery to announce and whether this
 * call made it: a call that finds the tenant already recovered from its latest episode returns
 * that recovery (its event is recorded again, a no-op) with `now: false`; null when the tenant
 * is not and was never in an episode.
 */
export async function clearAttention(
  db: Db,
  tenantId: string,
  cause: Recovery['cause'],
  now = new Date(),
): Promise<{ recovery: Recovery; now: boolean } | null> {
  const current = await loadTenantState(db, tenantId);
  if (!current) return null;
  if (!current.attention) {
    const last = current.lastRecovery;
    return last && last.episode === current.episodes ? { recovery: last, now: false } : null;
  }
  const episode = current.attention.episode;
  const { transition, mine } = await claimTransition(db, {
    _id: `${tenantId}:recovery:${episode}`,
    tenantId,
    episode,
    recovery: { episode, cause, at: now.toISOString() },
  });
  await tenantStates(db).updateOne(
    { _id: tenantId, 'attention.episode': episode },
    { $set: { attention: null, lastRecovery: transition.recovery! } },
  );
  return { recovery: transition.recovery!, now: mine };
}

/**
 * Marks the tenant's first sync complete. Returns when it was (now, or earlier: its event is
 * recorded again, a no-op).
 */
export async function markReady(db: Db, tenantId: string, now = new Date()): Promise<string> {
  await ensureTenantState(db, tenantId);
  await tenantStates(db).updateOne(
    { _id: tenantId, readyAt: null },
    { $set: { readyAt: now.toISOString() } },
  );
  return (await loadTenantState(db, tenantId))?.readyAt ?? now.toISOString();
}
