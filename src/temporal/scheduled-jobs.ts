import type { Workflow } from '@temporalio/common';
import type { DataTypeDefinition } from '../datatypes/datatype';
import type { TenantSettings } from '../domain/tenant';
import { dataTypes } from '../datatypes/registry';
import { INVOICE_POSTING_JOB, PUSH_WATCH_JOB, scheduledJobNames } from '../domain/data-types';
import { pendingInvoicesWorkflowId, pushWatchWorkflowId, syncWorkflowId } from './ids';
import {
  WorkflowType,
  type PostPendingInvoicesWorkflow,
  type SyncDataTypeWorkflow,
  type WatchPushWorkflow,
} from './definitions';

/**
 * What a tenant's schedules run, every job in the same shape: one sync job per master data type,
 * and the posting of the tenant's pending invoices. src/temporal/schedules.ts makes one Temporal Schedule
 * of each job a tenant has enabled, with no case for any job in particular. A job's `name` keys
 * the tenant's `intervalMinutes`, the schedule id and the schedule's DataType search attribute
 * (domain/data-types.ts names them all).
 */
export interface ScheduledJob<W extends Workflow = Workflow> {
  name: string;
  defaultIntervalMinutes: number;
  enabledFor(tenant: Pick<TenantSettings, 'options' | 'push'>): boolean;
  /** The workflow each scheduled action starts (its type name), under this id, with these arguments. */
  workflowType: string;
  workflowId(tenantId: string): string;
  args(tenantId: string): Parameters<W>;
}

/** A data type's scheduled job: a sync run of it that decides for itself whether to read all or only changes. */
function syncJobOf(type: DataTypeDefinition): ScheduledJob<SyncDataTypeWorkflow> {
  return {
    name: type.name,
    defaultIntervalMinutes: type.defaultIntervalMinutes,
    enabledFor: (tenant) => type.enabledFor(tenant.options),
    workflowType: WorkflowType.syncDataType,
    workflowId: (tenantId) => syncWorkflowId(tenantId, type.name),
    args: (tenantId) => [{ tenantId, dataType: type.name, mode: 'auto', trigger: 'schedule' }],
  };
}

/**
 * Every tenant's invoice sweep: starts a posting workflow for each invoice still pending in the
 * outbox. It reads MongoDB only, so a quiet tenant costs no Xledger request.
 */
const invoicePostingJob: ScheduledJob<PostPendingInvoicesWorkflow> = {
  name: INVOICE_POSTING_JOB,
  defaultIntervalMinutes: 5,
  enabledFor: () => true,
  workflowType: WorkflowType.postPendingInvoices,
  workflowId: pendingInvoicesWorkflowId,
  args: (tenantId) => [{ tenantId }],
};

/**
 * A tenant with push: registers the Xledger webhooks its data types need, watches their state
 * (one request for all of them), registers again what Xledger paused or faulted, and re-times
 * the data types' schedules (activities/push-watch.ts). Every 6 hours: the state of a quiet
 * tenant's webhooks costs 4 requests a day; a FAULTED one is found within 6 hours (Xledger's
 * sample looks once a day), while the data types it covers are still polled, only less often.
 */
const pushWatchJob: ScheduledJob<WatchPushWorkflow> = {
  name: PUSH_WATCH_JOB,
  defaultIntervalMinutes: 6 * 60,
  enabledFor: (tenant) => tenant.push === true,
  workflowType: WorkflowType.watchPush,
  workflowId: pushWatchWorkflowId,
  args: (tenantId) => [{ tenantId }],
};

export const scheduledJobs: readonly ScheduledJob[] = [
  ...dataTypes.map(syncJobOf),
  invoicePostingJob,
  pushWatchJob,
];

export function getScheduledJob(name: string): ScheduledJob {
  const job = scheduledJobs.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`Unknown scheduled job "${name}"; known: ${scheduledJobNames.join(', ')}`);
  return job;
}
