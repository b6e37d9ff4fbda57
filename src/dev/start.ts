/**
 * `npm start`: the whole system on embedded defaults — Temporal dev server and a MongoDB-wire
 * server (state in .data/), the simulated Xledger with a demo tenant's data, and a worker —
 * then the demo tenant is onboarded through the client API, exactly as SEMINE's backend
 * would. Ctrl-C (or SIGTERM) stops everything: the worker drains first, then the client, the
 * simulator and the servers stop, and the process exits.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectWithConfig } from '../client/connect-with-config';
import { loadConfig } from '../config';
import { withDatabase } from '../devstack/mongo-uri';
import { stopChildrenInOrder } from '../devstack/managed-process';
import { fixedPortsFromEnv } from '../devstack/ports';
import { startDevStack } from '../devstack/stack';
import { logger } from '../logger';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator } from '../simulator/index';
import { connectStore, ensureIndexes } from '../store/db';
import { connectWorker } from '../temporal/connection';
import { createWorker, shutdownOnSignals } from '../worker';

const DEMO_TENANT_ID = 'demo';
const log = logger.child({ component: 'npm-start' });

/** Set once stopping began: a start-up step that fails because of it is no error. */
let stopRequested = false;

async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.DEVSTACK_DATA_DIR || '.data');
  const ports = fixedPortsFromEnv();
  // The servers must outlive the worker's drain: they stop last, by the steps below, not by the
  // terminal's Ctrl-C (which would reach their process group too).
  stopChildrenInOrder();
  const stopping: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stopAll = (code: number) =>
    (stopped ??= (async () => {
      stopRequested = true;
      let failed = false;
      for (const stop of stopping.reverse()) {
        await stop().catch((err: unknown) => {
          failed = true;
          log.warn({ err }, 'stop failed');
        });
      }
      log.info('stopped');
      process.exit(failed ? 1 : code);
    })());
  shutdownOnSignals((signal) => {
    log.info({ signal }, 'stopping: the worker drains, then the servers stop');
    void stopAll(0);
  });

  const stack = await startDevStack({
    dataDir,
    temporal: ports.temporal,
    mongo: ports.mongo,
    onUnexpectedExit: (err) => {
      log.error({ err }, 'a local server died; stopping everything');
      void stopAll(1);
    },
  });
  stopping.push(() => stack.stop());

  const sim = await startSimulator({
    seed: Number(process.env.SIMULATOR_SEED ?? 1),
    suppliers: Number(process.env.SIMULATOR_SUPPLIERS ?? 500),
    port: Number(process.env.SIMULATOR_PORT ?? 4000),
    adminPort: Number(process.env.SIMULATOR_ADMIN_PORT ?? 4001),
  });
  stopping.push(() => sim.close());

  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    MONGODB_URI: withDatabase(stack.mongoUri, 'xledger_sync'),
    XLEDGER_ENDPOINT: sim.graphqlUrl,
    // The local simulator is plain http on 127.0.0.1: allowed here only.
    ALLOW_INSECURE_LOOPBACK: 'true',
    TOKEN_ENCRYPTION_KEY: process.env.TOKEN_ENCRYPTION_KEY ?? (await devEncryptionKey(dataDir)),
  });

  const store = await connectStore(config.mongo.uri, config.mongo.dbName, {
    timeoutMs: config.mongo.timeoutMs,
    requestTimeoutMs: config.mongo.workerRequestTimeoutMs,
  });
  await ensureIndexes(store.db);
  const connection = await connectWorker(config.temporal);
  const { worker, run } = await createWorker({ config, store, connection });
  const running = run();
  stopping.push(async () => {
    // One shutdown, then the drain: the SDK's runtime has no signal handlers of its own here.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
    await store.close();
  });

  const api = await connectWithConfig(config);
  stopping.push(() => api.close());
  const demo = await api.upsertTenant({
    tenantId: DEMO_TENANT_ID,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    options: { fixedAssets: true, projectManagers: true },
  });
  // A new demo tenant's first full sync has started with the upsert; a restart refreshes it.
  if (!demo.firstSync) await api.forceResync(DEMO_TENANT_ID, { full: true, waitForRunsMs: 0 });

  const ui = stack.temporal.uiUrl ?? '(headless)';
  process.stdout.write(
    [
      '',
      '  xledger-sync is running.',
      '',
      `  Temporal Web UI     ${ui}`,
      `  Temporal gRPC       ${stack.temporal.address}  (namespace ${stack.temporal.namespace})`,
      `  MongoDB             ${config.mongo.uri}  [${stack.mongoKind}]`,
      `  Simulated Xledger   ${sim.graphqlUrl}  (admin ${sim.adminUrl})`,
      '',
      `  Demo tenant "${DEMO_TENANT_ID}" (Entity Owner ${SEED_ENTITIES.owner1}) is onboarded and a full resync is running.`,
      `  Its runs: ${ui}?query=${encodeURIComponent(`TenantId="${DEMO_TENANT_ID}"`)}`,
      `  Status:   TEMPORAL_ADDRESS=${stack.temporal.address} MONGODB_URI=${config.mongo.uri} ALLOW_INSECURE_LOOPBACK=true \\`,
      `            TOKEN_ENCRYPTION_KEY=$(cat ${path.relative(process.cwd(), keyFile(dataDir))}) npx xledger-sync tenant status ${DEMO_TENANT_ID}`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );
}

function keyFile(dataDir: string): string {
  return path.join(dataDir, 'dev-token-encryption-key');
}

/** A key for local development only, kept beside the local data it protects. */
async function devEncryptionKey(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  try {
    return (await readFile(keyFile(dataDir), 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('base64');
    await writeFile(keyFile(dataDir), key, { mode: 0o600 });
    return key;
  }
}

main().catch((err: unknown) => {
  if (stopRequested) return; // Ctrl-C during start-up: the stop sequence ends the process.
  log.fatal({ err }, 'npm start failed');
  process.exit(1);
});
