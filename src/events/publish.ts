import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { recordEvent, type StoredEvent } from '../store/events';
import { eventsWorkflowId } from '../temporal/ids';
import { TenantIdKey } from '../temporal/search-attributes';
import {
  deliverTenantEventsWorkflow,
  eventsRecordedSignal,
  redeliverEventSignal,
  type DeliverTenantEventsInput,
} from '../workflows';
import type { NewEvent } from './catalogue';

/** What recording an event and waking its delivery need (activities' deps and the client have it). */
export interface EventPublisherDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/**
 * Records the event (once, whatever retries) and wakes the tenant's delivery workflow. Call it
 * in the step that records the outcome: if the wake-up fails, the step fails and is retried,
 * and the second recording is a no-op. A wake-up lost anyway (a process that dies and is not
 * retried) is made up by the sweep (events/sweep-schedule.ts).
 */
export async function publishEvent(deps: EventPublisherDeps, event: NewEvent): Promise<StoredEvent> {
  const stored = await recordEvent(deps.db, event);
  await wakeDelivery(deps, event.tenantId);
  return stored;
}

/** Starts the tenant's delivery workflow, or tells the running one that events wait (or which to send again). */
export async function wakeDelivery(
  deps: Pick<EventPublisherDeps, 'temporal' | 'taskQueue'>,
  tenantId: string,
  redeliver?: { key: string },
): Promise<void> {
  const start = {
    workflowId: eventsWorkflowId(tenantId),
    taskQueue: deps.taskQueue,
    args: [{ tenantId }] as [DeliverTenantEventsInput],
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
  };
  if (redeliver) {
    await deps.temporal.workflow.signalWithStart(deliverTenantEventsWorkflow, {
      ...start,
      signal: redeliverEventSignal,
      signalArgs: [redeliver],
    });
  } else {
    await deps.temporal.workflow.signalWithStart(deliverTenantEventsWorkflow, {
      ...start,
      signal: eventsRecordedSignal,
      signalArgs: [],
    });
  }
}
