/**
 * economy's push column: the same quiet tenant with `push: true`. Its webhooks are registered
 * and watched on the simulator through Temporal (watchPushWorkflow, as its schedule runs it),
 * each counted at the simulator; the data types the registration leaves pushed are polled at
 * their stretched interval (scheduleSpecsFor with the pushed types, as the watch re-times the
 * schedules), at the per-run costs the polling column measured. A quiet tenant gets no
 * deliveries, so no pushed runs; an active one gets a run per delivery at most (coalesced).
 */
import { randomBytes } from 'node:crypto';
import { checkLiveSchema } from '../../src/catalogue/schema-check';
import { loadConfig } from '../../src/config';
import { startPushServer, type RunningPushServer } from '../../src/push/server';
import type { RunningSimulator } from '../../src/simulator/index';
import type { TenantSettings } from '../../src/domain/tenant';
import { tenantConfigSchema, type TenantConfigInput } from '../../src/domain/tenant';
import type { WatchPushResult } from '../../src/temporal/definitions';
import { scheduleSpecsFor, TenantSchedules, type TenantScheduleSpec } from '../../src/temporal/schedules';
import { logger } from '../../src/logger';
import { watchPushWorkflow } from '../../src/workflows';
import type { BenchEnv } from '../support/stack';

export interface PushCosts {
  /** Requests of the first watch: the registrations (once per tenant). */
  registration: number;
  /** Requests of one watch when all is well (the states of every webhook in one request). */
  watch: number;
  watchesPerDay: number;
  result: WatchPushResult;
  /** The schedules as the watch re-timed them. */
  specs: TenantScheduleSpec[];
}

/** Starts the receiver the tenant's webhooks point at; PUSH_PUBLIC_BASE_URL for the worker. */
export async function startBenchPushReceiver(env: BenchEnv): Promise<RunningPushServer> {
  return startPushServer({
    db: env.store.db,
    tenants: env.tenants,
    temporal: env.temporal,
    dateWindowMs: env.config.push.dateWindowMs,
    logger,
  });
}

/** Saves the tenant with push on and the live schema's subscriptions, as `tenant upsert` would. */
export async function savePushTenant(
  env: BenchEnv,
  sim: RunningSimulator,
  input: TenantConfigInput,
): Promise<void> {
  const check = await checkLiveSchema({
    endpoint: sim.graphqlUrl,
    token: input.xledger.token,
    requestTimeoutMs: 60_000,
    endpointPolicy: env.config.xledger.endpointPolicy,
  });
  await env.tenants.save(tenantConfigSchema.parse({ ...input, push: true }), new Date(), {
    checkedAt: new Date().toISOString(),
    outcome: 'verified',
    note: null,
    warnings: [],
    subscriptions: check.subscriptions,
  });
}

/** Runs the watch twice (registration, then steady state), each costed at the simulator. */
export async function measurePush(
  env: BenchEnv,
  tenant: TenantSettings,
  costOf: (action: () => Promise<unknown>) => Promise<{ requests: number }>,
): Promise<PushCosts> {
  const watch = () =>
    env.temporal.workflow.execute(watchPushWorkflow, {
      taskQueue: env.config.temporal.taskQueue,
      workflowId: `bench:${tenant.tenantId}:push-watch:${randomBytes(3).toString('hex')}`,
      args: [{ tenantId: tenant.tenantId }],
    });
  let result: WatchPushResult | undefined;
  const registration = await costOf(async () => (result = await watch()));
  // The watch re-timed the tenant's schedules (creating them): the bench runs each type itself.
  await new TenantSchedules(env.temporal, env.config.temporal.taskQueue).removeAll(tenant.tenantId);
  const steady = await costOf(watch);
  const factor = loadConfig(env.workerEnv).push.intervalFactor;
  const specs = scheduleSpecsFor(tenant, { types: result!.pushedTypes, factor });
  const watchSpec = specs.find((spec) => spec.dataType === 'pushWatch')!;
  return {
    registration: registration.requests,
    watch: steady.requests,
    watchesPerDay: (24 * 60) / watchSpec.intervalMinutes,
    result: result!,
    specs,
  };
}
