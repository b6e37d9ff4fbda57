import type { InvoiceInput } from '../../src/invoices/invoice';

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
