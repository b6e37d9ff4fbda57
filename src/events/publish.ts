import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { recordEvent, type StoredEvent } from '../store/events';
import { getOutboxInvoice } from '../store/invoice-outbox';
import { eventsWorkflowId } from '../temporal/ids';
import { TenantIdKey } from '../temporal/search-attributes';
import type { NewEvent } from './catalogue';
import { invoiceOutcomeEvent } from './outcomes';

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

/** Starts the tenant's delivery workflow, or tells the running one that events wait. */
export async function wakeDelivery(
  deps: Pick<EventPublisherDeps, 'temporal' | 'taskQueue'>,
  tenantId: string,
  signal: { name: 'eventsRecorded' | 'redeliverEvent'; args: unknown[] } = {
    name: 'eventsRecorded',
    args: [],
  },
): Promise<void> {
  await deps.temporal.workflow.signalWithStart('deliverTenantEventsWorkflow', {
    workflowId: eventsWorkflowId(tenantId),
    taskQueue: deps.taskQueue,
    args: [{ tenantId }],
    signal: signal.name,
    signalArgs: signal.args,
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
  });
}

/**
 * Publishes `invoice.posted` / `invoice.rejected` if the stored invoice is in that final state.
 * Called right after the state is stored, and again by a retried step that finds it stored
 * already, so that a process dying between the two writes loses no event.
 */
export async function announceInvoiceOutcome(
  deps: EventPublisherDeps,
  tenantId: string,
  invoiceId: string,
): Promise<void> {
  const stored = await getOutboxInvoice(deps.db, tenantId, invoiceId);
  const event = stored && invoiceOutcomeEvent(stored);
  if (event) await publishEvent(deps, event);
}
