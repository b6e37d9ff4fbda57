/**
 * The workflows the worker registers, and the definitions everything else names them by: the
 * client, the schedules and the activities start, signal and query a workflow through these
 * values (its function, `defineSignal`, `defineQuery`), never through a string, so a renamed
 * or mistyped reference fails to compile. Workflow-safe: clients may import this module.
 */
export { postInvoiceWorkflow } from './post-invoice';
export { postPendingInvoicesWorkflow } from './post-pending-invoices';
export { syncDataTypeWorkflow } from './sync-data-type';
export { resyncSignal, statusQuery, tenantWorkflow } from './tenant';
export {
  deliverTenantEventsWorkflow,
  eventsRecordedSignal,
  redeliverEventSignal,
  type DeliverTenantEventsInput,
} from './deliver-tenant-events';
export { sweepEventDeliveryWorkflow } from './sweep-event-delivery';
