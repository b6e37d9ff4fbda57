import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { startPendingInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/** The tenant's invoice schedule (every 5 minutes by default): hands pending invoices to their posting workflows. */
export async function postPendingInvoicesWorkflow(input: {
  tenantId: string;
}): Promise<{ pending: number; started: number }> {
  return startPendingInvoices(input);
}
