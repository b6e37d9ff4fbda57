import type { Db } from 'mongodb';
import pLimit from 'p-limit';
import { XledgerSyncError } from '../errors';
import { collections } from '../store/collections';
import type { Invoice } from './invoice';
import { claimSettlement, readSettlement, type Decision, type Settlement } from './settlement';

/**
 * `unsettled`: a create's answer was lost and it may still land; no new create until it surely
 * did not (see sends.ts). `needs_attention`: Xledger holds the invoice twice, or left it
 * unresolved past the deadline (`attention` says which, and what was seen).
 */
export type InvoiceState =
  'pending' | 'posting' | 'unsettled' | 'accepted' | 'posted' | 'rejected' | 'retrying' | 'needs_attention';

/** The states a write of the outbox view may set; a final one is decided by settleInvoice. */
export type OpenState = Exclude<InvoiceState, 'posted' | 'rejected'>;

export interface InvoiceAttention {
  reason: 'duplicated' | 'unresolved';
  message: string;
  since: Date;
}

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
  /** When Xledger answered the create (absent on invoices stored before it was kept). */
  acceptedAt?: Date | null;
  attention?: InvoiceAttention | null;
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
  // A document's bytes never enter the outbox: submitToOutbox stores them apart first.
  if (invoice.document?.contentBase64 !== undefined)
    throw new Error('An invoice document must be stored first');
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

/**
 * The invoice as stored, its final state read from its settlement (settlement.ts): the view may
 * lag the decision for a moment (a writer between its write and its check), the decision never.
 */
export async function getOutboxInvoice(
  db: Db,
  tenantId: string,
  invoiceId: string,
): Promise<OutboxInvoice | null> {
  const doc = await outbox(db).findOne({ _id: outboxId(tenantId, invoiceId) });
  if (!doc) return doc;
  const settlement = await readSettlement(db, tenantId, invoiceId);
  return settlement ? { ...doc, ...settledView(settlement) } : doc;
}

/**
 * Writes an open state (posting, accepted, retrying, …) to the invoice's outbox document, by
 * `_id`. A settled invoice stays settled: an attempt that ends late (its activity timed out while
 * a retry posted the invoice) must not move it back. The settlement is read before the write,
 * and again after it: a settlement made in between is written back over this write, so the view
 * always ends as the decision says.
 */
export async function updateOutbox(
  db: Db,
  tenantId: string,
  invoiceId: string,
  fields: Partial<Pick<OutboxInvoice, 'reasons' | 'lastError' | 'xledger' | 'acceptedAt' | 'attention'>> & {
    state?: OpenState;
  },
  now = new Date(),
): Promise<void> {
  const _id = outboxId(tenantId, invoiceId);
  const before = await readSettlement(db, tenantId, invoiceId);
  if (before) return writeSettledView(db, before);
  await outbox(db).updateOne({ _id }, { $set: { ...fields, updatedAt: now } });
  const after = await readSettlement(db, tenantId, invoiceId);
  if (after) await writeSettledView(db, after);
}

/**
 * Settles the invoice (posted or rejected), once: the first decision holds. Returns the
 * settlement that holds and whether this call made it; the outbox view shows it either way.
 */
export async function settleInvoice(
  db: Db,
  tenantId: string,
  invoiceId: string,
  decision: Decision,
  now = new Date(),
): Promise<{ settlement: Settlement; mine: boolean }> {
  const claimed = await claimSettlement(db, tenantId, invoiceId, decision, now);
  await writeSettledView(db, claimed.settlement);
  return claimed;
}

/** What the outbox shows of a settled invoice: a duplicate in Xledger makes it need attention. */
function settledView(settlement: Settlement): Partial<OutboxInvoice> {
  const duplicate = settlement.duplicate;
  return {
    state: duplicate ? 'needs_attention' : settlement.state,
    reasons: duplicate ? [duplicate.message] : settlement.reasons,
    lastError: null,
    xledger: settlement.xledger,
    postedAt: settlement.postedAt,
    attention: duplicate
      ? { reason: 'duplicated', message: duplicate.message, since: duplicate.foundAt }
      : null,
  };
}

async function writeSettledView(db: Db, settlement: Settlement): Promise<void> {
  await outbox(db).updateOne(
    { _id: outboxId(settlement.tenantId, settlement.invoiceId) },
    { $set: { ...settledView(settlement), updatedAt: settlement.at } },
  );
}

/** Point look-ups by `_id`, 16 at a time like the store's others. */
const lookUps = () => pLimit(16);

/** The states a settlement replaces: what the view may still show of an invoice just settled. */
const isOpen = (state: InvoiceState) => state !== 'posted' && state !== 'rejected';

/**
 * The state SEMINE sees: the view's, unless the invoice is settled. Only an invoice the view
 * shows open is looked up (by `_id`); a view that shows a final state was written from its
 * settlement.
 */
async function settledState(db: Db, tenantId: string, invoiceId: string, viewState: InvoiceState) {
  if (!isOpen(viewState)) return viewState;
  const settlement = await readSettlement(db, tenantId, invoiceId);
  return settlement ? (settledView(settlement).state as InvoiceState) : viewState;
}

/**
 * Invoices not yet handed to a posting workflow, oldest first. One the view still shows pending
 * but whose settlement already decided it (a view write that lost a race on FerretDB) is left
 * out: its workflow has ended, and SEMINE reads it as settled.
 */
export async function pendingInvoiceIds(db: Db, tenantId: string, limit: number): Promise<string[]> {
  const docs = await outbox(db)
    .find({ tenantId, state: 'pending' }, { projection: { invoiceId: 1 } })
    .sort({ submittedAt: 1 })
    .limit(limit)
    .toArray();
  const states = await lookUps().map(docs, (doc) => settledState(db, tenantId, doc.invoiceId, 'pending'));
  return docs.filter((_, i) => states[i] === 'pending').map((doc) => doc.invoiceId);
}

/** How many of the tenant's invoices are in each state, as SEMINE reads them (settlement over view). */
export async function invoiceCounts(db: Db, tenantId: string): Promise<Record<InvoiceState, number>> {
  const counts: Record<InvoiceState, number> = {
    pending: 0,
    posting: 0,
    accepted: 0,
    posted: 0,
    rejected: 0,
    retrying: 0,
    unsettled: 0,
    needs_attention: 0,
  };
  const docs = await outbox(db)
    .find({ tenantId }, { projection: { invoiceId: 1, state: 1 } })
    .toArray();
  const states = await lookUps().map(docs, (doc) => settledState(db, tenantId, doc.invoiceId, doc.state));
  for (const state of states) counts[state] += 1;
  return counts;
}
