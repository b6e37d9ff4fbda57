/**
 * The real activities, wired to a harness's servers without a worker, for tests that play
 * Temporal's part themselves: which attempt runs when, and which one is a zombie.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities';
import { castKnownErrors } from '../../src/activities/cast-known-errors';
import type { ActivityDeps } from '../../src/activities/deps';
import { logger } from '../../src/logger';
import { XledgerClient } from '../../src/xledger/client';
import { RequestGates } from '../../src/xledger/request-gate';
import { syncDataTypeWorkflow } from '../../src/workflows';
import type { Harness } from './harness';

export function harnessActivities(h: Harness, options: { pageSize: number }): Activities {
  return createActivities(harnessDeps(h, options));
}

/** The activities' dependencies on a harness's servers (to vary one, e.g. the webhook settings). */
export function harnessDeps(h: Harness, options: { pageSize: number } = { pageSize: 100 }): ActivityDeps {
  const gates = new RequestGates({ ...h.config.xledger, maxWaiting: 8 });
  return {
    db: h.store.db,
    tenants: h.tenants,
    temporal: h.client,
    taskQueue: h.taskQueue,
    xledgerFor: (endpoint, token) =>
      new XledgerClient({
        endpoint,
        token,
        endpointPolicy: h.config.xledger.endpointPolicy,
        requestTimeoutMs: h.config.xledger.requestTimeoutMs,
        gate: gates.forToken(endpoint, token),
      }),
    pageSize: options.pageSize,
    logger,
    heartbeatIntervalMs: 200,
    webhooks: h.config.webhooks,
  };
}

/** One attempt of one activity of one workflow run, as Temporal would start it. */
export function attemptOf(runId: string, attempt: number, activityId = '2'): MockActivityEnvironment {
  return new MockActivityEnvironment(
    {
      attempt,
      activityId,
      activityType: 'syncStream',
      workflowType: syncDataTypeWorkflow.name,
      workflowExecution: { workflowId: `sync:${runId}`, runId },
    },
    // Errors become failures as on a worker.
    { logger: new DefaultLogger('ERROR'), interceptors: [castKnownErrors] },
  );
}
