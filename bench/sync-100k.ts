/**
 * Benchmark: a full sync of N suppliers (default 100,000) from the simulator into MongoDB
 * through Temporal, then a no-op incremental sync. Prints time, documents written and Xledger
 * requests of each, measured in this one run.
 *   npx tsx bench/sync-100k.ts [suppliers]
 * Uses MONGODB_URI when set, else an ephemeral dev stack (Temporal dev server + FerretDB).
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { startDevStack } from '../src/devstack/stack';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator } from '../src/simulator/index';
import { connectStore, ensureIndexes } from '../src/store/db';
import { recordsCollection } from '../src/store/records';
import { TenantStore } from '../src/store/tenants';
import { TokenCipher } from '../src/store/token-cipher';
import type { SyncRunSummary } from '../src/sync/figures';
import { tenantConfigSchema } from '../src/tenant';
import { createWorker } from '../src/worker';
import { syncDataTypeWorkflow } from '../src/workflows';

const TENANT = 'bench';

async function main(): Promise<void> {
  const suppliers = Number(process.argv[2] ?? 100_000);
  const t0 = performance.now();
  const sim = await startSimulator({ seed: 1, suppliers });
  const simStartMs = performance.now() - t0;
  const stack = await startDevStack({ ephemeral: true, temporal: 'free', mongo: 'free', headless: true });
  const suffix = randomBytes(3).toString('hex');
  const config = loadConfig({
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    TEMPORAL_TASK_QUEUE: `bench-${suffix}`,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: `xledger_sync_bench_${suffix}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ALLOW_INSECURE_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
  });
  const store = await connectStore(config.mongo.uri, config.mongo.dbName);
  await ensureIndexes(store.db);
  const tenants = new TenantStore(store.db, new TokenCipher(config.tokenEncryptionKey!), sim.graphqlUrl);
  await tenants.save(
    tenantConfigSchema.parse({
      tenantId: TENANT,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    }),
  );
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const { worker, run: runWorker } = await createWorker({ config, store, connection: nativeConnection });
  const running = runWorker();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });

  const rows: Array<Record<string, string | number>> = [];
  const run = async (label: string, mode: 'full' | 'incremental') => {
    sim.counters.reset();
    const started = performance.now();
    const summary: SyncRunSummary = await client.workflow.execute(syncDataTypeWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `bench:${TENANT}:suppliers:${mode}:${Date.now()}`,
      args: [{ tenantId: TENANT, dataType: 'suppliers', mode, trigger: 'manual' }],
    });
    const seconds = (performance.now() - started) / 1000;
    const t = summary.totals;
    rows.push({
      pass: label,
      seconds: Number(seconds.toFixed(1)),
      fetched: t.fetched,
      kept: t.kept,
      written: t.inserted + t.updated + t.deleted,
      unchanged: t.unchanged,
      requests: t.requests,
      'sim requests': sim.counters.all()['root']?.requests ?? 0,
      'MB down': Number((t.bytesReceived / 1e6).toFixed(1)),
      'records/s': Math.round(t.fetched / seconds),
    });
    console.log(`${label}: done in ${seconds.toFixed(1)} s`);
  };
  try {
    await run('full', 'full');
    await run('no-op incremental', 'incremental');
    const stored = await recordsCollection(store.db, 'suppliers').countDocuments({ tenantId: TENANT });
    console.log(
      `\n${suppliers} suppliers in the simulator (started in ${(simStartMs / 1000).toFixed(1)} s), ` +
        `${stored} stored for owner ${SEED_ENTITIES.owner1}; MongoDB: ${stack.mongoKind}; page size ${config.xledger.pageSize}`,
    );
    console.table(rows);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await nativeConnection.close();
    await connection.close();
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await sim.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
