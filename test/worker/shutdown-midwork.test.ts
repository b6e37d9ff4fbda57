/**
 * A deploy in the middle of work. While an invoice is being posted: SIGTERM reaches the worker
 * while the voucher's create request is in flight to Xledger; the worker drains — the posting
 * finishes, its outcome is stored — and exits 0; the next worker takes the invoice to `posted`,
 * and Xledger holds the voucher once. While a long sync pass runs: the drain's grace ends before
 * the pass does, the pass stops between pages, and the next worker resumes it from its last
 * stored page. A stop signal during start-up ends the worker at once, cleanly.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { getOutboxInvoice } from '../../src/invoices/outbox';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { workerEndpoint } from '../support/metrics';
import { admin, startSync } from '../support/sync';
import { waitFor } from '../tenants/support';

const TENANT = 'drainpost';
let h: Harness;
const workers: ChildWorker[] = [];

function worker(env: Record<string, string> = {}): ChildWorker {
  const child = spawnWorker(h, { XLEDGER_ENDPOINT: h.sim.graphqlUrl, LOG_LEVEL: 'info', ...env });
  workers.push(child);
  return child;
}

const started = (w: ChildWorker) =>
  waitFor('the worker to start', () => w.output().includes('"msg":"worker started"'), { timeoutMs: 90_000 });

beforeAll(async () => {
  h = await startHarness({ seed: 12, suppliers: 40, importProcessingDelayMs: 300 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await h?.close();
});

describe('SIGTERM', () => {
  it('during start-up ends the worker at once, with exit 0', async () => {
    // Its metrics endpoint listens before the worker connects and bundles its workflows (seconds).
    const w = worker({ METRICS_PORT: '0' });
    await workerEndpoint(w);
    w.process.kill('SIGTERM');
    expect(await w.exited, w.output()).toBe(0);
    expect(w.process.signalCode).toBeNull(); // ended by its handler, not by the signal
    expect(w.output()).toContain('"msg":"stopped while starting"');
  });

  it('mid-posting: the voucher in flight is completed, the worker exits 0, the next one posts it once', async () => {
    const first = worker({ WORKER_SHUTDOWN_GRACE_SECONDS: '30' });
    await started(first);
    for (const dataType of ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions']) {
      const summary = (await (await startSync(h, TENANT, dataType, 'full')).result()) as SyncRunSummary;
      expect(summary.status).toBe('completed');
    }
    const supplier = await h.store.db
      .collection('suppliers')
      .findOne({ tenantId: TENANT, visibility: 'owner' });

    // Xledger takes 6 s to answer the create: SIGTERM comes while it is in flight.
    await admin(h, 'POST', '/admin/faults', {
      kind: 'slow',
      field: 'addGLImportItems',
      delayMs: 6_000,
      count: 1,
    });
    const deps = { db: h.store.db, temporal: h.client, taskQueue: h.taskQueue, tenants: h.tenants };
    await submitToOutbox(deps, TENANT, invoiceSchema.parse(demoInvoice('deploy-1', String(supplier?.code))));
    await waitFor('the create request to be in flight', async () => {
      const faults = await admin<unknown[]>(h, 'GET', '/admin/faults');
      return faults.length === 0;
    });
    const stopAt = Date.now();
    first.process.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    const seconds = (Date.now() - stopAt) / 1000;
    expect(seconds).toBeGreaterThan(3); // it waited for the answer rather than cutting the posting
    expect(first.output()).toContain('"msg":"worker draining"');

    // Not half done: the outbox holds the voucher's Xledger lines.
    const drained = await getOutboxInvoice(h.store.db, TENANT, 'deploy-1');
    expect(['accepted', 'posted']).toContain(drained?.state);
    expect(drained?.xledger.lineDbIds).toHaveLength(3);
    expect(drained?.xledger.lineDbIds).not.toContain(-1);

    const second = worker();
    await started(second);
    const posted = await waitFor(
      'the invoice to be posted',
      async () => {
        const doc = await getOutboxInvoice(h.store.db, TENANT, 'deploy-1');
        return doc?.state === 'posted' ? doc : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(posted.xledger.lineDbIds).toEqual(drained?.xledger.lineDbIds);
    const truth = await admin<{
      lines: Array<{ extIdentifier: string }>;
      apTransactions: Array<{ extIdentifier: string }>;
      duplicates: unknown[];
    }>(h, 'GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`);
    expect(truth.duplicates).toEqual([]);
    expect(truth.lines.filter((l) => l.extIdentifier.startsWith(`semine:${TENANT}:deploy-1:`))).toHaveLength(
      3,
    );
    expect(
      truth.apTransactions.filter((p) => p.extIdentifier === `semine:${TENANT}:deploy-1:0`),
    ).toHaveLength(1);
    expect(await second.kill('SIGTERM'), second.output()).toBe(0);
  });

  it('mid-sync: the pass stops at the grace time, the next worker resumes it from its last page', async () => {
    const pageSize = 4;
    const visible = h.sim.state.tables.suppliers.liveCount;
    const totalPages = Math.ceil(visible / pageSize);
    await admin(h, 'POST', '/admin/faults', {
      kind: 'slow',
      field: 'suppliers',
      probability: 1,
      delayMs: 1_200,
    });
    await admin(h, 'POST', '/admin/counters/reset', {});
    const env = { XLEDGER_PAGE_SIZE: String(pageSize), WORKER_SHUTDOWN_GRACE_SECONDS: '2' };
    const first = worker(env);
    await started(first);
    const handle = await startSync(h, TENANT, 'suppliers', 'full');
    await waitFor('a page to be stored', async () => {
      const described = await handle.describe();
      const payload = described.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      const progress = payload && defaultPayloadConverter.fromPayload<{ counts: { pages: number } }>(payload);
      return (progress?.counts.pages ?? 0) >= 1;
    });
    first.process.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    const pagesBefore = await suppliersRequests();
    expect(pagesBefore).toBeLessThan(totalPages);

    const second = worker(env);
    const summary = (await handle.result()) as SyncRunSummary;
    await admin(h, 'DELETE', '/admin/faults');
    expect(summary.status).toBe('completed');
    expect(summary.streams[0]!.pages).toBe(totalPages);
    expect(summary.streams[0]!.fetched).toBe(visible);
    // Resumed, not restarted: the second worker went on from the pages the first one stored
    // and never read the whole stream again. (How many pages the first one read but could not
    // store before its grace time ran out — the one in hand, the one read ahead — is timing.)
    expect((await suppliersRequests()) - pagesBefore).toBeLessThan(totalPages);
    expect(await second.kill('SIGTERM'), second.output()).toBe(0);
  });
});

async function suppliersRequests(): Promise<number> {
  const counters = await admin<{ byField?: Record<string, { requests: number }> }>(
    h,
    'GET',
    '/admin/counters/root',
  );
  return counters.byField?.suppliers?.requests ?? 0;
}
