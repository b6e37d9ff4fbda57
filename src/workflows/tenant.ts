import {
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureMessage, pauseAfterFailedRound } from './rounds';
import { resyncSignal, statusQuery, type TenantWorkflowInput } from '../temporal/definitions';
import { TenantState } from './tenant-state';

/** About five minutes of attempts; then the requests wait for another round (below). */
const { dispatchResync } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Versions the failed-dispatch handling below: histories recorded before it replay as they ran. */
export const DISPATCH_RETRY_ROUNDS_PATCH = 'tenant-dispatch-retry-rounds';

/**
 * One long-lived workflow per tenant: receives resync signals and hands them to the tenant's
 * schedules, which never run a data type twice at once (a resync during a run is buffered
 * once, so any number of signals coalesce). Continues as new before its history grows large.
 */
export async function tenantWorkflow(input: TenantWorkflowInput): Promise<void> {
  const state = new TenantState(input.tenantId, new Date().toISOString(), input.carried);
  setHandler(resyncSignal, (request) => state.request(request ?? {}, new Date().toISOString()));
  setHandler(statusQuery, () => state.status());

  let failedRounds = 0;
  for (;;) {
    await condition(() => state.pending.length > 0 || historyIsLarge());
    if (state.pending.length > 0) {
      const records = state.takePending();
      const dataTypes = records.some((r) => r.dataTypes.length === 0)
        ? []
        : [...new Set(records.flatMap((r) => r.dataTypes))];
      const full = records.some((r) => r.full);
      const allowMassDelete = records.some((r) => r.allowMassDelete === true);
      const requestIds = records.flatMap((r) => (r.requestId ? [r.requestId] : []));
      let ignored: string[];
      try {
        ({ ignored } = await dispatchResync({
          tenantId: input.tenantId,
          dataTypes,
          full,
          ...(allowMassDelete ? { allowMassDelete } : {}),
          ...(requestIds.length > 0 ? { requestIds } : {}),
        }));
      } catch (error) {
        // The dispatch ran out of attempts (MongoDB or Temporal unreachable for minutes): the
        // long-lived tenant workflow must not fail with it, nor lose the requests. They go back
        // to the front of the queue (merged with any that came meanwhile) for another round.
        if (isCancellation(error) || !patched(DISPATCH_RETRY_ROUNDS_PATCH)) throw error;
        failedRounds += 1;
        state.requeue(records);
        const pauseMs = pauseAfterFailedRound(failedRounds);
        log.warn('resync dispatch failed; retrying after a pause', {
          tenantId: input.tenantId,
          round: failedRounds,
          pauseSeconds: pauseMs / 1000,
          reason: failureMessage(error),
        });
        await sleep(pauseMs);
        if (historyIsLarge()) {
          await continueAsNew<typeof tenantWorkflow>({ tenantId: input.tenantId, carried: state.status() });
        }
        continue;
      }
      failedRounds = 0;
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
