/**
 * The servers a benchmark runs on: a Temporal dev server and a MongoDB-wire server (FerretDB on
 * SQLite from ~/.cache/xledger-sync/tools, as `npm start` and the tests run them), and the
 * workflows bundled once. Each scenario then opens an environment of its own on them: its own
 * database and task queue (BenchEnv), so scenarios and repeats never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import { withDatabase } from '../../src/devstack/mongo-uri';
import { startDevStack } from '../../src/devstack/stack';
import { connectStore, ensureIndexes, type Store } from '../../src/store/db';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { workflowsPath } from '../../src/worker';

export interface BenchServers {
  temporal: { address: string; namespace: string };
  /** The MongoDB-wire server; each environment adds a database of its own. */
  mongoUri: string;
  mongoKind: string;
  /** The project's workflows, bundled once (workers load it instead of bundling each time). */
  workflowBundlePath: string;
  /** The server processes started here, to watch their CPU (none when given from outside). */
  processes: Array<{ name: string; pid: number }>;
  stop(): Promise<void>;
}

/** A fresh, ephemeral dev stack (the same servers as `npm test`), and the workflow bundle. */
export async function startBenchServers(): Promise<BenchServers> {
  const [stack, bundleDir, bundle] = await Promise.all([
    startDevStack({ ephemeral: true, temporal: 'free', mongo: 'free', headless: true }),
    mkdtemp(join(tmpdir(), 'xledger-bench-bundle-')),
    bundleWorkflowCode({ workflowsPath, logger: silentLogger }),
  ]);
  const workflowBundlePath = join(bundleDir, 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);
  return {
    temporal: stack.temporal,
    mongoUri: stack.mongoUri,
    mongoKind: stack.mongoKind,
    workflowBundlePath,
    processes: stack.processes.flatMap((p) => (p.pid === undefined ? [] : [{ name: p.name, pid: p.pid }])),
    async stop() {
      await stack.stop();
      await rm(bundleDir, { recursive: true, force: true });
    },
  };
}

/** One scenario's (or one repeat's) own database and task queue on the servers. */
export interface BenchEnv {
  servers: BenchServers;
  config: Config;
  /** The variables a worker process needs to join this environment. */
  workerEnv: Record<string, string>;
  store: Store;
  tenants: TenantStore;
  temporal: Client;
  /** Drops the database and closes the connections. */
  close(): Promise<void>;
}

export async function openBenchEnv(
  servers: BenchServers,
  label: string,
  /** Worker settings to run with (the config's variables), e.g. XLEDGER_PAGE_SIZE. */
  settings: Record<string, string> = {},
): Promise<BenchEnv> {
  const suffix = `${label}_${randomBytes(3).toString('hex')}`;
  const workerEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: servers.temporal.address,
    TEMPORAL_NAMESPACE: servers.temporal.namespace,
    TEMPORAL_TASK_QUEUE: `bench-${suffix}`,
    MONGODB_URI: withDatabase(servers.mongoUri, `bench_${suffix}`),
    MONGODB_DB: `bench_${suffix}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    // The simulator listens on loopback over http.
    ALLOW_INSECURE_LOOPBACK: 'true',
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    ...settings,
  };
  const config = loadConfig(workerEnv);
  const store = await connectStore(config.mongo.uri, config.mongo.dbName);
  await ensureIndexes(store.db);
  const tenants = new TenantStore(
    store.db,
    new TokenCipher(config.tokenEncryptionKey!),
    config.xledger.defaultEndpoint,
  );
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  return {
    servers,
    config,
    workerEnv,
    store,
    tenants,
    temporal,
    async close() {
      await connection.close();
      await store.db.dropDatabase().catch(() => undefined);
      await store.close();
    },
  };
}

const silentLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
  log: () => undefined,
};
