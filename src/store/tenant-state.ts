import type { Db } from 'mongodb';
import type { AttentionReason, TenantRecovered } from '../domain/event-catalogue';
import { attentionHolds, type DataTypeRecord } from '../domain/data-type-state';
import { collections } from './collections';
import { insertClaim, VersionedRegister } from './versioned';

/**
 * What runs' outcomes leave behind, per data type and per tenant (the state derivation is in
 * src/domain/data-type-state.ts). Every look-up is by `_id`, so FerretDB pushes it down.
 *
 * - `data_type_states`, `_id` = `<tenant>:<dataType>`: last success, last failure, consecutive
 *   failures.
 * - `tenant_states`, a versioned register per tenant (store/versioned.ts): whether the tenant needs attention (and since when, why,
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

/**
 * The tenant's state is a versioned register (store/versioned.ts): every change reads the
 * current version and inserts the next, so two runs changing it at once never overwrite each
 * other and it never moves back (an episode ended stays ended), on FerretDB as on MongoDB.
 */
type TenantStateValue = Omit<StoredTenantState, '_id'>;
const tenantState = (db: Db, tenantId: string) =>
  new VersionedRegister<TenantStateValue>(db, collections.tenantStates, tenantId, tenantId);

const NEW_TENANT_STATE = (tenantId: string): TenantStateValue => ({
  tenantId,
  attention: null,
  episodes: 0,
  lastRecovery: null,
  onboardedAt: null,
  readyAt: null,
});

/** Changes the tenant's state: `change` returns the fields to change, or undefined for none. */
async function changeTenantState(
  db: Db,
  tenantId: string,
  change: (state: TenantStateValue) => Partial<TenantStateValue> | undefined,
): Promise<TenantStateValue> {
  const { version } = await tenantState(db, tenantId).change((current) => {
    const state = current?.value ?? NEW_TENANT_STATE(tenantId);
    const fields = change(state);
    return fields ? { ...state, ...fields } : undefined;
  });
  return version?.value ?? NEW_TENANT_STATE(tenantId);
}

export async function loadTenantState(db: Db, tenantId: string): Promise<StoredTenantState | null> {
  const current = await tenantState(db, tenantId).latest();
  return current ? { _id: tenantId, ...current.value } : null;
}

/** The attention the tenant needs, or null. */
export async function tenantAttention(db: Db, tenantId: string): Promise<Attention | null> {
  return (await loadTenantState(db, tenantId))?.attention ?? null;
}

/**
 * The attention that holds back this kind of work (domain/data-type-state.ts' attentionHolds),
 * or null: what a run checks before it asks Xledger anything.
 */
export async function attentionHolding(
  db: Db,
  tenantId: string,
  work: 'syncs' | 'posting',
): Promise<Attention | null> {
  const attention = await tenantAttention(db, tenantId);
  return attention && attentionHolds(attention.reason, work) ? attention : null;
}

/** The tenant states of the given tenants, one register read each. */
export async function loadTenantStates(
  db: Db,
  tenantIds: readonly string[],
): Promise<Map<string, StoredTenantState | null>> {
  const found = await Promise.all(tenantIds.map((tenantId) => loadTenantState(db, tenantId)));
  return new Map(tenantIds.map((tenantId, i) => [tenantId, found[i] ?? null]));
}

/** A new tenant: onboarded now, its first sync not yet complete. */
export async function markOnboarded(db: Db, tenantId: string, now = new Date()): Promise<void> {
  await changeTenantState(db, tenantId, () => ({ onboardedAt: now.toISOString(), readyAt: null }));
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
  if (await insertClaim(transitions, transition)) return { transition, mine: true };
  const earlier = await transitions.findOne({ _id: transition._id });
  if (!earlier) throw new Error(`The transition ${transition._id} was claimed, then removed`);
  return { transition: earlier, mine: false };
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
  await changeTenantState(db, tenantId, (state) =>
    state.episodes < episode ? { attention: transition.attention!, episodes: episode } : undefined,
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
  await changeTenantState(db, tenantId, (state) =>
    state.attention?.episode === episode
      ? { attention: null, lastRecovery: transition.recovery! }
      : undefined,
  );
  return { recovery: transition.recovery!, now: mine };
}

/**
 * Marks the tenant's first sync complete. Returns when it was (now, or earlier: its event is
 * recorded again, a no-op).
 */
export async function markReady(db: Db, tenantId: string, now = new Date()): Promise<string> {
  const state = await changeTenantState(db, tenantId, (current) =>
    current.readyAt === null ? { readyAt: now.toISOString() } : undefined,
  );
  return state.readyAt ?? now.toISOString();
}
