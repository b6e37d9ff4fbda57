/**
 * Workflow and schedule ids, readable in the Web UI and derived, never random, so that a
 * second start for the same thing finds the first one.
 */
export const syncWorkflowId = (tenantId: string, dataType: string) => `sync:${tenantId}:${dataType}`;
export const tenantWorkflowId = (tenantId: string) => `tenant:${tenantId}`;
export const scheduleId = (tenantId: string, dataType: string) => `schedule:${tenantId}:${dataType}`;
export const invoiceWorkflowId = (tenantId: string, invoiceId: string) => `invoice:${tenantId}:${invoiceId}`;
export const pendingInvoicesWorkflowId = (tenantId: string) => `invoices:${tenantId}`;
/** One per tenant: delivers its events in order (workflows/deliver-tenant-events.ts). */
export const eventsWorkflowId = (tenantId: string) => `events:${tenantId}`;
/** The service's sweep for events no delivery was told about (temporal/starters.ts). */
export const eventSweepScheduleId = (taskQueue: string) => `events-sweep:${taskQueue}`;
/** One per tenant with push: its Xledger webhooks' registration and watch (workflows/watch-push.ts). */
export const pushWatchWorkflowId = (tenantId: string) => `push-watch:${tenantId}`;
