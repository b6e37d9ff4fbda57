import type { Workflow } from '@temporalio/common';
import type { DataTypeDefinition, TenantSyncOptions } from '../datatypes/datatype';
import { dataTypes } from '../datatypes/registry';
import { INVOICE_POSTING_JOB, scheduledJobNames } from '../domain/data-types';
import { pendingInvoicesWorkflowId, syncWorkflowId } from './ids';
import { WorkflowType, type PostPendingInvoicesWorkflow, type SyncDataTypeWorkflow } from './definitions';

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
  enabledFor(options: TenantSyncOptions): boolean;
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
    enabledFor: (options) => type.enabledFor(options),
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

export const scheduledJobs: readonly ScheduledJob[] = [...dataTypes.map(syncJobOf), invoicePostingJob];

export function getScheduledJob(name: string): ScheduledJob {
  const job = scheduledJobs.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`Unknown scheduled job "${name}"; known: ${scheduledJobNames.join(', ')}`);
  return job;
}
