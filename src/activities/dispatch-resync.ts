import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { dataTypes } from '../datatypes/registry';
import { requestSync } from '../store/sync-requests';
import { scheduleId } from '../temporal/ids';
import type { ActivityDeps } from './deps';

export interface DispatchResyncInput {
  tenantId: string;
  /** Empty: every data type the tenant syncs. */
  dataTypes: string[];
  full: boolean;
  /** The full passes may apply deletions that the mass-deletion guard held back. */
  allowMassDelete?: boolean;
  /** Client tickets the requests carry: the runs that take them write themselves in. */
  requestIds?: string[];
}

/**
 * Hands a resync to the tenant's schedules: records the request (full or incremental) for the
 * next run to take, then triggers the schedule with BUFFER_ONE — a run already in progress is
 * never doubled; at most one more follows it.
 */
export function createDispatchResync(deps: ActivityDeps) {
  return async function dispatchResync(
    input: DispatchResyncInput,
  ): Promise<{ dispatched: string[]; ignored: string[] }> {
    const tenant = await deps.tenants.get(input.tenantId);
    const enabled = dataTypes.filter((type) => type.enabledFor(tenant.options)).map((type) => type.name);
    const wanted = input.dataTypes.length === 0 ? enabled : input.dataTypes;
    const dispatched: string[] = [];
    const ignored: string[] = [];
    for (const dataType of wanted) {
      if (!enabled.includes(dataType)) {
        ignored.push(dataType);
        continue;
      }
      await requestSync(deps.db, input.tenantId, dataType, {
        full: input.full,
        allowMassDelete: input.full && input.allowMassDelete === true,
        ...(input.requestIds ? { requestIds: input.requestIds } : {}),
      });
      try {
        await deps.temporal.schedule
          .getHandle(scheduleId(input.tenantId, dataType))
          .trigger(ScheduleOverlapPolicy.BUFFER_ONE);
        dispatched.push(dataType);
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        ignored.push(dataType);
      }
    }
    deps.logger.info(
      {
        tenantId: input.tenantId,
        dispatched,
        ignored,
        full: input.full,
        allowMassDelete: input.allowMassDelete,
      },
      'resync dispatched',
    );
    return { dispatched, ignored };
  };
}
