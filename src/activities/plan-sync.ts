import { Context } from '@temporalio/activity';
import { getDataType } from '../datatypes/registry';
import type { LinkName } from '../datatypes/datatype';
import { loadCheckpoint } from '../store/checkpoints';
import { takeSyncRequest } from '../store/sync-requests';
import type { SyncMode } from '../sync/figures';
import type { ActivityDeps } from './deps';

export interface PlanSyncInput {
  tenantId: string;
  dataType: string;
  /** `auto`: full when the tenant's full-pass interval has passed since the last one. */
  mode: SyncMode | 'auto';
}

export type SyncPlan =
  | { enabled: false; reason: string }
  | {
      enabled: true;
      streams: Array<{ stream: string; mode: SyncMode; allowMassDelete?: boolean }>;
      link?: LinkName;
      /** Set when this run takes a pending resync request. */
      resync?: { full: boolean; allowMassDelete?: true };
    };

/** What a run of a data type will do for a tenant: which streams, incremental or full. */
export function createPlanSync(deps: ActivityDeps) {
  return async function planSync(input: PlanSyncInput): Promise<SyncPlan> {
    const tenant = await deps.tenants.get(input.tenantId);
    const dataType = getDataType(input.dataType);
    if (!dataType.enabledFor(tenant.options)) {
      return { enabled: false, reason: `${dataType.title} is not enabled for tenant ${tenant.tenantId}` };
    }
    const { workflowExecution, activityId } = Context.current().info;
    const runId = workflowExecution?.runId ?? activityId;
    const resync = await takeSyncRequest(deps.db, input.tenantId, input.dataType, runId);
    const mode = resync?.full ? 'full' : input.mode;
    const fullPassDueBefore = Date.now() - tenant.fullPassIntervalHours * 3_600_000;
    const streams = await Promise.all(
      dataType.streams.map(async (stream) => {
        if (mode !== 'auto') {
          return { stream: stream.name, mode, ...(resync?.allowMassDelete ? { allowMassDelete: true } : {}) };
        }
        const checkpoint = await loadCheckpoint(deps.db, input.tenantId, stream.name);
        const fullDue =
          !checkpoint.lastFullPassAt || checkpoint.lastFullPassAt.getTime() <= fullPassDueBefore;
        return { stream: stream.name, mode: (fullDue ? 'full' : 'incremental') as SyncMode };
      }),
    );
    return {
      enabled: true,
      streams,
      ...(dataType.link ? { link: dataType.link } : {}),
      ...(resync ? { resync } : {}),
    };
  };
}
