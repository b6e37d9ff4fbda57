import { randomBytes } from 'node:crypto';
import type { SyncMode, SyncRunSummary } from '../../src/domain/figures';
import type { BenchEnv } from './stack';
import { syncDataTypeWorkflow } from '../../src/workflows';

export interface TimedRun {
  seconds: number;
  summary: SyncRunSummary;
}

/** One syncDataTypeWorkflow run, as a manual run, timed from start to result. */
export async function runSync(
  env: BenchEnv,
  tenantId: string,
  dataType: string,
  mode: SyncMode | 'auto',
): Promise<TimedRun> {
  const started = performance.now();
  const summary: SyncRunSummary = await env.temporal.workflow.execute(syncDataTypeWorkflow, {
    taskQueue: env.config.temporal.taskQueue,
    workflowId: `bench:${tenantId}:${dataType}:${mode}:${randomBytes(4).toString('hex')}`,
    args: [{ tenantId, dataType, mode, trigger: 'manual' }],
  });
  return { seconds: (performance.now() - started) / 1000, summary };
}

export const writtenBy = (summary: SyncRunSummary): number =>
  summary.totals.inserted + summary.totals.updated + summary.totals.deleted;
