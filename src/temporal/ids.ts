/**
 * Workflow and schedule ids, readable in the Web UI and derived, never random, so that a
 * second start for the same thing finds the first one.
 */
export const syncWorkflowId = (tenantId: string, dataType: string) => `sync:${tenantId}:${dataType}`;
export const tenantWorkflowId = (tenantId: string) => `tenant:${tenantId}`;
export const scheduleId = (tenantId: string, dataType: string) => `schedule:${tenantId}:${dataType}`;
export const invoiceWorkflowId = (tenantId: string, invoiceId: string) => `invoice:${tenantId}:${invoiceId}`;
export const pendingInvoicesWorkflowId = (tenantId: string) => `invoices:${tenantId}`;
