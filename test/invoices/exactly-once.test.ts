import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { invoiceSchema } from '../../src/invoices/invoice';
import { getOutboxInvoice, type OutboxInvoice } from '../../src/invoices/outbox';
import { listSends } from '../../src/invoices/sends';
import { submitToOutbox } from '../../src/invoices/submit';
import { eventIds } from '../../src/domain/event-catalogue';
import { registry } from '../../src/observability/metrics';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { findEvent } from '../../src/store/events';
import { clearAttention, tenantAttention } from '../../src/store/tenant-state';
import { invoiceWorkflowId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice, syncPostingMasterData } from '../support/invoices';
import { admin as adminOf, runSync } from '../support/sync';

/**
 * Exactly once when Xledger's answer is late or lost, against the simulator: a create that lands
 * after the client's request timeout (the simulator runs a slow request to its end after the
 * client hung up, as a real server does), look-ups that lag behind a create, a forced duplicate
 * that must be reported, and an invoice Xledger never resolves. Short windows by configuration.
 */
const TENANT = 'late';
let h: Harness;
let supplierCode: string;

beforeAll(async () => {
  h = await startHarness({ seed: 13, suppliers: 40, importProcessingDelayMs: 300 }, undefined, undefined, {
    XLEDGER_REQUEST_TIMEOUT_MS: '2000',
    INVOICE_SETTLE_WINDOW_MS: '9000',
    INVOICE_SETTLE_LOOKUP_SPACING_MS: '1500',
    INVOICE_UNRESOLVED_AFTER_MS: '15000',
    INVOICE_HELD_RECHECK_MS: '2000',
  });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.startWorker();
  supplierCode = await syncPostingMasterData(h, TENANT);
}, 120_000);
afterAll(() => h?.close());

const deps = () => ({
  db: h.store.db,
  temporal: h.client as Client,
  taskQueue: h.taskQueue,
  tenants: h.tenants,
});

/** The simulator's admin API (test/support/sync.ts), for this file's harness. */
const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  adminOf(h, method, path, body);

/** Waits until the invoice leaves the open states; returns every state seen on the way. */
async function settled(
  invoiceId: string,
  timeoutMs = 90_000,
): Promise<{ doc: OutboxInvoice; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const doc = await getOutboxInvoice(h.store.db, TENANT, invoiceId);
    if (doc && seen[seen.length - 1] !== doc.state) seen.push(doc.state);
    if (doc && ['posted', 'rejected', 'needs_attention'].includes(doc.state)) return { doc, seen };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`invoice ${invoiceId} did not settle: ${seen.join(' → ')}`);
}

