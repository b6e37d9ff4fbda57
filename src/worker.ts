import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from './activities';
import { castKnownErrors } from './activities/cast-known-errors';
import { loadConfig, type Config } from './config';
import { ensureEventSweepSchedule } from './temporal/starters';
import { logger } from './logger';
import { activityMetricsInterceptor } from './observability/activity-metrics';
import { xledgerObserver } from './observability/metrics';
import { tracing, workflowTracingModules } from './observability/tracing';
import { startWorkerObservability } from './observability/worker-observability';
import { connectStore, ensureIndexes, type Store } from './store/db';
import { MongoCreditPool } from './store/credit-pool';
import { MongoRequestBudget } from './store/request-budget';
import { TenantStore } from './store/tenants';
import { cipherFromConfig } from './store/token-cipher';
import { connectClient, connectWorker } from './temporal/connection';
import { workerIdentity } from './temporal/worker-identity';
import { limitHeapGrowth } from './worker-heap';
import { XledgerClient } from './xledger/client';
import { RequestGates } from './xledger/request-gate';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
/** Beside the compiled worker (dist/worker.js), `npm run build` leaves the workflows bundled once. */
const prebuiltWorkflowBundle = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));

export interface WorkerOptions {
  config: Config;
  store: Store;
  connection: NativeConnection;
  /** A prebuilt workflow bundle (tests build one per run); else the workflows are bundled now. */
  workflowBundlePath?: string;
  /** Overrides for tests: shorter heartbeats, smaller pages. */
  activityOverrides?: { heartbeatIntervalMs?: number; pageSize?: number };
  /** Create the service's events sweep schedule if missing (the production worker does). */
  eventSweep?: boolean;
}

export interface RunnableWorker {
  worker: Worker;
  /** Runs until shutdown, then closes the worker's own Temporal client connection. */
  run(): Promise<void>;
}

/** A worker wired with the real dependencies: MongoDB, the tenant store and Xledger clients. */
export async function createWorker(options: WorkerOptions): Promise<RunnableWorker> {
  const { config, store } = options;
  limitHeapGrowth(config.temporal.heapGrowthPercent);
  // A token's requests may fill half the worker's activity slots, and about ten seconds of its
  // budget, before its invoice postings step aside for other tenants (step-aside.ts).
  const gates = new RequestGates(
    {
      ...config.xledger,
      maxWaiting: Math.max(
        1,
        Math.min(
          Math.floor(config.temporal.maxConcurrentActivities / 2),
          2 * config.xledger.maxRequestsPer5s,
        ),
      ),
    },
    // Xledger counts per token: every worker using a token shares one budget (in MongoDB)…
    new MongoRequestBudget(store.db, { maxRequestsPer5s: config.xledger.maxRequestsPer5s }),
    // …and one credit pause: spent credits pause the token in every worker, not only the one refused.
    new MongoCreditPool(store.db),
  );
  const tenants = new TenantStore(store.db, cipherFromConfig(config), config.xledger.defaultEndpoint);
  const tracer = tracing(config);
  const clientConnection = await connectClient(config.temporal);
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const activities = createActivities({
    db: store.db,
    temporal,
    taskQueue: config.temporal.taskQueue,
    tenants,
    xledgerFor: (endpoint, token, tenantId, clientOptions) =>
      new XledgerClient({
        endpoint,
        token,
        endpointPolicy: config.xledger.endpointPolicy,
        requestTimeoutMs: config.xledger.requestTimeoutMs,
        creditsWaitMs: config.xledger.creditsWaitMs,
        ...(clientOptions?.readRateLimit ? { readRateLimit: true } : {}),
        gate: gates.forToken(endpoint, token),
        ...(tenantId ? { observer: xledgerObserver(tenantId) } : {}),
      }),
    pageSize: options.activityOverrides?.pageSize ?? config.xledger.pageSize,
    logger,
    webhooks: config.webhooks,
    invoices: config.invoices,
    push: config.push,
    ...(options.activityOverrides?.heartbeatIntervalMs
      ? { heartbeatIntervalMs: options.activityOverrides.heartbeatIntervalMs }
      : {}),
  });
  if (options.eventSweep) await ensureEventSweepSchedule(temporal, config.temporal.taskQueue);
  const worker = await Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    // Announces this worker's version: clients refuse a fleet of another release line (client/compatibility.ts).
    identity: workerIdentity(),
    maxConcurrentActivityTaskExecutions: config.temporal.maxConcurrentActivities,
    // A draining worker lets running activities finish for the grace time, then cancels them;
    // at the force time it gives up on whatever still runs (run() rejects), so a stop never
    // hangs on an activity that waits on a stalled database or Xledger.
    shutdownGraceTime: config.temporal.shutdownGraceMs,
    shutdownForceTime: config.temporal.shutdownForceMs,
    // Heartbeats reach Temporal every 5 s at most (the SDK's default is 80% of the heartbeat
    // timeout, 24 s for a sync pass): the Web UI shows a pass's progress while it runs.
    // Resumption does not depend on it (it reads the pass ledger, store/sync-passes.ts).
    maxHeartbeatThrottleInterval: '5 seconds',
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath }),
    activities,
    interceptors: {
      // Outermost first: the spans and the metrics see the failures castKnownErrors makes.
      activity: [...tracer.workerOptions.activityInterceptors, activityMetricsInterceptor, castKnownErrors],
      // A prebuilt bundle has them already (bundled with workflowTracingModules).
      ...(options.workflowBundlePath ? {} : { workflowModules: workflowTracingModules }),
    },
    sinks: tracer.workerOptions.sinks,
  });
  return {
    worker,
    run: async () => {
      try {
        await worker.run();
      } finally {
        await clientConnection.close();
      }
    },
  };
}

