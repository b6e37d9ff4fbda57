import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config';
import { connectStore, ensureIndexes, type Store } from '../../src/store/db';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/index';
import type { TenantConfigInput } from '../../src/domain/tenant';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { connectWorker } from '../../src/temporal/connection';
import { createWorker } from '../../src/worker';

/**
 * Everything an integration test needs, on the run's real servers: its own MongoDB database
 * and Temporal task queue (so test files never see each other's data or workflows), a
 * simulator, a tenant store and an in-process worker.
 */
export interface Harness {
  config: Config;
  store: Store;
  tenants: TenantStore;
  sim: RunningSimulator;
  client: Client;
  taskQueue: string;
  startWorker(overrides?: { heartbeatIntervalMs?: number; pageSize?: number }): Promise<Worker>;
  saveTenant(input: TenantConfigInput): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  simulator: SimulatorOptions = {},
  /** A Temporal server of the test's own (e.g. one it stops and restarts); default: the run's. */
  temporal: { address: string; namespace: string } = {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
  },
  /** A MongoDB-wire server of the test's own (e.g. one it restarts); default: the run's. */
  mongo: { uri: string } = { uri: inject('mongoUri') },
  /** More configuration for the harness's workers (e.g. short invoice settle windows). */
  env: Record<string, string> = {},
): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const taskQueue = `test-${suffix}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGODB_URI: mongo.uri,
    MONGODB_DB: `${inject('mongoDbName')}_${suffix}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The simulator listens on http://127.0.0.1.
    ALLOW_INSECURE_LOOPBACK: 'true',
    // Webhook tests run their receivers on this machine, over plain http.
    WEBHOOK_INSECURE_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const store = await connectStore(config.mongo.uri, config.mongo.dbName);
  await ensureIndexes(store.db);
  const sim = await startSimulator({ importProcessingDelayMs: 200, ...simulator });
  const tenants = new TenantStore(store.db, new TokenCipher(config.tokenEncryptionKey!), sim.graphqlUrl);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workers: Array<{ worker: Worker; done: Promise<void>; connection: NativeConnection }> = [];
  return {
    config,
    store,
    tenants,
    sim,
    client,
    taskQueue,
    async startWorker(overrides) {
      const nativeConnection = await connectWorker(config.temporal);
      const { worker, run } = await createWorker({
        config,
        store,
        connection: nativeConnection,
        workflowBundlePath: inject('workflowBundlePath'),
        ...(overrides ? { activityOverrides: overrides } : {}),
      });
      workers.push({ worker, done: run(), connection: nativeConnection });
      return worker;
    },
    async saveTenant(input) {
      await tenants.save(tenantConfigSchema.parse(input));
    },
    async close() {
      for (const { worker, done, connection: c } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
        await c.close();
      }
      await connection.close();
      await sim.close();
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    },
  };
}
