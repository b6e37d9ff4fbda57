import type { Db } from 'mongodb';
import { eventIds } from '../domain/event-catalogue';
import { publishEvent } from '../events/publish';
import { collections } from '../store/collections';
import type { StoredRun } from '../store/runs';
import {
  clearAttention,
  loadDataTypeRecords,
  loadTenantState,
  loadTenantStates,
  markOnboarded,
  type Attention,
  type Recovery,
  type StoredTenantState,
} from '../store/tenant-state';
import { UnknownTenantError, type TenantStore } from '../store/tenants';
import { tenantCost, type TenantCost } from '../domain/cost';
import {
  attentionAdvice,
  attentionHolds,
  dataTypeState,
  dataTypeStateNames,
  matchesStates,
  parseStateList,
  tenantStateOf,
  type DataTypeStateName,
  type RunFailure,
} from '../domain/data-type-state';
import type { TenantSettings } from '../domain/tenant';
import { scheduleId } from '../temporal/ids';
import { DataTypeKey, TenantIdKey } from '../temporal/search-attributes';
import { WorkflowType } from '../temporal/definitions';
import type { ClientContext } from './context';
import { InvalidInputError } from './errors';
import { enabledDataTypes, requestResync, type ResyncTicket } from './resync';

/**
 * The client's view of tenant and data type states (src/domain/data-type-state.ts): the store's
 * records of run outcomes, with what only Temporal knows (a paused schedule, a run under way);
 * onboarding (the first sync at once) and recovery from needs-attention; and the tenant's cost.
 */

/** What tenantStatus adds to each data type. */
export interface DataTypeStateFields {
  /** null for `invoices` (the posting schedule has no runs of its own). */
  state: DataTypeStateName | null;
  lastSuccessAt: string | null;
  lastFailure: RunFailure | null;
  consecutiveFailures: number;
}

export interface TenantStateView {
  /** The most pressing of its data types' states. */
  state: DataTypeStateName;
  dataTypes: Record<string, DataTypeStateName>;
  /** Set while the tenant needs attention: why, since when, and what to do. */
  needsAttention: (Attention & { advice: string }) | null;
  lastRecovery: Recovery | null;
  onboardedAt: string | null;
  /** When every enabled data type had completed its first sync; null until then. */
  readyAt: string | null;
}

/** Whether the tenant's needs-attention episode stops its data types' runs. */
function holdsSyncs(stored: StoredTenantState | null): boolean {
  return stored?.attention != null && attentionHolds(stored.attention.reason, 'syncs');
}

function viewOf(
  stored: StoredTenantState | null,
  dataTypes: Record<string, DataTypeStateName>,
): TenantStateView {
  const attention = stored?.attention ?? null;
  return {
    // A duplicated invoice holds only posting (its data types keep syncing): the tenant still needs attention.
    state: attention ? 'needs_attention' : tenantStateOf(Object.values(dataTypes)),
    dataTypes,
    needsAttention: attention ? { ...attention, advice: attentionAdvice(attention.reason) } : null,
    lastRecovery: stored?.lastRecovery ?? null,
    onboardedAt: stored?.onboardedAt ?? null,
    readyAt: stored?.readyAt ?? null,
  };
}

/**
 * The state of each of a tenant's data types, given what its schedules say (tenantStatus has
 * described them): fills in each status's state fields and returns the tenant's state.
 */
export async function stateForStatus(
  db: Db,
  tenantId: string,
  statuses: Array<{ dataType: string; paused: boolean; runningNow: boolean } & Partial<DataTypeStateFields>>,
): Promise<TenantStateView> {
  const stored = await loadTenantState(db, tenantId);
  const synced = statuses.filter((status) => status.dataType !== 'invoices');
  const records = await loadDataTypeRecords(
    db,
    tenantId,
    synced.map((status) => status.dataType),
  );
  const states: Record<string, DataTypeStateName> = {};
  for (const status of statuses) {
    const record = records.get(status.dataType) ?? null;
    const state =
      status.dataType === 'invoices'
        ? null
        : dataTypeState(record, {
            needsAttention: holdsSyncs(stored),
            paused: status.paused,
            running: status.runningNow,
          });
    if (state) states[status.dataType] = state;
    Object.assign(status, {
      state,
      lastSuccessAt: record?.lastSuccessAt ?? null,
      lastFailure: record?.lastFailure ?? null,
      consecutiveFailures: record?.consecutiveFailures ?? 0,
    } satisfies DataTypeStateFields);
  }
  return viewOf(stored, states);
}

export type ListedTenant = TenantSettings & { state: TenantStateView };

/** A state filter (`failed,needs_attention`, or an array), or InvalidInputError naming `state`. */
export function parseStateFilter(value: string | readonly string[]): DataTypeStateName[] {
  const states = parseStateList(value);
  if (states) return states;
  throw new InvalidInputError(undefined, [
    { field: 'state', message: `must be states among ${dataTypeStateNames.join(', ')}` },
  ]);
}

/**
 * listTenants' filter: one state, several, or a comma list (`'failed,needs_attention'`); a
 * misspelt state fails to compile (and is refused at run time).
 */
export interface ListTenantsFilter {
  state?: DataTypeStateName | readonly DataTypeStateName[] | `${DataTypeStateName},${string}`;
}

/** See XledgerSyncClient.listTenants: the state filter is checked before anything is read. */
export async function listTenants(ctx: ClientContext, filter: ListTenantsFilter): Promise<ListedTenant[]> {
  const states = filter.state === undefined ? null : parseStateFilter(filter.state);
  return listWithState(ctx, await ctx.tenants.list(), states);
}

