/**
 * A benchmark's worker, as its own OS process so that its CPU time and memory are its own (the
 * simulator and the measuring loop run in the benchmark's process): the production worker
 * (createWorker), configured from the environment like `npm run worker`, loading the workflows
 * bundled once by the benchmark (BENCH_WORKFLOW_BUNDLE). Prints `ready` once it polls, and
 * drains on SIGTERM. `--cpu-prof` on its node command line profiles it (cpu-profile.ts), and
 * BENCH_MONGO_PROFILE its MongoDB commands (mongo-profile.ts).
 */
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { connectStore } from '../../src/store/db';
import { connectWorker } from '../../src/temporal/connection';
import { createWorker, shutdownOnSignals } from '../../src/worker';
import { recordMongoCommands } from './mongo-profile';

async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const mongoProfile = process.env.BENCH_MONGO_PROFILE;
  const store = await connectStore(
    config.mongo.uri,
    config.mongo.dbName,
    { timeoutMs: config.mongo.timeoutMs, requestTimeoutMs: config.mongo.workerRequestTimeoutMs },
    mongoProfile ? { monitorCommands: true } : {},
  );
  if (mongoProfile) recordMongoCommands(store.client, mongoProfile);
  const connection = await connectWorker(config.temporal);
  const bundle = process.env.BENCH_WORKFLOW_BUNDLE;
  const { worker, run } = await createWorker({
    config,
    store,
    connection,
    ...(bundle ? { workflowBundlePath: bundle } : {}),
  });
  const running = run();
  shutdownOnSignals(() => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  process.stdout.write('ready\n');
  try {
    await running;
  } finally {
    await connection.close().catch(() => undefined);
    await store.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
