import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * A sweep that keeps failing ends after a few attempts: the schedule's next run (every 5 minutes
 * by default) sweeps again. Retrying without end would hold the schedule's one run (overlap
 * SKIP) and skip every later sweep. An invoice is never lost by it: it stays pending in the outbox.
 */
const { startPendingInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** The tenant's invoice schedule (every 5 minutes by default): hands pending invoices to their posting workflows. */
export async function postPendingInvoicesWorkflow(input: {
  tenantId: string;
}): Promise<{ pending: number; started: number }> {
  return startPendingInvoices(input);
}
