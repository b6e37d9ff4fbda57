import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { OutboxInvoice } from '../../src/invoices/outbox';
import { collections } from '../../src/store/collections';
import { invoiceWorkflowId, syncWorkflowId } from '../../src/temporal/ids';
import { syncDataTypeWorkflow } from '../../src/workflows';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';

/**
 * One tenant's backlog must not hold up another tenant's invoices. The worker is small (4
 * activity slots) and each token's Xledger budget tiny (2 requests per 5 s), so a backlog of 30
 * invoices takes minutes to drain; an invoice of a second tenant submitted behind it must be
 * posted while most of the backlog is still waiting.
 */
const BACKLOG = 30;

let h: Harness;
let worker: ChildWorker;
const supplierOf = new Map<string, string>();

const TENANTS = [
  { tenantId: 'busy', token: SEED_TOKENS.owner1, owner: SEED_ENTITIES.owner1 },
  { tenantId: 'quiet', token: SEED_TOKENS.owner2, owner: SEED_ENTITIES.owner2 },
];

beforeAll(async () => {
  h = await startHarness({ seed: 17, suppliers: 30, importProcessingDelayMs: 200 });
  const setupWorker = await h.startWorker();
  for (const { tenantId, token, owner } of TENANTS) {
    await h.saveTenant({ tenantId, xledger: { token }, entityOwnerDbId: owner });
    for (const dataType of ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions']) {
      await h.client.workflow.execute(syncDataTypeWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: `${syncWorkflowId(tenantId, dataType)}:setup`,
        args: [{ tenantId, dataType, mode: 'full' }],
      });
    }
    const supplier = await h.store.db
      .collection('suppliers')
      .findOne({ tenantId, visibility: 'owner', entityDbId: owner });
    supplierOf.set(tenantId, String(supplier?.code));
  }
  setupWorker.shutdown();
  while (setupWorker.getState() !== 'STOPPED') await sleep(100);
  worker = spawnWorker(h, {
    WORKER_MAX_CONCURRENT_ACTIVITIES: '4',
    XLEDGER_MAX_REQUESTS_PER_5S: '2',
    XLEDGER_MAX_CONCURRENT_REQUESTS: '1',
  });
}, 180_000);
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const deps = () => ({
  db: h.store.db,
  temporal: h.client as Client,
  taskQueue: h.taskQueue,
  tenants: h.tenants,
});

function invoiceFor(tenantId: string, invoiceId: string) {
  const owner = TENANTS.find((t) => t.tenantId === tenantId)!.owner;
  return invoiceSchema.parse(
    demoInvoice(invoiceId, supplierOf.get(tenantId)!, {
      entityDbId: owner,
      invoiceNumber: `F-${tenantId}-${invoiceId}`,
    }),
  );
}

const outbox = () => h.store.db.collection<OutboxInvoice>(collections.invoiceOutbox);
const unsettled = (tenantId: string) =>
  outbox().countDocuments({ tenantId, state: { $nin: ['posted', 'rejected'] } });

describe("one tenant's invoices never starve another's", () => {
  it("posts a second tenant's invoice while the first tenant's backlog still waits", async () => {
    for (let i = 0; i < BACKLOG; i++) {
      await submitToOutbox(deps(), 'busy', invoiceFor('busy', `b-${i}`));
    }
    // The backlog is being worked on: its postings already hold the token's budget.
    for (let i = 0; ; i++) {
      const started = await outbox().countDocuments({ tenantId: 'busy', state: { $ne: 'pending' } });
      if (started > 0) break;
      if (i > 600) throw new Error(`no invoice of tenant busy started posting\n${worker.output()}`);
      await sleep(100);
    }

    await submitToOutbox(deps(), 'quiet', invoiceFor('quiet', 'q-1'));
    let quiet: OutboxInvoice | null = null;
    for (let i = 0; i < 360; i++) {
      quiet = await outbox().findOne({ _id: 'quiet:q-1' });
      if (quiet?.state === 'posted' || quiet?.state === 'rejected') break;
      await sleep(250);
    }
    const busyWaiting = await unsettled('busy');

    expect(quiet?.state, worker.output()).toBe('posted');
    // Had the quiet tenant's invoice queued behind the backlog, (nearly) all of it would be done.
    expect(busyWaiting).toBeGreaterThan(BACKLOG / 2);

    // What an operator sees in the Web UI on a waiting posting: its activity stepped aside.
    const stepAsides: string[] = [];
    for (let i = 0; i < BACKLOG && stepAsides.length === 0; i++) {
      const description = await h.client.workflow.getHandle(invoiceWorkflowId('busy', `b-${i}`)).describe();
      for (const activity of description.raw.pendingActivities ?? []) {
        const failure = activity.lastFailure;
        if (failure?.applicationFailureInfo?.type === 'XledgerTokenBusy')
          stepAsides.push(failure.message ?? '');
      }
    }
    expect(stepAsides[0]).toMatch(/tenant busy: its Xledger token's requests are queued/);
  });
});
