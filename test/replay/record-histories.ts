/**
 * Records workflow histories for the replay test: `npx tsx test/replay/record-histories.ts`.
 * Run it when a workflow change is *meant* to change histories (behind `patched()`), and keep
 * the old files too: the replay test must go on replaying what production has already run.
 * `RECORD_TAG=<tag>` records under new names (`…_<tag>.json`), `RECORD_ONLY=sync` only the
 * sync runs; an existing file is never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { loadConfig } from '../../src/config';
import { startDevStack } from '../../src/devstack/stack';
import { resolveTemporalCli } from '../../src/devstack/tools';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator } from '../../src/simulator/index';
import { connectStore, ensureIndexes } from '../../src/store/db';
import { getOutboxInvoice } from '../../src/invoices/outbox';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { connectClient, connectWorker } from '../../src/temporal/connection';
import { invoiceWorkflowId, syncWorkflowId, tenantWorkflowId } from '../../src/temporal/ids';
import { createWorker } from '../../src/worker';
import { postPendingInvoicesWorkflow, syncDataTypeWorkflow } from '../../src/workflows';
import { statusQuery } from '../../src/temporal/definitions';
import { demoInvoice } from '../support/invoices';

const stack = await startDevStack({ ephemeral: true });
const sim = await startSimulator({ seed: 5, suppliers: 50, importProcessingDelayMs: 200 });
const config = loadConfig({
  TEMPORAL_ADDRESS: stack.temporal.address,
  MONGODB_URI: stack.mongoUri,
  MONGODB_DB: 'record_histories',
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  XLEDGER_ENDPOINT: sim.graphqlUrl,
  ALLOW_INSECURE_LOOPBACK: 'true',
  LOG_LEVEL: 'warn',
});
const store = await connectStore(config.mongo.uri, config.mongo.dbName);
await ensureIndexes(store.db);
const connection = await connectWorker(config.temporal);
const { worker, run } = await createWorker({ config, store, connection });
const running = run();
const client = new Client({
  connection: await connectClient(config.temporal),
  namespace: config.temporal.namespace,
});
const api = await connectWithConfig(config);

// The runs below are the recorded ones: no first sync alongside them.
await api.upsertTenant(
  {
    tenantId: 'replay',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    options: { projectManagers: true, fixedAssets: true },
  },
  { firstSync: false },
);
const tag = process.env.RECORD_TAG ? `:${process.env.RECORD_TAG}` : '';
const onlySync = process.env.RECORD_ONLY === 'sync';
const recorded: string[] = [];
for (const [dataType, mode] of [
  ['suppliers', 'full'],
  ['suppliers', 'incremental'],
  ['accounts', 'full'],
  ['vatCodes', 'full'],
  ['currencies', 'full'],
  ['dimensions', 'full'],
  ['projects', 'full'],
] as const) {
  const workflowId = `${syncWorkflowId('replay', dataType)}:${mode}${tag}`;
  await client.workflow.execute(syncDataTypeWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ tenantId: 'replay', dataType, mode, trigger: 'manual' }],
  });
  recorded.push(workflowId);
}

if (!onlySync) await recordTheRest();

async function recordTheRest(): Promise<void> {
  await api.forceResync('replay', { dataTypes: ['suppliers'], full: true });
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await client.workflow.getHandle(tenantWorkflowId('replay')).query(statusQuery);

  const supplier = await store.db
    .collection('suppliers')
    .findOne({ tenantId: 'replay', visibility: 'owner' });
  const tenants = new TenantStore(store.db, new TokenCipher(config.tokenEncryptionKey!), sim.graphqlUrl);
  const deps = { db: store.db, temporal: client, taskQueue: config.temporal.taskQueue, tenants };
  for (const invoice of [
    demoInvoice('replay-posted', String(supplier?.code)),
    demoInvoice('replay-rejected', 'NO-SUCH-SUPPLIER'),
  ]) {
    await submitToOutbox(deps, 'replay', invoiceSchema.parse(invoice));
    await client.workflow.getHandle(invoiceWorkflowId('replay', invoice.invoiceId)).result();
    console.log(invoice.invoiceId, (await getOutboxInvoice(store.db, 'replay', invoice.invoiceId))?.state);
    recorded.push(invoiceWorkflowId('replay', invoice.invoiceId));
  }
  await client.workflow.execute(postPendingInvoicesWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId: 'invoices:replay:sweep',
    args: [{ tenantId: 'replay' }],
  });
  recorded.push('invoices:replay:sweep', tenantWorkflowId('replay'));
}

// The temporal CLI writes histories in the proto JSON form that historyFromJSON reads.
const temporal = await resolveTemporalCli();
for (const workflowId of recorded) {
  const { stdout } = await promisify(execFile)(
    temporal,
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      '--address',
      stack.temporal.address,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const file = new URL(`./histories/${workflowId.replaceAll(':', '_')}.json`, import.meta.url);
  await writeFile(file, stdout, { flag: 'wx' }); // never over a recorded history
  console.log('recorded', workflowId, (JSON.parse(stdout) as { events: unknown[] }).events.length, 'events');
}

await api.close();
worker.shutdown();
await running;
await connection.close();
await store.close();
await sim.close();
await stack.stop();
