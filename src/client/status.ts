import { dataTypes } from '../datatypes/registry';
import { invoiceCounts, type InvoiceState } from '../invoices/outbox';
import { scheduleSpecsFor } from '../temporal/schedules';
import { loadCheckpoint } from '../store/checkpoints';
import { latestRuns, type StoredRun } from '../store/runs';
import type { TenantSchemaCheck } from '../store/tenant-record';
import type { DeletionReview } from '../domain/deletion-guard';
import type { TenantSettings } from '../domain/tenant';
import { scheduleId, tenantWorkflowId } from '../temporal/ids';
import { statusQuery } from '../temporal/definitions';
import type { TenantWorkflowStatus } from '../temporal/definitions';
import type { ClientContext } from './context';
import { costOf, stateForStatus, type DataTypeStateFields, type TenantStateView } from './tenant-state';
import type { TenantCost } from '../domain/cost';
import { MongoCreditPool, type CreditPoolView } from '../store/credit-pool';
import { tokenKey } from '../xledger/request-gate';
import { readTenantPush, type TenantPush } from '../store/push-subscriptions';
import { pushedTypesFor } from './push';

/** A tenant's status as the client API reports it: its schedules, runs, invoices and workflow. */

export interface DataTypeStatus extends DataTypeStateFields {
  dataType: string;
  intervalMinutes: number;
  paused: boolean;
  nextRunAt: string | null;
  runningNow: boolean;
  lastRun: StoredRun | null;
  /** The last run's failure, when the most recent run failed. */
  lastError: string | null;
  /**
   * Deletions a full pass held back (a mass deletion) until an operator confirms with a full
   * resync that allows them, or a later full pass finds fewer: one entry per stream.
   */
  heldDeletions: Array<{ stream: string } & DeletionReview>;
}

export interface TenantStatus {
  tenant: TenantSettings;
  paused: boolean;
  /** Each enabled data type, then `invoices` (the posting schedule, which has no run figures). */
  dataTypes: DataTypeStatus[];
  /** The tenant's submitted invoices by state. */
  invoices: Record<InvoiceState, number>;
  /** Live state of the tenant workflow (pending and recent resync requests). */
  workflow: TenantWorkflowStatus | null;
  /** What the live schema check found when the tenant was last saved (null: saved before it existed). */
  schemaCheck: TenantSchemaCheck | null;
  /** Its state (and each data type's, in dataTypes): needs attention, ready, … */
  state: TenantStateView;
  /** Its Xledger requests and MB over the last 24 h and 30 days, and the month they project to. */
  cost: TenantCost;
  /**
   * The token's hourly credit pool: what Xledger last reported left (`rateLimit`, where the
   * tenant's schema has it) and whether the token's requests are paused (src/store/credit-pool.ts);
   * null from a read-only client without tokenEncryptionKey (the pool is keyed by the token,
   * which such a client cannot decrypt).
   */
  credits: CreditPoolView | null;
  /**
   * Push from Xledger (tenants with `push: true`): its webhooks with their states and problems,
   * the data types pushed (polled less often) and those polled at their interval, with why.
   */
  push: TenantPush | null;
}

export async function tenantStatus(ctx: ClientContext, tenant: TenantSettings): Promise<TenantStatus> {
  const specs = scheduleSpecsFor(tenant, await pushedTypesFor(ctx, tenant));
  const statuses = await Promise.all(
    specs.map((spec) => dataTypeStatus(ctx, tenant, spec.dataType, spec.intervalMinutes)),
  );
  return {
    tenant,
    paused: statuses.length > 0 && statuses.every((s) => s.paused),
    dataTypes: statuses,
    invoices: await invoiceCounts(ctx.store.db, tenant.tenantId),
    workflow: await tenantWorkflowStatus(ctx, tenant.tenantId),
    schemaCheck: await ctx.tenants.schemaCheck(tenant.tenantId),
    state: await stateForStatus(ctx.store.db, tenant.tenantId, statuses),
    cost: await costOf(ctx.store.db, tenant.tenantId),
    credits: await creditPool(ctx, tenant),
    push: await readTenantPush(ctx.store.db, tenant.tenantId),
  };
}

/** The token's credit pool, found by the digest of endpoint and token the workers keep it under. */
async function creditPool(ctx: ClientContext, tenant: TenantSettings): Promise<CreditPoolView | null> {
  if (!ctx.readsSecrets) return null;
  const key = tokenKey(tenant.xledger.endpoint, await ctx.tenants.token(tenant.tenantId));
  return new MongoCreditPool(ctx.store.db).view(key);
}

async function dataTypeStatus(
  ctx: ClientContext,
  tenant: TenantSettings,
  dataType: string,
  /** As its schedule runs it: a pushed type's stretched interval. */
  intervalMinutes: number,
): Promise<DataTypeStatus> {
  const [lastRun] = await latestRuns(ctx.store.db, tenant.tenantId, dataType, 1);
  const status: DataTypeStatus = {
    dataType,
    intervalMinutes,
    paused: false,
    nextRunAt: null,
    runningNow: false,
    lastRun: lastRun ?? null,
    lastError: null,
    heldDeletions: await heldDeletions(ctx, tenant.tenantId, dataType),
    // Filled in by stateForStatus once every schedule is described.
    state: null,
    lastSuccessAt: null,
    lastFailure: null,
    consecutiveFailures: 0,
  };
  try {
    const description = await ctx.temporal.schedule
      .getHandle(scheduleId(tenant.tenantId, dataType))
      .describe();
    status.paused = description.state.paused;
    status.nextRunAt = description.info.nextActionTimes[0]?.toISOString() ?? null;
    status.runningNow = description.info.runningActions.length > 0;
    const latest = description.info.recentActions.at(-1);
    if (latest)
      status.lastError = await failureOf(
        ctx,
        latest.action.workflow.workflowId,
        latest.action.workflow.firstExecutionRunId,
      );
  } catch {
    // No schedule (yet): the status says what the store knows.
  }
  return status;
}

async function heldDeletions(
  ctx: ClientContext,
  tenantId: string,
  dataType: string,
): Promise<DataTypeStatus['heldDeletions']> {
  const streams = dataTypes.find((type) => type.name === dataType)?.streams ?? [];
  const held: DataTypeStatus['heldDeletions'] = [];
  for (const stream of streams) {
    const review = (await loadCheckpoint(ctx.store.db, tenantId, stream.name)).deletionReview;
    if (review) held.push({ stream: stream.name, ...review });
  }
  return held;
}

async function failureOf(ctx: ClientContext, workflowId: string, runId: string): Promise<string | null> {
  const handle = ctx.temporal.workflow.getHandle(workflowId, runId);
  const description = await handle.describe();
  if (description.status.name !== 'FAILED' && description.status.name !== 'TIMED_OUT') return null;
  try {
    await handle.result();
    return null;
  } catch (error) {
    const cause = (error as { cause?: { cause?: Error; message?: string } }).cause;
    return cause?.cause?.message ?? cause?.message ?? (error as Error).message;
  }
}

async function tenantWorkflowStatus(
  ctx: ClientContext,
  tenantId: string,
): Promise<TenantWorkflowStatus | null> {
  try {
    return await ctx.temporal.workflow.getHandle(tenantWorkflowId(tenantId)).query(statusQuery);
  } catch {
    return null;
  }
}
