import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { TenantStore } from '../store/tenants';
import { invoiceContentHash, type Invoice } from './invoice';
import { addToOutbox, type OutboxInvoice } from './outbox';
import { startInvoicePosting } from '../temporal/starters';

/**
 * Takes an approved invoice into the outbox (idempotent by SEMINE's invoice id) and starts its
 * posting workflow right away. If Temporal cannot be reached after the outbox write, the
 * tenant's invoice schedule starts it later: a submitted invoice is never lost.
 */
export async function submitToOutbox(
  deps: { db: Db; temporal: Client; taskQueue: string; tenants: TenantStore },
  tenantId: string,
  invoice: Invoice,
): Promise<OutboxInvoice> {
  await deps.tenants.get(tenantId);
  const stored = await addToOutbox(deps.db, tenantId, invoice, invoiceContentHash(invoice));
  if (stored.state === 'pending') {
    await startInvoicePosting(deps.temporal, deps.taskQueue, tenantId, invoice.invoiceId);
  }
  return stored;
}
