import { Context } from '@temporalio/activity';
import { getDataType } from '../datatypes/registry';
import type { LinkName } from '../datatypes/datatype';
import { noteTicketRun } from '../store/resync-tickets';
import { takeSyncRequest } from '../store/sync-requests';
import { attentionHolding } from '../store/tenant-state';
import { attentionAdvice } from '../domain/data-type-state';
import { requestedMode, type RequestedMode } from '../sync/pass-mode';
import type { ActivityDeps } from './deps';

export interface PlanSyncInput {
  tenantId: string;
  dataType: string;
  /** `auto`: full when the tenant's full-pass interval has passed since the last one. */
  mode: RequestedMode;
}

export type SyncPlan =
  /** `needsAttention`: the tenant's token was refused or lacks a scope; the run ends at once. */
  | { enabled: false; reason: string; needsAttention?: true }
  | {
      enabled: true;
      /**
       * What the run asks of each stream's pass. The pass decides its mode when it starts
       * (sync/pass-mode.ts): plans recorded before that carry a decided `full` or `incremental`
       * here, which the pass takes as a request.
       */
      streams: Array<{ stream: string; mode: RequestedMode; allowMassDelete?: boolean }>;
      link?: LinkName;
      /** Set when this run takes a pending resync request. */
      resync?: { full: boolean; allowMassDelete?: true };
    };

/** What a run of a data type will do for a tenant: which streams, and what it asks of them. */
export function createPlanSync(deps: ActivityDeps) {
  return async function planSync(input: PlanSyncInput): Promise<SyncPlan> {
    const tenant = await deps.tenants.get(input.tenantId);
    const dataType = getDataType(input.dataType);
    if (!dataType.enabledFor(tenant.options)) {
      return { enabled: false, reason: `${dataType.title} is not enabled for tenant ${tenant.tenantId}` };
    }
    const attention = await attentionHolding(deps.db, input.tenantId, 'syncs');
    if (attention) {
      // No Xledger request until a new token is stored or the tenant is resumed; a resync
      // request stays pending for the first run after that.
      return {
        enabled: false,
        needsAttention: true,
        reason: `tenant ${tenant.tenantId} needs attention since ${attention.since} (${attention.reason}: ${attention.message}); runs end at once until someone acts: ${attentionAdvice(attention.reason)}`,
      };
    }
    const { workflowExecution, activityId } = Context.current().info;
    const runId = workflowExecution?.runId ?? activityId;
    const taken = await takeSyncRequest(deps.db, input.tenantId, input.dataType, runId);
    if (taken?.requestIds && workflowExecution) {
      // The clients that asked for it can follow this run (store/resync-tickets.ts).
      await noteTicketRun(deps.db, taken.requestIds, input.dataType, workflowExecution);
    }
    const resync = taken && {
      full: taken.full,
      ...(taken.allowMassDelete ? { allowMassDelete: taken.allowMassDelete } : {}),
    };
    const mode = requestedMode(input.mode, resync);
    const streams = dataType.streams.map((stream) => ({
      stream: stream.name,
      mode,
      // Only a full resync request carries it (store/sync-requests.ts).
      ...(resync?.allowMassDelete ? { allowMassDelete: true } : {}),
    }));
    return {
      enabled: true,
      streams,
      ...(dataType.link ? { link: dataType.link } : {}),
      ...(resync ? { resync } : {}),
    };
  };
}
