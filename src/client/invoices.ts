import { invoiceSchema, type InvoiceInput } from '../invoices/invoice';
import { getOutboxInvoice, type InvoiceState, type OutboxInvoice } from '../invoices/outbox';
import { submitToOutbox } from '../invoices/submit';
import type { ClientContext } from './context';
import { UnknownInvoiceError } from './errors';
import { parseTenantId, parseTenantInput } from './input';

/** Invoices through the client API: submit one for posting, follow its state. */

/** An invoice as SEMINE sees its progress (the invoice content stays in the outbox). */
export interface InvoiceStatus {
  tenantId: string;
  invoiceId: string;
  state: InvoiceState;
  /** Why it was rejected, from the validator or from Xledger. */
  reasons: string[];
  /** The last transient error while retrying. */
  lastError: string | null;
  xledger: { lineDbIds: number[]; transactionDbId: number | null };
  submittedAt: string;
  updatedAt: string;
  postedAt: string | null;
}

/** See XledgerSyncClient.submitInvoice. */
export async function submitInvoice(
  ctx: ClientContext,
  tenantId: string,
  input: InvoiceInput,
): Promise<InvoiceStatus> {
  const { id, data: invoice } = parseTenantInput(tenantId, invoiceSchema, input);
  const stored = await submitToOutbox(
    {
      db: ctx.store.db,
      temporal: ctx.temporal,
      taskQueue: ctx.config.temporal.taskQueue,
      tenants: ctx.tenants,
    },
    id,
    invoice,
  );
  return invoiceStatusOf(stored);
}

export async function invoiceStatus(
  ctx: ClientContext,
  tenantId: string,
  invoiceId: string,
): Promise<InvoiceStatus> {
  const id = parseTenantId(tenantId);
  await ctx.tenants.get(id);
  const stored = await getOutboxInvoice(ctx.store.db, id, invoiceId);
  if (!stored) throw new UnknownInvoiceError(id, invoiceId);
  return invoiceStatusOf(stored);
}

function invoiceStatusOf(stored: OutboxInvoice): InvoiceStatus {
  return {
    tenantId: stored.tenantId,
    invoiceId: stored.invoiceId,
    state: stored.state,
    reasons: stored.reasons,
    lastError: stored.lastError,
    xledger: stored.xledger,
    submittedAt: stored.submittedAt.toISOString(),
    updatedAt: stored.updatedAt.toISOString(),
    postedAt: stored.postedAt?.toISOString() ?? null,
  };
}
