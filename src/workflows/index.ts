export { postInvoiceWorkflow } from './post-invoice';
export { postPendingInvoicesWorkflow } from './post-pending-invoices';
export { syncDataTypeWorkflow } from './sync-data-type';
export { tenantWorkflow } from './tenant';
export { deliverTenantEventsWorkflow } from './deliver-tenant-events';
export { sweepEventDeliveryWorkflow } from './sweep-event-delivery';
