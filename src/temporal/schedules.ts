import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import {
  extractWorkflowType,
  type SearchAttributePair,
  type TypedSearchAttributes,
  type Workflow,
} from '@temporalio/common';
import { scheduledJobNames } from '../domain/data-types';
import { getScheduledJob, scheduledJobs } from './scheduled-jobs';
import type { TenantSettings } from '../domain/tenant';
import { stretchedIntervalMinutes } from '../domain/push';
import { scheduleId } from './ids';
import { DataTypeKey, TenantIdKey, TriggerKey } from './search-attributes';

/**
 * A tenant's Temporal Schedules: one per scheduled job it has enabled (src/temporal/scheduled-jobs.ts:
 * each data type's sync, and the posting of pending invoices). Upserts are idempotent: the same
 * settings change nothing, changed settings update the schedule in place, and a data type
 * that is no longer enabled loses its schedule (no orphans). "Changed" is decided by comparing
 * what the server describes with what upsert would set (a schedule's memo cannot be updated,
 * so a fingerprint kept there would go stale after the first update).
 */
export interface TenantScheduleSpec {
  id: string;
  /** The job's name: a data type, or `invoices`. */
  dataType: string;
  intervalMinutes: number;
  /** Spreads tenants over the interval (derived from the tenant id, so it is stable). */
  offsetMinutes: number;
  jitterSeconds: number;
}

export function intervalMinutesFor(tenant: TenantSettings, job: string): number {
  const overrides: Partial<Record<string, number>> = tenant.intervalMinutes;
  return overrides[job] || getScheduledJob(job).defaultIntervalMinutes;
}

/** Data types Xledger pushes now (store/push-subscriptions.ts), and how much longer their polling interval gets. */
export interface PushedTypes {
  types: readonly string[];
  factor: number;
}

/**
 * The schedules a tenant should have: its enabled jobs, in the jobs' order (data types, then
 * invoices and the push watch). A pushed data type is polled `factor` times less often (capped
 * at its full-pass interval: domain/push.ts).
 */
export function scheduleSpecsFor(tenant: TenantSettings, pushed?: PushedTypes): TenantScheduleSpec[] {
  const names = scheduledJobs.filter((job) => job.enabledFor(tenant)).map((job) => job.name);
  return names.map((name) => {
    const own = intervalMinutesFor(tenant, name);
    const intervalMinutes =
      pushed && pushed.types.includes(name)
        ? stretchedIntervalMinutes(own, pushed.factor, tenant.fullPassIntervalHours)
        : own;
    // Many tenants on the same interval would otherwise all start at the top of the hour.
    const offsetMinutes = stableNumber(`${tenant.tenantId}:${name}`) % intervalMinutes;
    const jitterSeconds = Math.min(60, Math.floor((intervalMinutes * 60) / 10));
    return {
      id: scheduleId(tenant.tenantId, name),
      dataType: name,
      intervalMinutes,
      offsetMinutes,
      jitterSeconds,
    };
  });
}

