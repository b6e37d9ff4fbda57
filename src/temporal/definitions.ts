import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SyncMode, SyncRunSummary, SyncTrigger } from '../domain/figures';

/**
 * What the rest of the service knows of the workflows: their type names, inputs and results,
 * signals and queries. Starters (src/temporal/starters.ts), the client and the schedules name
 * a workflow through these, never by importing its code: only the worker loads workflow code.
 * The workflows implement these signatures (test/unit/workflow-definitions.unit.test.ts holds
 * the type names equal to workflows/index.ts' exports).
 */
export const WorkflowType = {
  syncDataType: 'syncDataTypeWorkflow',
  tenant: 'tenantWorkflow',
  postInvoice: 'postInvoiceWorkflow',
  postPendingInvoices: 'postPendingInvoicesWorkflow',
  deliverTenantEvents: 'deliverTenantEventsWorkflow',
  sweepEventDelivery: 'sweepEventDeliveryWorkflow',
  watchPush: 'watchPushWorkflow',
} as const;

export interface SyncDataTypeInput {
  tenantId: string;
  dataType: string;
  mode?: SyncMode | 'auto';
  trigger?: SyncTrigger;
}
export type SyncDataTypeWorkflow = (input: SyncDataTypeInput) => Promise<SyncRunSummary>;

export interface PostInvoiceInput {
  tenantId: string;
  invoiceId: string;
}

export interface PostInvoiceResult {
  /**
   * needs_attention: Xledger holds the invoice twice, or left it unresolved past the deadline
   * (INVOICE_UNRESOLVED_AFTER_MS): the workflow stops waiting; the outbox keeps the invoice.
   */
  state: 'posted' | 'rejected' | 'needs_attention';
  reasons: string[];
}
export type PostInvoiceWorkflow = (input: PostInvoiceInput) => Promise<PostInvoiceResult>;

export type PostPendingInvoicesWorkflow = (input: {
  tenantId: string;
}) => Promise<{ pending: number; started: number }>;

export interface DeliverTenantEventsInput {
  tenantId: string;
  /** Redeliveries not yet done, carried over a continue-as-new. */
  redeliveries?: string[];
}
export type DeliverTenantEventsWorkflow = (input: DeliverTenantEventsInput) => Promise<void>;

/** Events were recorded: look for them. */
export const eventsRecordedSignal = defineSignal('eventsRecorded');
/** Send this already delivered (or failed) event again: `{ "key": "<tenant>:<seq>" }`. */
export const redeliverEventSignal = defineSignal<[{ key: string }]>('redeliverEvent');
/**
 * An operator skipped this event (its skip is stored first, store/event-skips.ts): stop the
 * attempts under way for it and go on with the next one.
 */
export const skipEventSignal = defineSignal<[{ key: string }]>('skipEvent');

export type SweepEventDeliveryWorkflow = () => Promise<{ woken: number }>;

/** What a push watch did: data types pushed now, and what it registered or gave up on. */
export interface WatchPushResult {
  pushedTypes: string[];
  registered: string[];
  reregistered: string[];
  fallenBack: string[];
}
export type WatchPushWorkflow = (input: { tenantId: string }) => Promise<WatchPushResult>;

export interface ResyncRequest {
  /** Data types to resync; all the tenant's enabled types when absent or empty. */
  dataTypes?: string[];
  /** Full pass (also reconciles deletions) instead of incremental. */
  full?: boolean;
  /** With `full`: apply deletions that the mass-deletion guard held back. */
  allowMassDelete?: boolean;
  /** The client's ticket for following the runs that serve it (src/store/resync-tickets.ts). */
  requestId?: string;
}

export interface ResyncRecord {
  dataTypes: string[];
  full: boolean;
  allowMassDelete?: boolean;
  requestedAt: string;
  /** When the request was handed to the schedules; null while waiting. */
  dispatchedAt: string | null;
  /** Data types of the request that the tenant does not sync. */
  ignored: string[];
  requestId?: string;
}

export interface TenantWorkflowStatus {
  tenantId: string;
  pending: ResyncRecord[];
  recent: ResyncRecord[];
  startedAt: string;
}

export interface TenantWorkflowInput {
  tenantId: string;
  /** State carried over a continue-as-new. */
  carried?: Pick<TenantWorkflowStatus, 'pending' | 'recent'>;
}
export type TenantWorkflow = (input: TenantWorkflowInput) => Promise<void>;

/** `{"dataTypes": ["suppliers"], "full": true}` — both optional; plain JSON from the Web UI or CLI. */
export const resyncSignal = defineSignal<[ResyncRequest]>('resync');
export const statusQuery = defineQuery<TenantWorkflowStatus>('status');