/**
 * Calls `onSignal` on the first SIGINT or SIGTERM. Later ones are only logged: run through npm, a
 * terminal's Ctrl-C reaches the process twice (from the terminal, and forwarded by npm), and a
 * second signal must not cut a drain short. The worker's force time bounds the drain. Returns a
 * function that removes the handlers.
 */
export function shutdownOnSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  let firstAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      // The copy npm forwards arrives at once; only a later signal is worth a line.
      if (Date.now() - firstAt > 1_000) logger.info({ signal }, 'already stopping; waiting for the drain');
      return;
    }
    firstAt = Date.now();
    onSignal(signal);
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}

/**
 * `npm run worker`: runs until SIGINT/SIGTERM, then drains — takes no new tasks, lets running
 * activities finish (WORKER_SHUTDOWN_GRACE_SECONDS), cancels what still runs — and exits 0. A
 * worker that has not drained by WORKER_SHUTDOWN_FORCE_SECONDS exits 1.
 */
export async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  // Until the worker runs there is nothing to drain: a stop signal ends the start-up at once. (As
  // PID 1 in a container node has no default action for SIGTERM: without a handler it would be lost.)
  const stopWhileStarting = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopped while starting');
    process.exit(0);
  };
  process.once('SIGTERM', stopWhileStarting).once('SIGINT', stopWhileStarting);
  const store = await connectStore(config.mongo.uri, config.mongo.dbName, {
    timeoutMs: config.mongo.timeoutMs,
    requestTimeoutMs: config.mongo.workerRequestTimeoutMs,
  });
  const observability = await startWorkerObservability(config, store).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  try {
    await ensureIndexes(store.db);
    const connection = await connectWorker(config.temporal);
    try {
      const prebuilt = existsSync(prebuiltWorkflowBundle);
      const { worker, run } = await createWorker({
        config,
        store,
        connection,
        eventSweep: true,
        ...(prebuilt ? { workflowBundlePath: prebuiltWorkflowBundle } : {}),
      });
      const running = run(); // RUNNING from here on: shutdown() may be called
      observability.watch(worker, connection);
      process.off('SIGTERM', stopWhileStarting).off('SIGINT', stopWhileStarting);
      const removeHandlers = shutdownOnSignals((signal) => {
        logger.info(
          {
            signal,
            graceSeconds: config.temporal.shutdownGraceMs / 1000,
            forceSeconds: config.temporal.shutdownForceMs / 1000,
          },
          'worker draining',
        );
        if (worker.getState() === 'RUNNING') worker.shutdown();
      });
      logger.info(
        {
          taskQueue: config.temporal.taskQueue,
          namespace: config.temporal.namespace,
          workflows: prebuilt ? 'prebuilt bundle' : 'bundled at start',
        },
        'worker started',
      );
      try {
        await running;
      } finally {
        removeHandlers();
      }
    } finally {
      // After a forced stop the worker may still hold the connection: that error must not hide
      // the one that ended the run.
      await connection
        .close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the Temporal connection failed'));
    }
  } finally {
    await observability.close();
    await tracing(config).shutdown();
    await store.close();
  }
  logger.info('worker stopped');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    // Exit now: a leftover timer (a request gate, a driver's monitor) must not keep a drained worker alive.
    () => process.exit(0),
    (error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped with an error');
      process.exit(1);
    },
  );
}