/**
 * Every tenant with its state, optionally only those where it or one of its data types is in
 * one of `states`. Temporal is asked twice for the whole fleet: the schedules (paused) and the
 * sync runs under way (visibility, which may lag a moment behind).
 */
export async function listWithState(
  ctx: ClientContext,
  tenants: TenantSettings[],
  states: DataTypeStateName[] | null,
): Promise<ListedTenant[]> {
  const paused = new Set<string>();
  for await (const schedule of ctx.temporal.schedule.list()) {
    if (schedule.state.paused) paused.add(schedule.scheduleId);
  }
  const running = new Set<string>();
  for await (const execution of ctx.temporal.workflow.list({
    query: `WorkflowType = "${WorkflowType.syncDataType}" AND ExecutionStatus = "Running" AND TaskQueue = "${ctx.config.temporal.taskQueue}"`,
  })) {
    const tenantId = execution.typedSearchAttributes.get(TenantIdKey);
    const dataType = execution.typedSearchAttributes.get(DataTypeKey);
    if (tenantId && dataType) running.add(`${tenantId}:${dataType}`);
  }
  const stored = await loadTenantStates(
    ctx.store.db,
    tenants.map((tenant) => tenant.tenantId),
  );
  const listed: ListedTenant[] = [];
  for (const tenant of tenants) {
    const types = enabledDataTypes(tenant);
    const records = await loadDataTypeRecords(ctx.store.db, tenant.tenantId, types);
    const tenantState = stored.get(tenant.tenantId) ?? null;
    const dataTypes: Record<string, DataTypeStateName> = {};
    for (const type of types) {
      dataTypes[type] = dataTypeState(records.get(type) ?? null, {
        needsAttention: holdsSyncs(tenantState),
        paused: paused.has(scheduleId(tenant.tenantId, type)),
        running: running.has(`${tenant.tenantId}:${type}`),
      });
    }
    const view = viewOf(tenantState, dataTypes);
    if (!states || matchesStates(view, states)) listed.push({ ...tenant, state: view });
  }
  return listed;
}

/** The tenant's Xledger requests and MB over the last 24 h and 30 days, and the month ahead. */
export async function costOf(db: Db, tenantId: string, now = Date.now()): Promise<TenantCost> {
  const since = new Date(now - 30 * 24 * 3_600_000).toISOString();
  const runs = await db
    .collection<StoredRun>(collections.runs)
    .find(
      { tenantId, startedAt: { $gt: since } },
      {
        projection: { startedAt: 1, 'totals.requests': 1, 'totals.bytesSent': 1, 'totals.bytesReceived': 1 },
      },
    )
    .toArray();
  return tenantCost(
    runs.map((run) => ({
      startedAt: run.startedAt,
      requests: run.totals?.requests ?? 0,
      bytesSent: run.totals?.bytesSent ?? 0,
      bytesReceived: run.totals?.bytesReceived ?? 0,
    })),
    now,
  );
}

/** Whether a tenant about to be saved is new, and whether its token changes. Never returns a token. */
export async function tokenChange(
  tenants: TenantStore,
  tenantId: string,
  token: string,
): Promise<'created' | 'replaced' | 'same'> {
  try {
    return (await tenants.token(tenantId)) === token ? 'same' : 'replaced';
  } catch (error) {
    if (error instanceof UnknownTenantError) return 'created';
    // A stored token that cannot be read (e.g. another encryption key) is being replaced.
    return 'replaced';
  }
}

export interface AfterSave {
  /** A new tenant's first sync: a full resync of every enabled data type (null when opted out or not new). */
  firstSync: ResyncTicket | null;
  /** A new token ended the tenant's needs-attention episode. */
  recovered: Recovery | null;
}

/**
 * After a tenant was saved: a new tenant is onboarded (its first full sync starts at once,
 * through the resync path, so it coalesces with anything else); a new token ends a
 * needs-attention episode.
 */
export async function afterTenantSaved(
  ctx: ClientContext,
  tenant: TenantSettings,
  change: 'created' | 'replaced' | 'same',
  options: { firstSync: boolean },
): Promise<AfterSave> {
  if (change === 'created') {
    await markOnboarded(ctx.store.db, tenant.tenantId);
    const firstSync = options.firstSync ? await requestResync(ctx, tenant, { full: true }, 0) : null;
    return { firstSync, recovered: null };
  }
  const recovered = change === 'replaced' ? await recoverTenant(ctx, tenant, 'token_replaced') : null;
  return { firstSync: null, recovered };
}

/**
 * Ends the tenant's needs-attention episode (a new token, or an operator's resume): records
 * `tenant.recovered` and resyncs every enabled data type at once, so nothing waits for its
 * next schedule slot. Null when the tenant did not need attention.
 */
export async function recoverTenant(
  ctx: ClientContext,
  tenant: TenantSettings,
  cause: Recovery['cause'],
): Promise<Recovery | null> {
  const cleared = await clearAttention(ctx.store.db, tenant.tenantId, cause);
  if (!cleared) return null;
  const { recovery } = cleared;
  const publisher = { db: ctx.store.db, temporal: ctx.temporal, taskQueue: ctx.config.temporal.taskQueue };
  await publishEvent(publisher, {
    id: eventIds.tenantRecovered(tenant.tenantId, recovery.episode),
    tenantId: tenant.tenantId,
    type: 'tenant.recovered',
    data: { cause: recovery.cause },
    occurredAt: new Date(recovery.at),
  });
  if (!cleared.now) return null;
  await requestResync(ctx, tenant, {}, 0);
  return recovery;
}
