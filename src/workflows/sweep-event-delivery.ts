import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { wakePendingDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * Run by the `events-sweep` schedule: wakes the delivery of every tenant whose recorded events
 * no delivery has passed yet. Normally each recording wakes its delivery itself; this catches a
 * wake-up that was lost (a process that died between recording and signalling, and was not
 * retried), so no event waits longer than the sweep interval.
 */
export async function sweepEventDeliveryWorkflow(): Promise<{ woken: number }> {
  return wakePendingDeliveries();
}
