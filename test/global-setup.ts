import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import type { TestProject } from 'vitest/node';
import { withDatabase } from '../src/devstack/mongo-uri';
import { startDevStack } from '../src/devstack/stack';
import { workflowTracingModules } from '../src/observability/tracing';
import { workflowsPath } from '../src/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    /** gRPC address of the run's Temporal dev server, e.g. 127.0.0.1:40123. */
    temporalAddress: string;
    temporalNamespace: string;
    /** The Web UI's workflows page for the namespace. */
    temporalUiUrl: string;
    /** MongoDB-wire URI whose path names this run's own database (use `client.db()`). */
    mongoUri: string;
    /** That database's name. */
    mongoDbName: string;
    /** The project's workflows, bundled once per run (bundling takes seconds). */
    workflowBundlePath: string;
  }
}

/**
 * One dev stack per test run: Temporal dev server + MongoDB-wire server on free ports in a
 * temp dir. With MONGODB_URI set, that server is used instead, with a database of its own
 * that is dropped at the end.
 */
export default async function setup(project: TestProject) {
  const [stack, bundleDir, bundle] = await Promise.all([
    startDevStack({ ephemeral: true, temporal: 'free', mongo: 'free' }),
    mkdtemp(join(tmpdir(), 'xledger-sync-bundle-')),
    bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: workflowTracingModules,
      logger: quietBundlerLogger,
    }),
  ]);
  const workflowBundlePath = join(bundleDir, 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);
  project.provide('workflowBundlePath', workflowBundlePath);
  const mongoDbName = `xledger_sync_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const mongoUri = withDatabase(stack.mongoUri, mongoDbName);
  project.provide('temporalAddress', stack.temporal.address);
  project.provide('temporalNamespace', stack.temporal.namespace);
  project.provide('temporalUiUrl', stack.temporal.uiUrl ?? '');
  project.provide('mongoUri', mongoUri);
  project.provide('mongoDbName', mongoDbName);

  return async () => {
    if (stack.mongoKind === 'external') {
      const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db().dropDatabase();
      } finally {
        await client.close();
      }
    }
    await stack.stop();
    await rm(bundleDir, { recursive: true, force: true });
  };
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};