/** The first non-null answer of `read` within 30 s (null if none came). */
async function eventually<T>(read: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await read();
    if (found !== null || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function truth(invoiceId: string) {
  const all = (await admin('GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`)) as {
    lines: Array<{ dbId: number; extIdentifier: string; status: string }>;
    apTransactions: Array<{ extIdentifier: string; transactionHeader: { dbId: number } }>;
  };
  const prefix = `semine:${TENANT}:${invoiceId}:`;
  return {
    lines: all.lines.filter((line) => line.extIdentifier?.startsWith(prefix)),
    payables: all.apTransactions.filter((p) => p.extIdentifier === `${prefix}0`),
  };
}

async function creates(): Promise<number> {
  const usage = (await admin('GET', '/admin/counters/root')) as {
    byField: Record<string, { requests: number }>;
  };
  return usage.byField.addGLImportItems?.requests ?? 0;
}

describe('invoices to Xledger when the answer is late or lost', () => {
  it.each(['disappear', 'stay'] as const)(
    'a create that lands after the request timeout is posted once (processed lines %s)',
    async (processedLines) => {
      await admin('PUT', '/admin/gl-import/model', { processedLines });
      const before = await creates();
      const invoiceId = `late-${processedLines}`;
      // The first create runs 8 s in Xledger; the client gives up after 2 s. The retry's look-up
      // comes before it lands even on a loaded machine (it found a landed create at once when
      // this was 5 s), and the settle window (9 s from the create's deadline) outlasts it.
      await admin('POST', '/admin/faults', {
        kind: 'slow',
        field: 'addGLImportItems',
        delayMs: 8_000,
        count: 1,
      });
      try {
        await submitToOutbox(deps(), TENANT, invoiceSchema.parse(demoInvoice(invoiceId, supplierCode)));
        const { doc, seen } = await settled(invoiceId);
        expect(doc.state).toBe('posted');
        const { lines, payables } = await truth(invoiceId);
        expect(lines.map((l) => l.extIdentifier).sort()).toEqual(
          [0, 1, 2].map((n) => `semine:${TENANT}:${invoiceId}:${n}`),
        );
        expect(payables).toHaveLength(1);
        expect(doc.xledger.transactionDbId).toBe(payables[0]!.transactionHeader.dbId);
        // What happened: one create, its answer lost; the invoice waited unsettled; the create landed.
        expect(await creates()).toBe(before + 1);
        expect(seen).toContain('unsettled');
        const sends = await listSends(h.store.db, TENANT, invoiceId);
        expect(sends.map((s) => s.outcome)).toEqual(['landed']);
      } finally {
        await admin('PUT', '/admin/gl-import/model', { processedLines: 'disappear' });
      }
    },
    120_000,
  );

  it('look-ups that lag behind a create whose answer was lost do not make a second create', async () => {
    await admin('PUT', '/admin/gl-import/model', { lookupLagMs: 5_000 });
    const before = await creates();
    const invoiceId = 'lagging';
    await admin('POST', '/admin/faults', { kind: 'commitThenDrop', field: 'addGLImportItems', count: 1 });
    try {
      await submitToOutbox(deps(), TENANT, invoiceSchema.parse(demoInvoice(invoiceId, supplierCode)));
      const { doc, seen } = await settled(invoiceId);
      expect(doc.state).toBe('posted');
      const { lines, payables } = await truth(invoiceId);
      expect(lines).toHaveLength(3);
      expect(payables).toHaveLength(1);
      expect(await creates()).toBe(before + 1);
      expect(seen).toContain('unsettled');
    } finally {
      await admin('PUT', '/admin/gl-import/model', { lookupLagMs: 0 });
    }
  }, 120_000);

  it('an invoice Xledger never resolves needs attention after the deadline; the workflow stops waiting', async () => {
    const delay = h.sim.glImport.delayMs;
    h.sim.glImport.delayMs = 600_000; // accepted, never processed
    const invoiceId = 'unresolved';
    try {
      await submitToOutbox(deps(), TENANT, invoiceSchema.parse(demoInvoice(invoiceId, supplierCode)));
      const { doc } = await settled(invoiceId, 90_000);
      expect(doc.state).toBe('needs_attention');
      expect(doc.attention).toMatchObject({ reason: 'unresolved' });
      expect(doc.reasons[0]).toMatch(/neither its posted payable nor an import error/);
      expect(doc.xledger.lineDbIds).toHaveLength(3);
      const result = (await h.client.workflow.getHandle(invoiceWorkflowId(TENANT, invoiceId)).result()) as {
        state: string;
      };
      expect(result.state).toBe('needs_attention');
      expect(
        await findEvent(h.store.db, TENANT, eventIds.invoiceNeedsAttention(TENANT, invoiceId)),
      ).toMatchObject({
        type: 'invoice.needs_attention',
        data: { reason: 'unresolved' },
      });
      expect(await registry.getSingleMetricAsString('xledger_sync_invoice_outcomes_total')).toMatch(
        /outcome="unresolved"[^\n]* 1/,
      );
    } finally {
      h.sim.glImport.delayMs = delay;
      h.sim.glImport.processAllPending();
    }
  }, 120_000);

  it('a duplicate Xledger holds anyway is reported, never hidden', async () => {
    const invoiceId = 'forced-duplicate';
    // Xledger runs the create twice (one answer): it holds the voucher twice.
    await admin('POST', '/admin/faults', { kind: 'duplicateCommit', field: 'addGLImportItems', count: 1 });
    try {
      await submitToOutbox(deps(), TENANT, invoiceSchema.parse(demoInvoice(invoiceId, supplierCode)));
      const { doc } = await settled(invoiceId);
      expect(doc.state).toBe('needs_attention');
      expect(doc.attention).toMatchObject({ reason: 'duplicated' });
      const { payables } = await truth(invoiceId);
      expect(payables).toHaveLength(2);
      // The outcome's events follow the settled state it shows: wait for them.
      const event = await eventually(() =>
        findEvent(h.store.db, TENANT, eventIds.invoiceDuplicated(TENANT, invoiceId)),
      );
      expect(event).toMatchObject({ type: 'invoice.duplicated', data: { invoiceId } });
      const copies = (event?.data as { copies: Array<{ transactionDbId: number }> }).copies;
      expect(copies.map((c) => c.transactionDbId).sort()).toEqual(
        payables.map((p) => p.transactionHeader.dbId).sort(),
      );
      // Posted, and SEMINE is told so too; the tenant needs attention.
      expect(
        await eventually(() => findEvent(h.store.db, TENANT, eventIds.invoicePosted(TENANT, invoiceId))),
      ).not.toBeNull();
      expect(await eventually(() => tenantAttention(h.store.db, TENANT))).toMatchObject({
        reason: 'invoice_duplicated',
      });
      expect(await registry.getSingleMetricAsString('xledger_sync_invoice_outcomes_total')).toMatch(
        /outcome="duplicated"[^\n]* 1/,
      );

      // Until someone resumes the tenant, a new invoice is held: nothing is sent for it.
      const heldId = 'held-by-duplicate';
      const createsBefore = await creates();
      await submitToOutbox(deps(), TENANT, invoiceSchema.parse(demoInvoice(heldId, supplierCode)));
      const held = await eventually(async () => {
        const doc = await getOutboxInvoice(h.store.db, TENANT, heldId);
        return doc?.lastError?.startsWith('held:') ? doc : null;
      });
      expect(held).toMatchObject({ state: 'pending' });
      expect(held?.lastError).toContain('invoice_duplicated');
      // Master data keeps syncing meanwhile (a token problem would skip this run).
      const supplierRun = await runSync(h, TENANT, 'suppliers', 'full');
      expect(supplierRun.status).toBe('completed');
      // Checked again after the sync's time: the held invoice still sent nothing.
      expect(await listSends(h.store.db, TENANT, heldId)).toEqual([]);
      expect(await creates()).toBe(createsBefore);

      // Resumed: the held invoice is posted, once.
      await clearAttention(h.store.db, TENANT, 'resumed');
      const { doc: posted } = await settled(heldId);
      expect(posted.state).toBe('posted');
      expect((await truth(heldId)).payables).toHaveLength(1);
      expect(await creates()).toBe(createsBefore + 1);
    } finally {
      await clearAttention(h.store.db, TENANT, 'resumed');
    }
  }, 120_000);
});
