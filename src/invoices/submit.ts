import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { TenantStore } from '../store/tenants';
import { invoiceContentHash, type Invoice } from './invoice';
import { forgetDocument, storeDocument } from './invoice-document';
import { addToOutbox, type OutboxInvoice } from './outbox';
import { readSettlement } from './settlement';
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
  // The document's bytes go to their own collection first; the outbox keeps only its reference.
  const { document, ...rest } = invoice;
  const withRef: Invoice = document
    ? { ...rest, document: await storeDocument(deps.db, tenantId, invoice.invoiceId, document) }
    : rest;
  const stored = await addToOutbox(deps.db, tenantId, withRef, invoiceContentHash(withRef));
  if (withRef.document && (await readSettlement(deps.db, tenantId, invoice.invoiceId))) {
    // The same invoice again, already settled (posted, rejected, or posted twice): its bytes were
    // dropped then, as announceInvoiceOutcome does for every settlement, and are not needed now.
    await forgetDocument(deps.db, tenantId, invoice.invoiceId, withRef.document);
  }
  if (stored.state === 'pending') {
    await startInvoicePosting(deps.temporal, deps.taskQueue, tenantId, invoice.invoiceId);
  }
  return stored;
}
