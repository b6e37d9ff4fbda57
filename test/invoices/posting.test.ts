import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { eventIds } from '../../src/domain/event-catalogue';
import { findEvent } from '../../src/store/events';
import { getOutboxInvoice, type OutboxInvoice } from '../../src/invoices/outbox';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice, syncPostingMasterData } from '../support/invoices';

let h: Harness;
let supplierCode: string;

beforeAll(async () => {
  h = await startHarness({ seed: 11, suppliers: 60, importProcessingDelayMs: 300 });
  await h.saveTenant({
    tenantId: 'payco',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.startWorker();
  supplierCode = await syncPostingMasterData(h, 'payco');
});
afterAll(() => h?.close());

const deps = () => ({
  db: h.store.db,
  temporal: h.client as Client,
  taskQueue: h.taskQueue,
  tenants: h.tenants,
});

async function settled(invoiceId: string): Promise<OutboxInvoice> {
  for (let i = 0; i < 120; i++) {
    const doc = await getOutboxInvoice(h.store.db, 'payco', invoiceId);
    if (doc && (doc.state === 'posted' || doc.state === 'rejected')) return doc;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`invoice ${invoiceId} did not settle`);
}

interface TruthLine {
  dbId: number;
  extIdentifier: string;
  status: string;
  readable: boolean;
  transactionSource: { code: string | null } | null;
  jobLevel: { dbId: number | null; dbSubId: number | null } | null;
  trRegNumber: number | string;
}

/** The simulator's ground truth: every line ever staged, posted payables, double postings. */
async function glImport() {
  const response = await fetch(`${h.sim.adminUrl}/admin/gl-import/${SEED_ENTITIES.owner1}`);
  return (await response.json()) as {
    lines: TruthLine[];
    apTransactions: Array<{ extIdentifier: string; transactionHeader: { dbId: number } }>;
    duplicates: Array<{ extIdentifier: string; count: number }>;
  };
}

async function adminCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${h.sim.adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

const linesOfInvoice = (lines: TruthLine[], invoiceId: string) =>
  lines.filter((line) => line.extIdentifier.startsWith(`semine:payco:${invoiceId}:`));

describe('invoices to Xledger', () => {
  it('posts an approved invoice once, as one balanced voucher', async () => {
    const invoice = invoiceSchema.parse(demoInvoice('inv-1', supplierCode));
    await submitToOutbox(deps(), 'payco', invoice);
    const doc = await settled('inv-1');
    expect(doc.state).toBe('posted');
    expect(doc.xledger.lineDbIds).toHaveLength(3);
    const truth = await glImport();
    const lines = linesOfInvoice(truth.lines, 'inv-1');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.status === 'POSTED')).toBe(true);
    const payables = truth.apTransactions.filter((p) => p.extIdentifier === 'semine:payco:inv-1:0');
    expect(payables).toHaveLength(1);
    expect(doc.xledger.transactionDbId).toBe(payables[0]?.transactionHeader.dbId);
    // SEMINE is told, with Xledger's ids (recorded in the step that stored the state).
    let event = null;
    for (let i = 0; i < 40 && !event; i++) {
      event = await findEvent(h.store.db, 'payco', eventIds.invoicePosted('payco', 'inv-1'));
      if (!event) await new Promise((r) => setTimeout(r, 250));
    }
    expect(event).toMatchObject({
      type: 'invoice.posted',
      data: { invoiceId: 'inv-1', xledger: doc.xledger, postedAt: doc.postedAt!.toISOString() },
    });
  });

  it('sends every line through AddGLImportItemsInput with the tenant’s jobLevel and transaction source', async () => {
    // The defaults: transaction source AP (A), job level { dbSubId: 1 } as Xledger's examples.
    const defaults = linesOfInvoice((await glImport()).lines, 'inv-1');
    expect(defaults).toHaveLength(3);
    for (const line of defaults) {
      expect(line.transactionSource?.code).toBe('AP');
      expect(line.jobLevel).toMatchObject({ dbSubId: 1, dbId: null });
      expect(String(line.trRegNumber).length).toBeLessThanOrEqual(8);
    }
    // A tenant's own settings reach every line.
    await h.saveTenant({
      tenantId: 'payco',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      posting: { transactionSourceCode: 'LF', jobLevel: { dbId: 77 } },
    });
    try {
      const invoice = invoiceSchema.parse(demoInvoice('inv-settings', supplierCode));
      await submitToOutbox(deps(), 'payco', invoice);
      expect((await settled('inv-settings')).state).toBe('posted');
    } finally {
      await h.saveTenant({
        tenantId: 'payco',
        xledger: { token: SEED_TOKENS.root },
        entityOwnerDbId: SEED_ENTITIES.owner1,
      });
    }
    const custom = linesOfInvoice((await glImport()).lines, 'inv-settings');
    expect(custom).toHaveLength(3);
    for (const line of custom) {
      expect(line.transactionSource?.code).toBe('LF');
      expect(line.jobLevel).toMatchObject({ dbId: 77, dbSubId: null });
    }
  });

  it('is idempotent by invoice id and refuses changed content', async () => {
    const invoice = invoiceSchema.parse(demoInvoice('inv-1', supplierCode));
    const again = await submitToOutbox(deps(), 'payco', invoice);
    expect(again.state).toBe('posted');
    const changed = invoiceSchema.parse(demoInvoice('inv-1', supplierCode, { invoiceNumber: 'OTHER' }));
    await expect(submitToOutbox(deps(), 'payco', changed)).rejects.toThrow(/different content/);
  });

  it('rejects unknown master data without a request to Xledger', async () => {
    const before = (await glImport()).lines.length;
    const invoice = invoiceSchema.parse(
      demoInvoice('inv-bad', 'NO-SUCH-SUPPLIER', {
        lines: [{ accountCode: '9999', amount: '1250.00', vatCode: 'X' }],
      }),
    );
    await submitToOutbox(deps(), 'payco', invoice);
    const doc = await settled('inv-bad');
    expect(doc.state).toBe('rejected');
    expect(doc.reasons.join('\n')).toMatch(/supplierCode: unknown supplier NO-SUCH-SUPPLIER/);
    expect(doc.reasons.join('\n')).toMatch(/accountCode: unknown account 9999/);
    expect(doc.reasons.join('\n')).toMatch(/vatCode: unknown VAT code X/);
    expect((await glImport()).lines.length).toBe(before);
  });

  it('an import error ends as rejected with Xledger’s message', async () => {
    await fetch(`${h.sim.adminUrl}/admin/closed-periods/${SEED_ENTITIES.owner1}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ closedTo: '2026-06-30' }),
    });
    const invoice = invoiceSchema.parse(
      demoInvoice('inv-closed', supplierCode, { postedDate: '2026-05-31' }),
    );
    await submitToOutbox(deps(), 'payco', invoice);
    const doc = await settled('inv-closed');
    expect(doc.state).toBe('rejected');
    // The error's level (an object in Xledger: { dbId code name }) leads the reason.
    expect(doc.reasons).toContain(
      'Error: Posted date 2026-05-31 is in a closed period (closed up to 2026-06-30) in entity OWNER1',
    );
    // A failed voucher's lines stay in Xledger, to be corrected there; nothing was posted.
    const truth = await glImport();
    expect(linesOfInvoice(truth.lines, 'inv-closed').every((l) => l.status === 'FAILED' && l.readable)).toBe(
      true,
    );
    expect(
      truth.apTransactions.filter((p) => p.extIdentifier.startsWith('semine:payco:inv-closed:')),
    ).toEqual([]);
  });

  it.each(['disappear', 'stay'] as const)(
    'a lost answer after the commit does not post twice (processed lines %s)',
    async (processedLines) => {
      await adminCall('PUT', '/admin/gl-import/model', { processedLines });
      await adminCall('POST', '/admin/counters/reset', {});
      const invoiceId = `inv-drop-${processedLines}`;
      try {
        await adminCall('POST', '/admin/faults', {
          kind: 'commitThenDrop',
          field: 'addGLImportItems',
          count: 1,
        });
        const invoice = invoiceSchema.parse(demoInvoice(invoiceId, supplierCode));
        await submitToOutbox(deps(), 'payco', invoice);
        const doc = await settled(invoiceId);
        expect(doc.state).toBe('posted');
        const truth = await glImport();
        const lines = linesOfInvoice(truth.lines, invoiceId);
        expect(lines).toHaveLength(3);
        expect(lines.every((l) => l.status === 'POSTED' && l.readable === (processedLines === 'stay'))).toBe(
          true,
        );
        const payables = truth.apTransactions.filter(
          (p) => p.extIdentifier === `semine:payco:${invoiceId}:0`,
        );
        expect(payables).toHaveLength(1);
        expect(truth.duplicates).toEqual([]);
        expect(doc.xledger.transactionDbId).toBe(payables[0]?.transactionHeader.dbId);
        // One create reached Xledger (its answer was lost); the retry found the voucher instead.
        const usage = (await adminCall('GET', '/admin/counters/root')) as {
          byField: Record<string, { requests: number }>;
        };
        expect(usage.byField.addGLImportItems?.requests).toBe(1);
        if (processedLines === 'disappear') {
          // The retry came after Xledger had processed the lines: they were gone from
          // glImportItems, and it found the posted payable instead.
          expect(doc.xledger.lineDbIds).toEqual([]);
        } else {
          expect(doc.xledger.lineDbIds).toEqual(lines.map((l) => l.dbId));
        }
      } finally {
        await adminCall('PUT', '/admin/gl-import/model', { processedLines: 'disappear' });
      }
    },
  );
});
