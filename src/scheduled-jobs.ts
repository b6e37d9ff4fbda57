import type { Workflow } from '@temporalio/common';
import type { TenantSyncOptions } from './datatypes/datatype';
import { dataTypes } from './datatypes/registry';
import { invoicePostingJob } from './invoices/scheduled-job';
import { syncJobOf } from './sync/scheduled-job';

/**
 * What a tenant's schedules run, every job in the same shape: one sync job per master data type,
 * and the posting of the tenant's pending invoices. src/schedules.ts makes one Temporal Schedule
 * of each job a tenant has enabled, with no case for any job in particular. A job's `name` keys
 * the tenant's `intervalMinutes`, the schedule id and the schedule's DataType search attribute.
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

export const scheduledJobs: readonly ScheduledJob[] = [...dataTypes.map(syncJobOf), invoicePostingJob];

export const scheduledJobNames = scheduledJobs.map((job) => job.name);

export function getScheduledJob(name: string): ScheduledJob {
  const job = scheduledJobs.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`Unknown scheduled job "${name}"; known: ${scheduledJobNames.join(', ')}`);
  return job;
}
