import type { InvoiceInput } from '../../src/invoices/invoice';
import { syncWorkflowId } from '../../src/temporal/ids';
import { syncDataTypeWorkflow } from '../../src/workflows';
import type { Harness } from './harness';

/** A valid invoice for owner entity 101 of the seeded simulator (accounts 2400/6300/6800, VAT code 1). */
export function demoInvoice(
  invoiceId: string,
  supplierCode: string,
  overrides: Partial<InvoiceInput> = {},
): InvoiceInput {
  return {
    invoiceId,
    entityDbId: 101,
    supplierCode,
    invoiceNumber: `INV-${invoiceId}`,
    invoiceDate: '2026-11-02',
    dueDate: '2026-12-02',
    currency: 'NOK',
    totalAmount: '1250.00',
    lines: [
      { accountCode: '6300', amount: '1000.00', vatCode: '1' },
      { accountCode: '6800', amount: '250.00', vatCode: '1' },
    ],
    ...overrides,
  };
}

/** The master data an invoice is validated against. */
const POSTING_MASTER_DATA = ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions'];

/**
 * Syncs the tenant's posting master data once, in full, and returns the code of one of the
 * owner's suppliers (what demoInvoice needs).
 */
export async function syncPostingMasterData(h: Harness, tenantId: string): Promise<string> {
  for (const dataType of POSTING_MASTER_DATA) {
    await h.client.workflow.execute(syncDataTypeWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: `${syncWorkflowId(tenantId, dataType)}:setup`,
      args: [{ tenantId, dataType, mode: 'full' }],
    });
  }
  const supplier = await h.store.db.collection('suppliers').findOne({ tenantId, visibility: 'owner' });
  return String(supplier?.code);
}
