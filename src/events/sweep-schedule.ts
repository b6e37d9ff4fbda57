import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { eventSweepScheduleId } from '../temporal/ids';
import { sweepEventDeliveryWorkflow } from '../workflows';

export const EVENT_SWEEP_INTERVAL = '5 minutes';

/**
 * The service's one sweep schedule for events (workflows/sweep-event-delivery.ts), created by
 * the worker at start if it does not exist yet (several workers: the first one wins, the
 * others find it).
 */
export async function ensureEventSweepSchedule(temporal: Client, taskQueue: string): Promise<void> {
  try {
    await temporal.schedule.create({
      scheduleId: eventSweepScheduleId(taskQueue),
      spec: { intervals: [{ every: EVENT_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: sweepEventDeliveryWorkflow,
        taskQueue,
        args: [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