export class TenantSchedules {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Creates or updates the tenant's schedules; returns what changed. The schedules are
   * independent, so they are upserted side by side (one round trip's wait instead of eight).
   */
  async upsert(
    tenant: TenantSettings,
    paused = false,
    pushed?: PushedTypes,
  ): Promise<{ created: string[]; updated: string[]; deleted: string[] }> {
    const wanted = scheduleSpecsFor(tenant, pushed);
    const outcomes = await Promise.all(
      wanted.map(async (spec): Promise<'created' | 'updated' | 'same'> => {
        const handle = this.client.schedule.getHandle(spec.id);
        const current = await describeOrNull(handle);
        if (!current) {
          await this.client.schedule.create(this.options(tenant.tenantId, spec, paused));
          return 'created';
        }
        if (sameSchedule(current, this.options(tenant.tenantId, spec, current.state.paused))) return 'same';
        // Memo cannot change on update: it only holds what never changes (tenant, data type).
        const {
          scheduleId: _id,
          memo: _memo,
          ...update
        } = this.options(tenant.tenantId, spec, current.state.paused);
        await handle.update(() => update as ScheduleUpdateOptions);
        return 'updated';
      }),
    );
    const wantedIds = new Set(wanted.map((spec) => spec.id));
    const stale = scheduledJobNames
      .map((name) => scheduleId(tenant.tenantId, name))
      .filter((id) => !wantedIds.has(id));
    const deleted = await Promise.all(stale.map((id) => this.deleteIfExists(id)));
    return {
      created: wanted.filter((_, i) => outcomes[i] === 'created').map((spec) => spec.id),
      updated: wanted.filter((_, i) => outcomes[i] === 'updated').map((spec) => spec.id),
      deleted: stale.filter((_, i) => deleted[i]),
    };
  }

  async removeAll(tenantId: string): Promise<void> {
    for (const name of scheduledJobNames) await this.deleteIfExists(scheduleId(tenantId, name));
  }

  async setPaused(tenant: TenantSettings, paused: boolean, note: string): Promise<void> {
    for (const spec of scheduleSpecsFor(tenant)) {
      const handle = this.client.schedule.getHandle(spec.id);
      if (paused) await handle.pause(note);
      else await handle.unpause(note);
    }
  }

  private options(tenantId: string, spec: TenantScheduleSpec, paused: boolean): ScheduleOptions {
    const job = getScheduledJob(spec.dataType);
    return {
      scheduleId: spec.id,
      // Durations in ms, the unit describe() answers in, so that sameSchedule() compares like with like.
      spec: {
        intervals: [{ every: spec.intervalMinutes * 60_000, offset: spec.offsetMinutes * 60_000 }],
        jitter: spec.jitterSeconds * 1000,
      },
      action: {
        type: 'startWorkflow',
        workflowType: job.workflowType,
        workflowId: job.workflowId(tenantId),
        taskQueue: this.taskQueue,
        args: job.args(tenantId),
        typedSearchAttributes: [
          { key: TenantIdKey, value: tenantId },
          { key: DataTypeKey, value: spec.dataType },
          { key: TriggerKey, value: 'schedule' },
        ],
      },
      policies: {
        // A slow run is never doubled; after an outage, missed runs within the window run once.
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: Math.max(spec.intervalMinutes, 10) * 60_000,
        pauseOnFailure: false,
      },
      state: { paused, note: paused ? 'tenant paused' : `every ${spec.intervalMinutes} min` },
      memo: { tenantId, dataType: spec.dataType },
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenantId },
        { key: DataTypeKey, value: spec.dataType },
      ],
    };
  }

  private async deleteIfExists(id: string): Promise<boolean> {
    try {
      await this.client.schedule.getHandle(id).delete();
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  }
}

async function describeOrNull(handle: ReturnType<Client['schedule']['getHandle']>) {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

function stableNumber(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/**
 * Whether the described schedule already does what `wanted` says: spec, action (workflow,
 * id, task queue, arguments, search attributes) and policies. Pause state is not compared:
 * upsert keeps it.
 */
export function sameSchedule(current: ScheduleDescription, wanted: ScheduleOptions): boolean {
  return stableJson(comparableOf(current)) === stableJson(comparableOf(wanted));
}

function comparableOf(schedule: ScheduleDescription | ScheduleOptions) {
  const action = schedule.action as {
    type?: string;
    workflowType: string | Workflow;
    workflowId?: string;
    taskQueue?: string;
    args?: unknown;
    typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes;
  };
  const policies = schedule.policies ?? {};
  const attributes = action.typedSearchAttributes;
  const pairs = Array.isArray(attributes) ? attributes : (attributes?.getAll() ?? []);
  return {
    intervals: (schedule.spec.intervals ?? []).map((i) => ({ every: i.every, offset: i.offset ?? 0 })),
    jitter: schedule.spec.jitter ?? 0,
    // Built options name the workflow by its function; the server describes it by its type name.
    workflowType: extractWorkflowType(action.workflowType),
    workflowId: action.workflowId,
    taskQueue: action.taskQueue,
    args: action.args ?? [],
    attributes: Object.fromEntries(pairs.map((pair) => [pair.key.name, pair.value])),
    overlap: policies.overlap ?? ScheduleOverlapPolicy.SKIP,
    catchupWindow: policies.catchupWindow,
    pauseOnFailure: policies.pauseOnFailure ?? false,
  };
}

/** JSON with object keys sorted, so that decoded and built values compare equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
