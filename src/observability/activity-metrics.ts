import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { SyncRunSummary } from '../domain/figures';
import { invoiceOutcomes, observeRun, syncFailures, type InvoiceOutcomeLabel } from './metrics';
import { SYNC_PASS_ACTIVITIES } from '../activities/sync-streams';

/**
 * Counts what activities report, in one place instead of inside each activity: a recorded run's
 * figures (recordRun), invoice outcomes (validateInvoice, postInvoice, checkInvoiceOutcome) and
 * failed sync passes (syncStreams). Reads arguments and results only; never changes them.
 *
 * An activity retried after its completion was lost counts again: the counters are for rates and
 * alerts, the outbox and sync_runs stay the record.
 */
export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const activity = ctx.info.activityType;
      const [first] = input.args as [Record<string, unknown> | undefined];
      try {
        const result = await next(input);
        observeResult(activity, first, result);
        return result;
      } catch (error) {
        observeFailure(activity, first, error);
        throw error;
      }
    },
  },
});

function observeResult(activity: string, input: Record<string, unknown> | undefined, result: unknown): void {
  const tenant = typeof input?.tenantId === 'string' ? input.tenantId : undefined;
  if (activity === 'recordRun' && input) {
    observeRun(input as unknown as SyncRunSummary);
  } else if (tenant && activity === 'validateInvoice') {
    if ((result as { ok?: boolean }).ok === false) invoice(tenant, 'rejected');
  } else if (tenant && activity === 'postInvoice') {
    // posted/rejected are counted once, by the outcome check that always follows a post.
    invoice(tenant, (result as { foundExisting?: number }).foundExisting ? 'found_existing' : 'sent');
  } else if (tenant && activity === 'checkInvoiceOutcome') {
    const outcome = (result as { outcome?: string }).outcome;
    if (outcome === 'posted' || outcome === 'rejected') invoice(tenant, outcome);
  }
}

function observeFailure(activity: string, input: Record<string, unknown> | undefined, error: unknown): void {
  // A worker's shutdown cancels what still runs: not a failure of the work.
  if (error instanceof CancelledFailure) return;
  const tenant = typeof input?.tenantId === 'string' ? input.tenantId : undefined;
  if (!tenant) return;
  const type = error instanceof ApplicationFailure ? error.type : undefined;
  if (SYNC_PASS_ACTIVITIES.includes(activity) && typeof input?.dataType === 'string') {
    syncFailures.inc({
      tenant,
      data_type: input.dataType,
      failure: type ?? (error instanceof Error ? error.name : 'Error'),
    });
  } else if (['validateInvoice', 'postInvoice', 'checkInvoiceOutcome'].includes(activity)) {
    invoice(tenant, type === 'InvoiceRejected' ? 'rejected' : 'retried');
  }
}

function invoice(tenant: string, outcome: InvoiceOutcomeLabel): void {
  invoiceOutcomes.inc({ tenant, outcome });
}
