import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadConfig, requireEncryptionKey, type Config } from './config';
import { logger } from './logger';
import { connectStore, ensureIndexes, type Store } from './store/db';
import { TenantStore } from './store/tenants';
import { TokenCipher } from './store/token-cipher';
import { connectClient, connectWorker } from './temporal/connection';
import { XledgerClient } from './xledger/client';
import { RequestGates } from './xledger/request-gate';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  config: Config;
  store: Store;
  connection: NativeConnection;
  /** A prebuilt workflow bundle (tests build one per run); else the workflows are bundled now. */
  workflowBundlePath?: string;
  /** Overrides for tests: shorter heartbeats, smaller pages. */
  activityOverrides?: { heartbeatIntervalMs?: number; pageSize?: number };
}

export interface RunnableWorker {
  worker: Worker;
  /** Runs until shutdown, then closes the worker's own Temporal client connection. */
  run(): Promise<void>;
}

/** A worker wired with the real dependencies: MongoDB, the tenant store and Xledger clients. */
export async function createWorker(options: WorkerOptions): Promise<RunnableWorker> {
  const { config, store } = options;
  // A token's requests may fill half the worker's activity slots, and about ten seconds of its
  // budget, before its invoice postings step aside for other tenants (step-aside.ts).
  const gates = new RequestGates({
    ...config.xledger,
    maxWaiting: Math.max(
      1,
      Math.min(Math.floor(config.temporal.maxConcurrentActivities / 2), 2 * config.xledger.maxRequestsPer5s),
    ),
  });
  const tenants = new TenantStore(
    store.db,
    new TokenCipher(requireEncryptionKey(config)),
    config.xledger.defaultEndpoint,
  );
  const clientConnection = await connectClient(config.temporal);
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const activities = createActivities({
    db: store.db,
    temporal,
    taskQueue: config.temporal.taskQueue,
    tenants,
    xledgerFor: (endpoint, token) =>
      new XledgerClient({
        endpoint,
        token,
        requestTimeoutMs: config.xledger.requestTimeoutMs,
        gate: gates.forToken(endpoint, token),
      }),
    pageSize: options.activityOverrides?.pageSize ?? config.xledger.pageSize,
    logger,
    ...(options.activityOverrides?.heartbeatIntervalMs
      ? { heartbeatIntervalMs: options.activityOverrides.heartbeatIntervalMs }
      : {}),
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxConcurrentActivityTaskExecutions: config.temporal.maxConcurrentActivities,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath }),
    activities,
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

/** `npm run worker`: runs until SIGINT/SIGTERM, then drains and exits. */
export async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const store = await connectStore(config.mongo.uri, config.mongo.dbName);
  await ensureIndexes(store.db);
  const connection = await connectWorker(config.temporal);
  const { run } = await createWorker({ config, store, connection });
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace },
    'worker started',
  );
  try {
    await run();
  } finally {
    await connection.close();
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker stopped with an error');
    process.exit(1);
  });
}
