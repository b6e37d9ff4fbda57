import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { dataTypes as registry } from '../datatypes/registry';
import { createTicket, loadTicket } from '../store/resync-tickets';
import type { StoredRun } from '../store/runs';
import { attentionHolding, type Attention } from '../store/tenant-state';
import { collections } from '../store/collections';
import type { Counts, SyncMode, SyncRunSummary } from '../domain/figures';
import type { TenantSettings } from '../domain/tenant';
import { signalResync } from '../temporal/starters';
import type { ResyncRequest } from '../temporal/definitions';
import { starterOf, type ClientContext } from './context';
import { InvalidInputError } from './errors';
import { parseTenantId } from './input';
import { SYNC_PASS_ACTIVITIES } from '../activities/sync-streams';

/**
 * Resyncs the caller can follow: `forceResync` hands a ticket to the tenant workflow with the
 * resync signal and returns the runs that took it (started for it, or already asked for by an
 * earlier request it merged with); `resyncProgress` follows those runs live — records so far per
 * stream from the running pass's heartbeat — and ends with their figures or their failure.
 */

/** A sync run serving a resync. */
export interface ResyncRun {
  dataType: string;
  workflowId: string;
  runId: string;
}

export interface ResyncTicket {
  tenantId: string;
  /** Follow it with resyncProgress(tenantId, requestId). */
  requestId: string;
  /** The data types it asked for that the tenant syncs. */
  dataTypes: string[];
  /** Data types it asked for that the tenant does not sync. */
  ignored: string[];
  full: boolean;
  /** The runs that took it, per data type, so far. */
  runs: ResyncRun[];
  /**
   * Data types whose run had not started when forceResync returned: a run of the type already
   * under way goes first (at most one more follows it), or the tenant needs attention.
   */
  waiting: string[];
  /** Set when the tenant needs attention: the request waits until a new token or a resume. */
  needsAttention: Attention | null;
}

export function enabledDataTypes(tenant: TenantSettings): string[] {
  return registry.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name);
}

/**
 * Writes the ticket, signals the tenant workflow (starting it if needed) and waits up to
 * `waitMs` for a run of each data type to take the request.
 */
export async function requestResync(
  ctx: ClientContext,
  tenant: TenantSettings,
  request: Omit<ResyncRequest, 'requestId'>,
  waitMs: number,
): Promise<ResyncTicket> {
  const enabled = enabledDataTypes(tenant);
  const asked = request.dataTypes && request.dataTypes.length > 0 ? request.dataTypes : enabled;
  const requestId = randomUUID();
  const ticket: ResyncTicket = {
    tenantId: tenant.tenantId,
    requestId,
    dataTypes: enabled.filter((type) => asked.includes(type)),
    ignored: asked.filter((type) => !enabled.includes(type)),
    full: request.full === true,
    runs: [],
    waiting: [],
    needsAttention: null,
  };
  await createTicket(ctx.store.db, {
    _id: requestId,
    tenantId: tenant.tenantId,
    dataTypes: ticket.dataTypes,
    full: ticket.full,
    requestedAt: new Date(),
  });
  await signalResync(starterOf(ctx), tenant.tenantId, { ...request, requestId });
  ticket.needsAttention = await attentionHolding(ctx.store.db, tenant.tenantId, 'syncs');
  const deadline = Date.now() + (ticket.needsAttention ? 0 : waitMs);
  for (;;) {
    const runs = (await loadTicket(ctx.store.db, requestId))?.runs ?? {};
    ticket.runs = ticket.dataTypes.flatMap((dataType) => {
      const run = runs[dataType];
      return run ? [{ dataType, workflowId: run.workflowId, runId: run.runId }] : [];
    });
    ticket.waiting = ticket.dataTypes.filter((type) => !runs[type]);
    if (ticket.waiting.length === 0 || Date.now() >= deadline) return ticket;
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  }
}

/** A stream's pass in progress, from its last heartbeat. */
export interface StreamProgress extends Counts {
  stream: string;
  mode: SyncMode;
}

export type DataTypeProgressState =
  'waiting' | 'running' | 'completed' | 'needs_review' | 'skipped' | 'failed';

export interface DataTypeProgress {
  dataType: string;
  state: DataTypeProgressState;
  run: ResyncRun | null;
  /** The pass under way (records so far), while running. */
  current: StreamProgress | null;
  /** The run's figures once it ended (a failed run's: what it did until it failed). */
  summary: SyncRunSummary | null;
  /** Why the run failed. */
  failure: string | null;
}

