import type { ActivityDeps } from './deps';
import { createDeliveryActivities } from './deliver-events';
import { createDispatchResync } from './dispatch-resync';
import { createCheckInvoiceOutcome } from './invoices/check-invoice-outcome';
import { createPostInvoice } from './invoices/post-invoice';
import { createStartPendingInvoices } from './invoices/start-pending-invoices';
import { createValidateInvoice } from './invoices/validate-invoice';
import { createLinkData } from './link-data';
import { createPlanSync } from './plan-sync';
import { createRecordRun } from './record-run';
import { createSyncStream } from './sync-stream';

/** Every activity, built from injected dependencies (the worker and tests wire the same way). */
export function createActivities(deps: ActivityDeps) {
  return {
    planSync: createPlanSync(deps),
    syncStream: createSyncStream(deps),
    linkData: createLinkData(deps),
    recordRun: createRecordRun(deps),
    dispatchResync: createDispatchResync(deps),
    validateInvoice: createValidateInvoice(deps),
    postInvoice: createPostInvoice(deps),
    checkInvoiceOutcome: createCheckInvoiceOutcome(deps),
    startPendingInvoices: createStartPendingInvoices(deps),
    ...createDeliveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
