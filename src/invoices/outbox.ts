import type { Db } from 'mongodb';
import { XledgerSyncError } from '../errors';
import { collections } from '../store/collections';
import type { Invoice } from './invoice';

export type InvoiceState = 'pending' | 'posting' | 'accepted' | 'posted' | 'rejected' | 'retrying';

/** One document per (tenant, SEMINE invoice id): the outbox and the invoice's visible state. */
export interface OutboxInvoice {
  _id: string;
  tenantId: string;
  invoiceId: string;
  contentHash: string;
  invoice: Invoice;
  state: InvoiceState;
  /** Why it was rejected (validator or Xledger), or the last transient error while retrying. */
  reasons: string[];
  lastError: string | null;
  xledger: { lineDbIds: number[]; transactionDbId: number | null };
  submittedAt: Date;
  updatedAt: Date;
  postedAt: Date | null;
}

export const outboxId = (tenantId: string, invoiceId: string) => `${tenantId}:${invoiceId}`;

export class InvoiceConflictError extends XledgerSyncError {
  override name = 'InvoiceConflictError';
  constructor(
    readonly tenantId: string,
    readonly invoiceId: string,
  ) {
    super(`Invoice ${invoiceId} of tenant ${tenantId} was already submitted with different content`);
  }
}

const outbox = (db: Db) => db.collection<OutboxInvoice>(collections.invoiceOutbox);

/**
 * Adds the invoice to the outbox once: the same id with the same content is a no-op (the
 * stored state is returned); with different content it is a conflict.
 */
export async function addToOutbox(
  db: Db,
  tenantId: string,
  invoice: Invoice,
  contentHash: string,
  now = new Date(),
): Promise<OutboxInvoice> {
  const _id = outboxId(tenantId, invoice.invoiceId);
  const doc: OutboxInvoice = {
    _id,
    tenantId,
    invoiceId: invoice.invoiceId,
    contentHash,
    invoice,
    state: 'pending',
    reasons: [],
    lastError: null,
    xledger: { lineDbIds: [], transactionDbId: null },
    submittedAt: now,
    updatedAt: now,
    postedAt: null,
  };
  try {
    await outbox(db).insertOne(doc);
    return doc;
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    const existing = await outbox(db).findOne({ _id });
    if (!existing) throw error;
    if (existing.contentHash !== contentHash) throw new InvoiceConflictError(tenantId, invoice.invoiceId);
    return existing;
  }
}

export async function getOutboxInvoice(
  db: Db,
  tenantId: string,
  invoiceId: string,
): Promise<OutboxInvoice | null> {
  return outbox(db).findOne({ _id: outboxId(tenantId, invoiceId) });
}

export async function updateOutbox(
  db: Db,
  tenantId: string,
  invoiceId: string,
  fields: Partial<Pick<OutboxInvoice, 'state' | 'reasons' | 'lastError' | 'xledger' | 'postedAt'>>,
  now = new Date(),
): Promise<void> {
  const _id = outboxId(tenantId, invoiceId);
  // A settled invoice stays settled: an attempt that ends late (its activity timed out while a
  // retry posted the invoice, then it failed on its own) must not move it back to `retrying`.
  // Read, then write by `_id` alone: FerretDB v1 pushes down only a filter of exactly `_id`.
  const current = await outbox(db).findOne({ _id }, { projection: { state: 1 } });
  if (current && SETTLED.includes(current.state) && fields.state !== current.state) return;
  await outbox(db).updateOne({ _id }, { $set: { ...fields, updatedAt: now } });
}

const SETTLED: readonly InvoiceState[] = ['posted', 'rejected'];

/** Invoices not yet handed to a posting workflow, oldest first. */
export async function pendingInvoiceIds(db: Db, tenantId: string, limit: number): Promise<string[]> {
  const docs = await outbox(db)
    .find({ tenantId, state: 'pending' }, { projection: { invoiceId: 1 } })
    .sort({ submittedAt: 1 })
    .limit(limit)
    .toArray();
  return docs.map((doc) => doc.invoiceId);
}

export async function invoiceCounts(db: Db, tenantId: string): Promise<Record<InvoiceState, number>> {
  const counts: Record<InvoiceState, number> = {
    pending: 0,
    posting: 0,
    accepted: 0,
    posted: 0,
    rejected: 0,
    retrying: 0,
  };
  const docs = outbox(db).find({ tenantId }, { projection: { state: 1 } });
  for await (const doc of docs) counts[doc.state] += 1;
  return counts;
}
