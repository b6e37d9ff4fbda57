import { Context } from '@temporalio/activity';
import { adaptStream } from '../datatypes/optional-fields';
import { getStream } from '../datatypes/registry';
import type { StreamFigures } from '../domain/figures';
import type { PassKey } from '../store/sync-passes';
import type { RequestedMode } from '../sync/pass-mode';
import { runPass, type PassSpending } from '../sync/pass-runner';
import { tenantXledger, type ActivityDeps } from './deps';
import { leaveOutRefusedField } from './optional-field-refusal';
import { noteSpent } from './pass-spent';

export interface SyncStreamInput {
  tenantId: string;
  dataType: string;
  stream: string;
  /**
   * What the run asks of the pass; the pass decides its mode when it starts (sync/pass-mode.ts)
   * and its figures report the mode it ran.
   */
  mode: RequestedMode;
  /** An operator confirmed that this full pass may mark a large share of records deleted. */
  allowMassDelete?: boolean;
}

/**
 * One pass over one Xledger stream for one tenant (src/sync/pass-runner.ts), as an activity:
 * the pass is named by the activity (the same for every attempt, new for every run) and fenced
 * on its attempt; it heartbeats through the activity and stops when Temporal cancels the
 * attempt. Nothing but figures goes back to the workflow.
 */
export function createSyncStream(deps: ActivityDeps) {
  // Its errors (Xledger's, a superseded or incomplete pass) become failures in cast-known-errors.ts.
  return async function syncStream(input: SyncStreamInput): Promise<StreamFigures> {
    const stream = getStream(input.stream);
    const spending: PassSpending = {};
    try {
      const context = Context.current();
      const { workflowExecution, activityId, attempt } = context.info;
      const key: PassKey = {
        tenantId: input.tenantId,
        stream: stream.name,
        // The same for every attempt of this activity, and new for every run.
        passId: `${workflowExecution?.runId ?? 'standalone'}:${activityId}`,
        attempt,
      };
      const log = deps.logger.child({ tenantId: input.tenantId, stream: stream.name, attempt });
      const { tenant, client } = await tenantXledger(deps, input.tenantId);
      // Without the optional fields the tenant's Xledger lacks (src/datatypes/optional-fields.ts).
      const omitted = await deps.tenants.omittedFields(input.tenantId);
      return await runPass(
        {
          db: deps.db,
          client,
          tenant,
          log,
          pageSize: deps.pageSize,
          overlapMinutes: deps.overlapMinutes,
          heartbeatIntervalMs: deps.heartbeatIntervalMs,
          heartbeat: (details) => context.heartbeat(details),
          signal: context.cancellationSignal,
        },
        {
          key,
          stream: adaptStream(stream, omitted, tenant.entityOwnerDbId),
          mode: input.mode,
          allowMassDelete: input.allowMassDelete === true,
        },
        spending,
      );
    } catch (caught) {
      const error = await leaveOutRefusedField(deps.tenants, input.tenantId, stream, caught);
      // What the pass spent, its failing request included: the failed run's cost counts it.
      const usage = spending.usage?.();
      if (usage) noteSpent(error, { stream: stream.name, ...usage });
      throw error;
    }
  };
}
