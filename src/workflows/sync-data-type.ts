import {
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FailedRunInput } from '../activities/run-outcome';
import {
  addCounts,
  emptyCounts,
  type StreamFigures,
  type SyncRunSummary,
  type SyncTrigger,
} from '../domain/figures';
import { DataTypeKey, SyncOutcomeKey, TenantIdKey, TriggerKey } from '../temporal/search-attributes';
import type { SyncDataTypeInput } from '../temporal/definitions';
import { failureMessage } from './rounds';

/** Bounded: a step that keeps failing ends the run visibly; the next scheduled run tries again. */
const shortSteps = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
} as const;
const { planSync, linkData, recordRun, recordFailedRun } = proxyActivities<Activities>(shortSteps);

/**
 * The run's bookkeeping around its passes, as local activities: a few MongoDB reads and writes
 * each, run by the worker that runs the workflow, without a round trip through the task queue
 * (about 80 ms each on the dev server: most of a run with nothing to do; and half the tasks a
 * fleet's runs put on the server). They show in the history as markers.
 */
const local = proxyLocalActivities<Activities>(shortSteps);

/** The long pass: heartbeats per page, so a dead worker is noticed within the heartbeat timeout. */
const { syncStream, syncStreams } = proxyActivities<Activities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
  },
});

/** Versions planSync and recordRun as local activities: histories recorded before it replay as they ran. */
export const LOCAL_BOOKKEEPING_PATCH = 'sync-bookkeeping-local';
/** Versions the one-activity run of a data type's streams: histories recorded before it replay as they ran. */
export const ONE_REQUEST_PER_RUN_PATCH = 'sync-streams-one-request';
/** Versions the recording of failed runs (below): histories from before it replay as they ran. */
export const RECORD_FAILED_RUNS_PATCH = 'record-failed-runs';

/**
 * One run of one data type for one tenant: plan, one pass per stream, derived links, and the
 * run's figures, which are both the result and a stored summary. The data itself never
 * passes through here. A run that fails is recorded too (its failure, the data type's state,
 * and for a refused token the tenant's), then fails as before.
 */
export async function syncDataTypeWorkflow(input: SyncDataTypeInput): Promise<SyncRunSummary> {
  const info = workflowInfo();
  const trigger = input.trigger ?? 'manual';
  if (!info.typedSearchAttributes.get(TenantIdKey)) {
    // Started without search attributes (e.g. from the temporal CLI): tag it so the UI can filter.
    upsertSearchAttributes([
      { key: TenantIdKey, value: input.tenantId },
      { key: DataTypeKey, value: input.dataType },
      { key: TriggerKey, value: trigger },
    ]);
  }
  const run: RunSoFar = { trigger, startedAt: Date.now(), streams: [] };
  try {
    return await runDataType(input, run);
  } catch (error) {
    if (!isCancellation(error) && patched(RECORD_FAILED_RUNS_PATCH)) {
      await recordFailure(input, run, error);
    }
    throw error;
  }
}

/** What a run has done so far: what a failed run's record says. */
interface RunSoFar {
  trigger: SyncTrigger;
  startedAt: number;
  /** The streams it completed. */
  streams: StreamFigures[];
}

async function runDataType(input: SyncDataTypeInput, run: RunSoFar): Promise<SyncRunSummary> {
  const info = workflowInfo();
  const { trigger, startedAt, streams } = run;
  const bookkeeping = patched(LOCAL_BOOKKEEPING_PATCH) ? local : { planSync, recordRun };
  const plan = await bookkeeping.planSync({
    tenantId: input.tenantId,
    dataType: input.dataType,
    mode: input.mode ?? 'auto',
  });
  if (plan.enabled && plan.resync && trigger !== 'resync') {
    // The run took an operator's resync request: say so where the Web UI filters runs.
    upsertSearchAttributes([{ key: TriggerKey, value: 'resync' }]);
  }
  if (plan.enabled && plan.resync) run.trigger = 'resync';
  let link: SyncRunSummary['link'];
  if (plan.enabled) {
    if (patched(ONE_REQUEST_PER_RUN_PATCH)) {
      // The streams side by side, their first pages in one Xledger request.
      streams.push(
        ...(await syncStreams({ tenantId: input.tenantId, dataType: input.dataType, streams: plan.streams })),
      );
    } else {
      for (const step of plan.streams) {
        streams.push(await syncStream({ tenantId: input.tenantId, dataType: input.dataType, ...step }));
      }
    }
    if (plan.link) link = await linkData({ tenantId: input.tenantId, link: plan.link });
  }
  const finishedAt = Date.now();
  const needsReview = streams.some((figures) => figures.deletionReview !== undefined);
  if (needsReview && patched('sync-outcome-needs-review')) {
    // Filterable in the Web UI: `SyncOutcome = "needs_review"`.
    upsertSearchAttributes([{ key: SyncOutcomeKey, value: 'needs_review' }]);
  }
  const summary: SyncRunSummary = {
    tenantId: input.tenantId,
    dataType: input.dataType,
    workflowId: info.workflowId,
    runId: info.runId,
    trigger: plan.enabled && plan.resync ? 'resync' : trigger,
    status: !plan.enabled ? 'skipped' : needsReview ? 'needs_review' : 'completed',
    ...(plan.enabled ? {} : { reason: plan.reason }),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - startedAt,
    totals: streams.reduce((total, figures) => addCounts(total, figures), emptyCounts()),
    streams,
    ...(link ? { link } : {}),
  };
  await bookkeeping.recordRun(summary);
  return summary;
}

/**
 * Records the failed run before the workflow fails with its error. The failure's type and
 * message come from the activity that failed (src/activities/cast-known-errors.ts): never a token.
 */
async function recordFailure(input: SyncDataTypeInput, run: RunSoFar, error: unknown): Promise<void> {
  const info = workflowInfo();
  let failure: ApplicationFailure | undefined;
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ApplicationFailure) {
      failure = e;
      break;
    }
  }
  // A failed pass says what it spent (src/activities/pass-spent.ts).
  const spent = (failure?.details?.[0] as { spent?: FailedRunInput['spent'] } | undefined)?.spent;
  try {
    await recordFailedRun({
      tenantId: input.tenantId,
      dataType: input.dataType,
      workflowId: info.workflowId,
      runId: info.runId,
      trigger: run.trigger,
      startedAt: new Date(run.startedAt).toISOString(),
      failedAt: new Date(Date.now()).toISOString(),
      streams: run.streams,
      failureType: failure?.type ?? null,
      message: failure?.message ?? failureMessage(error),
      ...(spent ? { spent } : {}),
    });
  } catch (recordError) {
    // The run fails with its own error either way; this one only goes to the log.
    log.warn('could not record the failed run', { reason: failureMessage(recordError) });
  }
}
