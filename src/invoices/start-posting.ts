import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { invoiceWorkflowId } from '../temporal/ids';
import { InvoiceIdKey, InvoiceStateKey, TenantIdKey, TriggerKey } from '../temporal/search-attributes';
import { postInvoiceWorkflow } from '../workflows';

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
    await temporal.workflow.start(postInvoiceWorkflow, {
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
