/**
 * The workflows the worker registers (its workflowsPath): only the worker loads this module.
 * Everything else names a workflow through ./definitions.ts and starts it through
 * src/temporal/starters.ts.
 */
export { postInvoiceWorkflow } from './post-invoice';
export { postPendingInvoicesWorkflow } from './post-pending-invoices';
export { syncDataTypeWorkflow } from './sync-data-type';
export { tenantWorkflow } from './tenant';
export { deliverTenantEventsWorkflow } from './deliver-tenant-events';
export { sweepEventDeliveryWorkflow } from './sweep-event-delivery';
export { watchPushWorkflow } from './watch-push';
