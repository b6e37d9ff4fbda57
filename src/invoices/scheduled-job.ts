import type { ScheduledJob } from '../scheduled-jobs';
import { pendingInvoicesWorkflowId } from '../temporal/ids';
import { WorkflowType, type PostPendingInvoicesWorkflow } from '../workflows/definitions';

/**
 * Every tenant's invoice sweep: starts a posting workflow for each invoice still pending in the
 * outbox. It reads MongoDB only, so a quiet tenant costs no Xledger request.
 */
export const invoicePostingJob: ScheduledJob<PostPendingInvoicesWorkflow> = {
  name: 'invoices',
  defaultIntervalMinutes: 5,
  enabledFor: () => true,
  workflowType: WorkflowType.postPendingInvoices,
  workflowId: pendingInvoicesWorkflowId,
  args: (tenantId) => [{ tenantId }],
};
