import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { TenantState, type ResyncRequest, type TenantWorkflowStatus } from './tenant-state';

export interface TenantWorkflowInput {
  tenantId: string;
  /** State carried over a continue-as-new. */
  carried?: Pick<TenantWorkflowStatus, 'pending' | 'recent'>;
}

/** `{"dataTypes": ["suppliers"], "full": true}` — both optional; plain JSON from the Web UI or CLI. */
export const resyncSignal = defineSignal<[ResyncRequest]>('resync');
export const statusQuery = defineQuery<TenantWorkflowStatus>('status');

const { dispatchResync } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/**
 * One long-lived workflow per tenant: receives resync signals and hands them to the tenant's
 * schedules, which never run a data type twice at once (a resync during a run is buffered
 * once, so any number of signals coalesce). Continues as new before its history grows large.
 */
export async function tenantWorkflow(input: TenantWorkflowInput): Promise<void> {
  const state = new TenantState(input.tenantId, new Date().toISOString(), input.carried);
  setHandler(resyncSignal, (request) => state.request(request ?? {}, new Date().toISOString()));
  setHandler(statusQuery, () => state.status());

  for (;;) {
    await condition(() => state.pending.length > 0 || historyIsLarge());
    if (state.pending.length > 0) {
      const records = state.takePending();
      const dataTypes = records.some((r) => r.dataTypes.length === 0)
        ? []
        : [...new Set(records.flatMap((r) => r.dataTypes))];
      const full = records.some((r) => r.full);
      const allowMassDelete = records.some((r) => r.allowMassDelete === true);
      const { ignored } = await dispatchResync({
        tenantId: input.tenantId,
        dataTypes,
        full,
        ...(allowMassDelete ? { allowMassDelete } : {}),
      });
      state.dispatched(records, ignored, new Date().toISOString());
    }
    if (historyIsLarge() && state.pending.length === 0) {
      await continueAsNew<typeof tenantWorkflow>({ tenantId: input.tenantId, carried: state.status() });
    }
  }
}

function historyIsLarge(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > 2_000;
}
