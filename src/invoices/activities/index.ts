import type { ActivityDeps } from '../../activities/deps';
import { createCheckInvoiceOutcome } from './check-invoice-outcome';
import { createPostInvoice } from './post-invoice';
import { createStartPendingInvoices } from './start-pending-invoices';
import { createValidateInvoice } from './validate-invoice';

/** The invoice feature's activities: the posting workflow's steps and the scheduled sweep. */
export function createInvoiceActivities(deps: ActivityDeps) {
  return {
    validateInvoice: createValidateInvoice(deps),
    postInvoice: createPostInvoice(deps),
    checkInvoiceOutcome: createCheckInvoiceOutcome(deps),
    startPendingInvoices: createStartPendingInvoices(deps),
  };
}
