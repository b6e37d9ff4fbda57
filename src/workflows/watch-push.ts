import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WatchPushResult } from '../temporal/definitions';

/** A few Xledger requests; retried like any Xledger call (rate limits, credits wait in the client). */
const { watchPush } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/**
 * Run by a push tenant's `pushWatch` schedule (and triggered at onboarding): registers the
 * webhooks its data types need, reads their states, registers again what Xledger paused or
 * faulted, and re-times the data types' schedules (activities/push-watch.ts).
 */
export async function watchPushWorkflow(input: { tenantId: string }): Promise<WatchPushResult> {
  return watchPush(input);
}
