import { dataTypes, getDataType } from '../datatypes/registry';
import { eventIds } from '../domain/event-catalogue';
import { publishEvent } from '../events/publish';
import { saveRun } from '../store/runs';
import { UnknownTenantError } from '../store/tenants';
import { unfinishedPassOfRun } from '../store/sync-passes';
import { applyToDataTypeRecord, loadDataTypeRecords, markReady, raiseAttention } from '../store/tenant-state';
import { afterFailure, afterSuccess, classifyRunFailure, isReady, runKey } from '../domain/data-type-state';
import {
  addCounts,
  emptyCounts,
  type StreamFigures,
  type SyncRunSummary,
  type SyncTrigger,
} from '../domain/figures';
import type { TenantSettings } from '../domain/tenant';
import type { ActivityDeps } from './deps';
import type { PassSpent } from './pass-spent';

/**
 * A run's outcome, beyond its figures: the data type's state (last success, last failure,
 * consecutive failures), the tenant's (needs attention, first sync complete) and the events that
 * announce them — each recorded in the same activity that records the outcome, and idempotent,
 * so a retried activity records every fact once.
 */

/** After a completed run (recordRun): the data type is ok, and the tenant may be ready. */
export async function noteCompletedRun(deps: ActivityDeps, summary: SyncRunSummary): Promise<void> {
  if (summary.status !== 'completed' && summary.status !== 'needs_review') return;
  await applyToDataTypeRecord(deps.db, summary.tenantId, summary.dataType, (record) =>
    afterSuccess(record, summary),
  );
  await noteReadiness(deps, summary.tenantId);
}

/** Every enabled data type has completed a run: the tenant's first sync is complete, once. */
async function noteReadiness(deps: ActivityDeps, tenantId: string): Promise<void> {
  const tenant = await tenantOrNull(deps, tenantId);
  if (!tenant) return; // removed meanwhile: nothing to be ready
  const enabled = dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name);
  const records = await loadDataTypeRecords(deps.db, tenantId, enabled);
  if (!isReady([...records.values()])) return;
  const readyAt = await markReady(deps.db, tenantId);
  await publishEvent(deps, {
    id: eventIds.tenantReady(tenantId),
    tenantId,
    type: 'tenant.ready',
    data: { dataTypes: enabled },
    occurredAt: new Date(readyAt),
  });
}

async function tenantOrNull(deps: ActivityDeps, tenantId: string): Promise<TenantSettings | null> {
  try {
    return await deps.tenants.get(tenantId);
  } catch (error) {
    if (error instanceof UnknownTenantError) return null;
    throw error;
  }
}

export interface FailedRunInput {
  tenantId: string;
  dataType: string;
  workflowId: string;
  runId: string;
  trigger: SyncTrigger;
  startedAt: string;
  failedAt: string;
  /** Streams the run completed before it failed. */
  streams: StreamFigures[];
  /** The type of the ApplicationFailure that ended the run (e.g. XledgerUnauthorized), if any. */
  failureType: string | null;
  /** Its message: built from Xledger's answer and our own words, never from a token. */
  message: string;
  /** What the failing pass spent in Xledger, its failing request included. */
  spent?: PassSpent;
}

/**
 * Records a failed run (the workflow calls it before it fails): its summary with status `failed`
 * and what it spent and stored until then, the data type's failure, a `sync.failed` event, and —
 * for a refused token or a missing scope — the tenant's move to needs-attention with one
 * `tenant.needs_attention` event per episode, whichever of its data types' runs finds it first.
 */
export function createRecordFailedRun(deps: ActivityDeps) {
  return async function recordFailedRun(input: FailedRunInput): Promise<void> {
    if (!(await tenantOrNull(deps, input.tenantId))) return; // removed meanwhile: nothing to record
    const { kind, attention } = classifyRunFailure(input.failureType, input.message);
    const message = input.message.slice(0, 2_000);
    const streams = [...input.streams];
    const done = new Set(streams.map((figures) => figures.stream));
    for (const stream of getDataType(input.dataType).streams) {
      if (done.has(stream.name)) continue;
      const partial = await unfinishedPassOfRun(deps.db, input.tenantId, stream.name, input.runId);
      const spent = input.spent?.stream === stream.name ? input.spent : undefined;
      if (!partial && !spent) continue;
      // The ledger has what the pass stored; the failure what it spent since (its last request).
      const counts = { ...(partial?.counts ?? emptyCounts()) };
      if (spent) {
        counts.requests = Math.max(counts.requests, spent.requests);
        counts.bytesSent = Math.max(counts.bytesSent, spent.bytesSent);
        counts.bytesReceived = Math.max(counts.bytesReceived, spent.bytesReceived);
      }
      streams.push({
        stream: stream.name,
        mode: partial?.mode ?? 'full',
        ...counts,
        durationMs: partial ? Math.max(0, Date.parse(input.failedAt) - partial.startedAt) : 0,
      });
    }
    const summary: SyncRunSummary = {
      tenantId: input.tenantId,
      dataType: input.dataType,
      workflowId: input.workflowId,
      runId: input.runId,
      trigger: input.trigger,
      status: 'failed',
      failure: { kind, message },
      startedAt: input.startedAt,
      finishedAt: input.failedAt,
      durationMs: Math.max(0, Date.parse(input.failedAt) - Date.parse(input.startedAt)),
      totals: streams.reduce((total, figures) => addCounts(total, figures), emptyCounts()),
      streams,
    };
    await saveRun(deps.db, summary);
    await applyToDataTypeRecord(deps.db, input.tenantId, input.dataType, (record) =>
      afterFailure(record, {
        kind,
        message,
        at: input.failedAt,
        workflowId: input.workflowId,
        runId: input.runId,
      }),
    );
    await publishEvent(deps, {
      id: eventIds.syncFailed(input.workflowId, input.runId),
      tenantId: input.tenantId,
      type: 'sync.failed',
      data: {
        dataType: input.dataType,
        kind,
        message,
        workflowId: input.workflowId,
        runId: input.runId,
        failedAt: input.failedAt,
      },
      occurredAt: new Date(input.failedAt),
    });
    if (!attention) return;
    const { attention: raised, mine } = await raiseAttention(deps.db, input.tenantId, {
      reason: attention,
      message,
      dataType: input.dataType,
      since: input.failedAt,
      run: runKey(input),
    });
    if (mine) {
      deps.logger.warn(
        {
          tenantId: input.tenantId,
          dataType: input.dataType,
          reason: raised.reason,
          episode: raised.episode,
        },
        'tenant needs attention: its runs end at once until a new token is stored or it is resumed',
      );
    }
    // One event per episode, whichever run raised it (recording it again is a no-op).
    await publishEvent(deps, {
      id: eventIds.tenantNeedsAttention(input.tenantId, raised.episode),
      tenantId: input.tenantId,
      type: 'tenant.needs_attention',
      data: { reason: raised.reason, message: raised.message, dataType: raised.dataType },
      occurredAt: new Date(raised.since),
    });
  };
}
