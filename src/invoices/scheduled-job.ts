import type { ScheduledJob } from '../scheduled-jobs';
import { pendingInvoicesWorkflowId } from '../temporal/ids';
import { postPendingInvoicesWorkflow } from '../workflows';

/**
 * Every tenant's invoice sweep: starts a posting workflow for each invoice still pending in the
 * outbox. It reads MongoDB only, so a quiet tenant costs no Xledger request.
 */
export const invoicePostingJob: ScheduledJob<typeof postPendingInvoicesWorkflow> = {
  name: 'invoices',
  defaultIntervalMinutes: 5,
  enabledFor: () => true,
  workflow: postPendingInvoicesWorkflow,
  workflowId: pendingInvoicesWorkflowId,
  args: (tenantId) => [{ tenantId }],
};
