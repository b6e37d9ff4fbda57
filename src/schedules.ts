import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import { dataTypes, getDataType } from './datatypes/registry';
import type { TenantSettings } from './tenant';
import { scheduleId, syncWorkflowId } from './temporal/ids';
import { DataTypeKey, TenantIdKey, TriggerKey } from './temporal/search-attributes';
import type { SyncDataTypeInput } from './workflows/sync-data-type';

/**
 * A tenant's Temporal Schedules: one per enabled data type. Upserts are idempotent: the same
 * settings change nothing, changed settings update the schedule in place, and a data type
 * that is no longer enabled loses its schedule (no orphans).
 */
export interface TenantScheduleSpec {
  id: string;
  dataType: string;
  intervalMinutes: number;
  /** Spreads tenants over the interval (derived from the tenant id, so it is stable). */
  offsetMinutes: number;
  jitterSeconds: number;
  fingerprint: string;
}

export function intervalMinutesFor(tenant: TenantSettings, dataType: string): number {
  return tenant.intervalMinutes[dataType] ?? getDataType(dataType).defaultIntervalMinutes;
}

export function scheduleSpecsFor(tenant: TenantSettings): TenantScheduleSpec[] {
  return dataTypes
    .filter((type) => type.enabledFor(tenant.options))
    .map((type) => {
      const intervalMinutes = intervalMinutesFor(tenant, type.name);
      // Many tenants on the same interval would otherwise all start at the top of the hour.
      const offsetMinutes = stableNumber(`${tenant.tenantId}:${type.name}`) % intervalMinutes;
      const jitterSeconds = Math.min(60, Math.floor((intervalMinutes * 60) / 10));
      const spec = { dataType: type.name, intervalMinutes, offsetMinutes, jitterSeconds };
      return { id: scheduleId(tenant.tenantId, type.name), ...spec, fingerprint: fingerprintOf(spec) };
    });
}

export class TenantSchedules {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Creates or updates the tenant's schedules; returns what changed. */
  async upsert(
    tenant: TenantSettings,
    paused = false,
  ): Promise<{ created: string[]; updated: string[]; deleted: string[] }> {
    const changes = { created: [] as string[], updated: [] as string[], deleted: [] as string[] };
    const wanted = scheduleSpecsFor(tenant);
    for (const spec of wanted) {
      const handle = this.client.schedule.getHandle(spec.id);
      const current = await describeOrNull(handle);
      if (!current) {
        await this.client.schedule.create(this.options(tenant.tenantId, spec, paused));
        changes.created.push(spec.id);
      } else if (current.memo?.fingerprint !== this.fingerprint(spec)) {
        const { scheduleId: _id, ...update } = this.options(tenant.tenantId, spec, current.state.paused);
        await handle.update(() => update as ScheduleUpdateOptions);
        changes.updated.push(spec.id);
      }
    }
    const wantedIds = new Set(wanted.map((spec) => spec.id));
    for (const type of dataTypes) {
      const id = scheduleId(tenant.tenantId, type.name);
      if (wantedIds.has(id)) continue;
      if (await this.deleteIfExists(id)) changes.deleted.push(id);
    }
    return changes;
  }

  async removeAll(tenantId: string): Promise<void> {
    for (const type of dataTypes) await this.deleteIfExists(scheduleId(tenantId, type.name));
  }

  async setPaused(tenant: TenantSettings, paused: boolean, note: string): Promise<void> {
    for (const spec of scheduleSpecsFor(tenant)) {
      const handle = this.client.schedule.getHandle(spec.id);
      if (paused) await handle.pause(note);
      else await handle.unpause(note);
    }
  }

  private options(tenantId: string, spec: TenantScheduleSpec, paused: boolean): ScheduleOptions {
    const args: [SyncDataTypeInput] = [
      { tenantId, dataType: spec.dataType, mode: 'auto', trigger: 'schedule' },
    ];
    return {
      scheduleId: spec.id,
      spec: {
        intervals: [{ every: `${spec.intervalMinutes}m`, offset: `${spec.offsetMinutes}m` }],
        jitter: `${spec.jitterSeconds}s`,
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'syncDataTypeWorkflow',
        workflowId: syncWorkflowId(tenantId, spec.dataType),
        taskQueue: this.taskQueue,
        args,
        typedSearchAttributes: [
          { key: TenantIdKey, value: tenantId },
          { key: DataTypeKey, value: spec.dataType },
          { key: TriggerKey, value: 'schedule' },
        ],
      },
      policies: {
        // A slow run is never doubled; after an outage, missed runs within the window run once.
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: `${Math.max(spec.intervalMinutes, 10)}m`,
        pauseOnFailure: false,
      },
      state: { paused, note: paused ? 'tenant paused' : `every ${spec.intervalMinutes} min` },
      memo: {
        tenantId,
        dataType: spec.dataType,
        intervalMinutes: spec.intervalMinutes,
        fingerprint: this.fingerprint(spec),
      },
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenantId },
        { key: DataTypeKey, value: spec.dataType },
      ],
    };
  }

  /** The task queue is part of what a schedule does, so moving it updates the schedules. */
  private fingerprint(spec: TenantScheduleSpec): string {
    return `${spec.fingerprint}@${this.taskQueue}`;
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

function fingerprintOf(spec: object): string {
  // v1: bump when the action or policies change shape, so existing schedules are updated.
  return `v1:${createHash('sha256').update(JSON.stringify(spec)).digest('base64url').slice(0, 16)}`;
}
