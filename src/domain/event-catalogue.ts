/**
 * What xledger-sync tells SEMINE: every event type and its payload, in one place. Plain types
 * only (workflows may import this file). Delivery (webhooks) and the events API read the stored
 * form in src/store/events.ts.
 *
 * An event's id is deterministic, derived from what it reports (e.g. a workflow run, an invoice),
 * so that a retried step that records it again stores it once, and a receiver can de-duplicate.
 */
import type { SyncFailureKind, SyncMode } from './figures';

export interface SyncCompleted {
  dataType: string;
  /** full when every stream of the run read Xledger whole (and so also reconciled deletions). */
  mode: SyncMode;
  /** needs_review: a full pass held back a mass deletion until an operator confirms it. */
  status: 'completed' | 'needs_review';
  counts: { inserted: number; updated: number; deleted: number; rejected: number };
  workflowId: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  /**
   * The change feed's position after this run: `client.changes(tenantId, dataType, { after })`
   * from the reader's last cursor returns what the run changed, up to `through`.
   */
  changes: { through: number };
}

export interface SyncFailed {
  dataType: string;
  kind: SyncFailureKind;
  message: string;
  workflowId: string;
  runId: string;
  failedAt: string;
}

/** invoice_duplicated: Xledger holds one of the tenant's invoices twice (see invoice.duplicated). */
export type AttentionReason =
  'token_revoked' | 'token_expired' | 'scope_missing' | 'owner_not_visible' | 'invoice_duplicated';

export interface TenantNeedsAttention {
  /**
   * webhook_gone: the tenant's webhook answered 410 Gone; delivery to it is off until the tenant
   * is upserted again. Unlike the other reasons it does not stop the tenant's syncs.
   */
  reason: AttentionReason | 'webhook_gone';
  message: string;
  /** The data type whose run found the problem. */
  dataType: string;
}

export interface TenantRecovered {
  /** What ended the attention state: a new token stored, or an operator's resume. */
  cause: 'token_replaced' | 'resumed';
}

export interface TenantReady {
  /** Every enabled data type, each with its first completed sync. */
  dataTypes: string[];
}

export interface InvoicePosted {
  invoiceId: string;
  xledger: { transactionDbId: number | null; lineDbIds: number[] };
  postedAt: string;
}

export interface InvoiceRejected {
  invoiceId: string;
  reasons: string[];
  rejectedAt: string;
}

/** Xledger holds the invoice more than once: loud, never hidden; someone must reverse a copy. */
export interface InvoiceDuplicated {
  invoiceId: string;
  message: string;
  /** Every posted copy: Xledger's payable (apTransactions) and transaction (voucher) ids. */
  copies: Array<{ apTransactionDbId: number; transactionDbId: number | null }>;
  foundAt: string;
}

/** Xledger accepted the invoice but neither posted nor rejected it by the deadline. */
export interface InvoiceNeedsAttention {
  invoiceId: string;
  reason: 'unresolved';
  message: string;
  xledger: { transactionDbId: number | null; lineDbIds: number[] };
  since: string;
}

export interface EventPayloads {
  'sync.completed': SyncCompleted;
  'sync.failed': SyncFailed;
  'tenant.needs_attention': TenantNeedsAttention;
  'tenant.recovered': TenantRecovered;
  'tenant.ready': TenantReady;
  'invoice.posted': InvoicePosted;
  'invoice.rejected': InvoiceRejected;
  'invoice.duplicated': InvoiceDuplicated;
  'invoice.needs_attention': InvoiceNeedsAttention;
}

export type EventType = keyof EventPayloads;

export const eventTypes = [
  'sync.completed',
  'sync.failed',
  'tenant.needs_attention',
  'tenant.recovered',
  'tenant.ready',
  'invoice.posted',
  'invoice.rejected',
  'invoice.duplicated',
  'invoice.needs_attention',
] as const satisfies readonly EventType[];

/** An event as a feature records it; the store adds its per-tenant sequence and delivery state. */
export type NewEvent = {
  [T in EventType]: { id: string; tenantId: string; type: T; data: EventPayloads[T]; occurredAt: Date };
}[EventType];

/** Deterministic event ids: the same fact always gets the same id. */
export const eventIds = {
  syncCompleted: (workflowId: string, runId: string) => `sync.completed:${workflowId}:${runId}`,
  syncFailed: (workflowId: string, runId: string) => `sync.failed:${workflowId}:${runId}`,
  invoicePosted: (tenantId: string, invoiceId: string) => `invoice.posted:${tenantId}:${invoiceId}`,
  invoiceRejected: (tenantId: string, invoiceId: string) => `invoice.rejected:${tenantId}:${invoiceId}`,
  invoiceDuplicated: (tenantId: string, invoiceId: string) => `invoice.duplicated:${tenantId}:${invoiceId}`,
  invoiceNeedsAttention: (tenantId: string, invoiceId: string) =>
    `invoice.needs_attention:${tenantId}:${invoiceId}`,
  /** One per episode: the episode number is the tenant's count of attention episodes so far. */
  tenantNeedsAttention: (tenantId: string, episode: number) =>
    `tenant.needs_attention:${tenantId}:${episode}`,
  tenantRecovered: (tenantId: string, episode: number) => `tenant.recovered:${tenantId}:${episode}`,
  tenantReady: (tenantId: string) => `tenant.ready:${tenantId}`,
  /** One per 410 Gone: the seq of the event the endpoint refused with it. */
  webhookGone: (tenantId: string, seq: number) => `tenant.needs_attention:${tenantId}:webhook_gone:${seq}`,
} as const;
