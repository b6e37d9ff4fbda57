import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { DATA_TYPES, scheduledJobNames } from '../domain/data-types';
import { invoiceCounts } from '../invoices/outbox';
import { purgeTenantDocuments } from '../store/collections';
import type { TenantSchemaCheck } from '../store/tenant-record';
import type { TenantConfigInput, TenantSettings } from '../domain/tenant';
import { scheduleId, tenantWorkflowId } from '../temporal/ids';
import { TenantIdKey } from '../temporal/search-attributes';
import { ensureTenantWorkflow } from '../temporal/starters';
import { starterOf, type ClientContext } from './context';
import { TenantHasOpenInvoicesError } from './errors';
import { invalid, parseTenantId, parseTenantInput, validateTenantConfig } from './input';
import { checkBeforeSaving } from './xledger-check';
import { pushedTypesFor, unregisterPush, watchPushNow } from './push';
import { requestResync, type ResyncTicket } from './resync';
import { afterTenantSaved, recoverTenant, tokenChange, type AfterSave } from './tenant-state';

/** A tenant's life through the client API: onboard or change, resync, pause, resume, remove. */

export interface UpsertTenantOptions {
  /**
   * Save the tenant even when operations it needs do not fit Xledger's schema; the mismatches
   * stay in its status as a warning.
   */
  acceptSchemaMismatch?: boolean;
  /**
   * A new tenant's first full sync of every enabled data type starts at once (default true);
   * false leaves each data type to its schedule's first slot.
   */
  firstSync?: boolean;
}

/** The saved tenant, what the live schema check found, its first sync and any recovery. */
export type UpsertedTenant = TenantSettings & { schemaCheck: TenantSchemaCheck } & AfterSave;

const upsertOptionsSchema = z
  .object({ acceptSchemaMismatch: z.boolean().optional(), firstSync: z.boolean().optional() })
  .strict();

const resyncOptionsSchema = z
  .object({
    /** Data types to resync; all the tenant's enabled types when absent or empty. */
    dataTypes: z.array(z.enum(DATA_TYPES)).optional(),
    /** Full pass (also reconciles deletions) instead of incremental. */
    full: z.boolean().optional(),
    /** Let this full pass apply deletions that the mass-deletion guard held back. */
    allowMassDelete: z.boolean().optional(),
  })
  .refine((options) => !options.allowMassDelete || options.full === true, {
    message: 'allowMassDelete needs a full resync (full: true)',
    path: ['allowMassDelete'],
  });

/**
 * forceResync's options, as SEMINE passes them: the schema's input, and how long to wait for the
 * runs to start (default TEMPORAL_TIMEOUT_MS; 0: not at all). The ticket's request id is the
 * client's own, never an option.
 */
export type ResyncOptions = z.input<typeof resyncOptionsSchema> & { waitForRunsMs?: number };

export async function getTenant(ctx: ClientContext, tenantId: string): Promise<TenantSettings> {
  return ctx.tenants.get(parseTenantId(tenantId));
}

/** See XledgerSyncClient.upsertTenant. */
export async function upsertTenant(
  ctx: ClientContext,
  input: TenantConfigInput,
  options: UpsertTenantOptions,
): Promise<UpsertedTenant> {
  const config = validateTenantConfig(input, ctx.config);
  const parsedOptions = upsertOptionsSchema.safeParse(options);
  if (!parsedOptions.success) throw invalid(input, parsedOptions.error);
  const settings = ctx.tenants.settingsOf(config);
  const schemaCheck = await checkBeforeSaving(
    ctx,
    settings,
    config.xledger.token,
    parsedOptions.data.acceptSchemaMismatch === true,
  );
  const change = await tokenChange(ctx.tenants, config.tenantId, config.xledger.token);
  const wasPaused = await isPaused(ctx, config.tenantId);
  // Push switched off: its webhooks leave Xledger (with the token being saved, which sees them).
  if (!settings.push) await unregisterPush(ctx, settings, config.xledger.token);
  await ctx.tenants.save(config, new Date(), schemaCheck);
  await ctx.schedules.upsert(settings, wasPaused, await pushedTypesFor(ctx, settings));
  await ensureTenantWorkflow(starterOf(ctx), config.tenantId);
  if (settings.push) await watchPushNow(ctx, config.tenantId);
  const after = await afterTenantSaved(ctx, settings, change, {
    firstSync: parsedOptions.data.firstSync !== false,
  });
  return { ...settings, schemaCheck, ...after };
}

/**
 * Sends the `resync` signal to the tenant workflow (starting it if needed) and returns the runs
 * that took it (see XledgerSyncClient.forceResync).
 */
export async function forceResync(
  ctx: ClientContext,
  tenantId: string,
  options: ResyncOptions,
): Promise<ResyncTicket> {
  const { waitForRunsMs = ctx.config.temporal.timeoutMs, ...rest } = options;
  const { id, data: request } = parseTenantInput(tenantId, resyncOptionsSchema, rest);
  const tenant = await ctx.tenants.get(id);
  return requestResync(ctx, tenant, request, Math.max(0, waitForRunsMs));
}

/** Pauses or resumes every schedule of the tenant. */
export async function setPaused(
  ctx: ClientContext,
  tenantId: string,
  paused: boolean,
  note: string,
): Promise<void> {
  const tenant = await getTenant(ctx, tenantId);
  await ctx.schedules.setPaused(tenant, paused, note);
  // A resume also ends a needs-attention episode (tenant.recovered, a resync of every type).
  if (!paused) await recoverTenant(ctx, tenant, 'resumed');
}

/** See XledgerSyncClient.removeTenant. */
export async function removeTenant(
  ctx: ClientContext,
  tenantId: string,
  options: { purge?: boolean; force?: boolean },
): Promise<void> {
  const id = parseTenantId(tenantId);
  const tenant = await ctx.tenants.get(id);
  const invoices = await invoiceCounts(ctx.store.db, id);
  const open = invoices.pending + invoices.posting + invoices.accepted + invoices.retrying;
  if (open > 0 && !options.force) throw new TenantHasOpenInvoicesError(id, open);
  await ctx.schedules.removeAll(id);
  // Before the token goes: Xledger would otherwise deliver to a tenant that no longer exists.
  await unregisterPush(ctx, tenant, await ctx.tenants.token(id));
  const running = ctx.temporal.workflow.list({
    query: `${TenantIdKey.name} = "${id}" AND ExecutionStatus = "Running"`,
  });
  const handles = [ctx.temporal.workflow.getHandle(tenantWorkflowId(id))];
  for await (const execution of running) {
    if (execution.workflowId !== tenantWorkflowId(id)) {
      handles.push(ctx.temporal.workflow.getHandle(execution.workflowId, execution.runId));
    }
  }
  for (const handle of handles) {
    try {
      await handle.terminate('tenant removed');
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  if (options.purge) await purgeTenantDocuments(ctx.store.db, id);
  await ctx.tenants.remove(id);
}

async function isPaused(ctx: ClientContext, tenantId: string): Promise<boolean> {
  // Side by side: a new tenant has none of them, and each miss is a round trip.
  const states = await Promise.all(
    scheduledJobNames.map((name) =>
      ctx.temporal.schedule
        .getHandle(scheduleId(tenantId, name))
        .describe()
        .then(
          (description) => description.state.paused,
          () => undefined,
        ),
    ),
  );
  return states.find((paused) => paused !== undefined) ?? false;
}