export interface ResyncProgress {
  tenantId: string;
  requestId: string;
  dataTypes: DataTypeProgress[];
  needsAttention: Attention | null;
  /** Every run has ended — or cannot start before someone acts (the tenant needs attention). */
  done: boolean;
  /** A run failed, or the tenant needs attention. */
  failed: boolean;
}

const FINAL: ReadonlySet<DataTypeProgressState> = new Set(['completed', 'needs_review', 'skipped', 'failed']);

/** Where the runs of a resync stand (see XledgerSyncClient.resyncProgress). */
export async function resyncProgress(
  ctx: ClientContext,
  tenantIdInput: string,
  requestId: string,
): Promise<ResyncProgress> {
  const tenantId = parseTenantId(tenantIdInput);
  await ctx.tenants.get(tenantId);
  const ticket = await loadTicket(ctx.store.db, requestId);
  if (!ticket || ticket.tenantId !== tenantId) {
    throw new InvalidInputError(tenantId, [
      { field: 'requestId', message: `no resync ${requestId} of this tenant` },
    ]);
  }
  const dataTypes = await Promise.all(
    ticket.dataTypes.map(async (dataType): Promise<DataTypeProgress> => {
      const taken = ticket.runs[dataType];
      if (!taken)
        return { dataType, state: 'waiting', run: null, current: null, summary: null, failure: null };
      return runProgress(ctx, { dataType, workflowId: taken.workflowId, runId: taken.runId });
    }),
  );
  const needsAttention = await attentionHolding(ctx.store.db, tenantId, 'syncs');
  // A tenant that needs attention runs nothing: what waits, waits until someone acts.
  const blocked = (d: DataTypeProgress) => needsAttention !== null && d.state === 'waiting';
  return {
    tenantId,
    requestId,
    dataTypes,
    needsAttention,
    done: dataTypes.every((d) => FINAL.has(d.state) || blocked(d)),
    failed: dataTypes.some((d) => d.state === 'failed' || blocked(d)),
  };
}

async function runProgress(ctx: ClientContext, run: ResyncRun): Promise<DataTypeProgress> {
  const handle = ctx.temporal.workflow.getHandle(run.workflowId, run.runId);
  const description = await handle.describe();
  const base = { dataType: run.dataType, run, current: null, summary: null, failure: null };
  switch (description.status.name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return { ...base, state: 'running', current: currentPass(description.raw.pendingActivities ?? []) };
    case 'COMPLETED': {
      const summary = (await handle.result()) as SyncRunSummary;
      return { ...base, state: summary.status, summary };
    }
    default: {
      // Failed (its record says why), or ended from outside (terminated, timed out, cancelled).
      const stored = await ctx.store.db
        .collection<StoredRun>(collections.runs)
        .findOne({ _id: `${run.workflowId}:${run.runId}` });
      return {
        ...base,
        state: 'failed',
        summary: stored ?? null,
        failure: stored?.failure?.message ?? (await failureOf(handle, description.status.name)),
      };
    }
  }
}

interface PendingActivity {
  activityType?: { name?: string | null } | null;
  heartbeatDetails?: {
    payloads?: Array<Parameters<typeof defaultPayloadConverter.fromPayload>[0]> | null;
  } | null;
}

/** The pass under way and its records so far, from its last heartbeat. */
function currentPass(pending: readonly PendingActivity[]): StreamProgress | null {
  for (const activity of pending) {
    // A data type's streams run in one syncStreams activity; its passes heartbeat in turn, so
    // this is the one that reported last.
    if (!SYNC_PASS_ACTIVITIES.includes(activity.activityType?.name ?? '')) continue;
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) return null;
    const details = defaultPayloadConverter.fromPayload<{
      stream?: string;
      mode?: SyncMode;
      counts?: Counts;
    }>(payload);
    if (!details?.stream || !details.counts) return null;
    return { stream: details.stream, mode: details.mode ?? 'full', ...details.counts };
  }
  return null;
}

async function failureOf(
  handle: ReturnType<Client['workflow']['getHandle']>,
  status: string,
): Promise<string> {
  try {
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const messages: string[] = [];
      for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
        if (e.message && !messages.includes(e.message)) messages.push(e.message);
      }
      if (messages.length > 0) return messages.join(': ');
    }
  }
  return `the run ended as ${status.toLowerCase()}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
