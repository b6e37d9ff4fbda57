import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import {
  WorkflowType,
  eventsRecordedSignal,
  redeliverEventSignal,
  resyncSignal,
  skipEventSignal,
  type DeliverTenantEventsWorkflow,
  type PostInvoiceWorkflow,
  type ResyncRequest,
  type TenantWorkflow,
} from './definitions';
import {
  eventSweepScheduleId,
  eventsWorkflowId,
  invoiceWorkflowId,
  scheduleId,
  tenantWorkflowId,
} from './ids';
import { InvoiceIdKey, InvoiceStateKey, TenantIdKey, TriggerKey } from './search-attributes';

/**
 * The one place that starts or signals workflows (a tenant's schedules are made in
 * src/temporal/schedules.ts from the jobs' workflow type names). Workflows are named by their type name
 * (temporal/definitions.ts), never by importing their code, so that nothing but the worker
 * loads workflow code: the client, the CLI and the activities start them from here.
 */

/** Where started workflows run, and the client that starts them. */
export interface WorkflowStarter {
  temporal: Client;
  taskQueue: string;
}

/**
 * Starts the one posting workflow of an invoice. Its id is derived from the invoice key and a
 * used id can never be used again (REJECT_DUPLICATE), so a second posting workflow for the
 * same invoice is impossible, whoever asks (a submit, the schedule, a retry of either).
 * Returns false when it had already been started.
 */
export async function startInvoicePosting(
  temporal: Client,
  taskQueue: string,
  tenantId: string,
  invoiceId: string,
): Promise<boolean> {
  try {
    await temporal.workflow.start<PostInvoiceWorkflow>(WorkflowType.postInvoice, {
      workflowId: invoiceWorkflowId(tenantId, invoiceId),
      taskQueue,
      args: [{ tenantId, invoiceId }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenantId },
        { key: InvoiceIdKey, value: invoiceId },
        { key: InvoiceStateKey, value: 'pending' },
        { key: TriggerKey, value: 'invoice' },
      ],
    });
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw error;
  }
}

/** Starts the tenant's delivery workflow, or tells the running one that events wait (or which to send again). */
export async function wakeDelivery(
  starter: WorkflowStarter,
  tenantId: string,
  redeliver?: { key: string },
): Promise<void> {
  const start = {
    workflowId: eventsWorkflowId(tenantId),
    taskQueue: starter.taskQueue,
    args: [{ tenantId }] as Parameters<DeliverTenantEventsWorkflow>,
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
  };
  if (redeliver) {
    await starter.temporal.workflow.signalWithStart<DeliverTenantEventsWorkflow, [{ key: string }]>(
      WorkflowType.deliverTenantEvents,
      { ...start, signal: redeliverEventSignal, signalArgs: [redeliver] },
    );
  } else {
    await starter.temporal.workflow.signalWithStart<DeliverTenantEventsWorkflow, []>(
      WorkflowType.deliverTenantEvents,
      { ...start, signal: eventsRecordedSignal, signalArgs: [] },
    );
  }
}

/** Tells the tenant's delivery that an event was skipped (starting it, to pass the event, if it does not run). */
export async function signalSkippedEvent(
  starter: WorkflowStarter,
  tenantId: string,
  skipped: { key: string },
): Promise<void> {
  await starter.temporal.workflow.signalWithStart<DeliverTenantEventsWorkflow, [{ key: string }]>(
    WorkflowType.deliverTenantEvents,
    {
      workflowId: eventsWorkflowId(tenantId),
      taskQueue: starter.taskQueue,
      args: [{ tenantId }],
      typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
      signal: skipEventSignal,
      signalArgs: [skipped],
    },
  );
}

/** Starts the tenant's long-lived workflow unless it runs already. */
export async function ensureTenantWorkflow(starter: WorkflowStarter, tenantId: string): Promise<void> {
  try {
    await starter.temporal.workflow.start<TenantWorkflow>(WorkflowType.tenant, {
      workflowId: tenantWorkflowId(tenantId),
      taskQueue: starter.taskQueue,
      args: [{ tenantId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Signals a resync to the tenant's workflow, starting it if it does not run. */
export async function signalResync(
  starter: WorkflowStarter,
  tenantId: string,
  request: ResyncRequest,
): Promise<void> {
  await starter.temporal.workflow.signalWithStart<TenantWorkflow, [ResyncRequest]>(WorkflowType.tenant, {
    workflowId: tenantWorkflowId(tenantId),
    taskQueue: starter.taskQueue,
    args: [{ tenantId }],
    signal: resyncSignal,
    signalArgs: [request],
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
  });
}

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
        workflowType: WorkflowType.sweepEventDelivery,
        taskQueue,
        args: [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}

/**
 * Asks the data type's schedule for a run now, as a resync does: BUFFER_ONE never doubles a run
 * under way, and any number of asks during it coalesce into one more run. The run is the
 * schedule's own (mode `auto`: incremental unless a full pass is due). A paused schedule is left
 * alone: pausing a tenant stops what its schedules would start, pushed changes included.
 */
export async function triggerScheduledSync(
  temporal: Client,
  tenantId: string,
  dataType: string,
): Promise<'triggered' | 'paused' | 'missing'> {
  const handle = temporal.schedule.getHandle(scheduleId(tenantId, dataType));
  try {
    if ((await handle.describe()).state.paused) return 'paused';
    await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
    return 'triggered';
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return 'missing';
    throw error;
  }
}
