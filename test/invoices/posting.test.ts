import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { getOutboxInvoice, type OutboxInvoice } from '../../src/store/invoice-outbox';
import { syncWorkflowId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';

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
  for (const dataType of ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions']) {
    await h.client.workflow.execute('syncDataTypeWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `${syncWorkflowId('payco', dataType)}:setup`,
      args: [{ tenantId: 'payco', dataType, mode: 'full' }],
    });
  }
  const supplier = await h.store.db
    .collection('suppliers')
    .findOne({ tenantId: 'payco', visibility: 'owner' });
  supplierCode = String(supplier?.code);
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

async function glImport() {
  const response = await fetch(`${h.sim.adminUrl}/admin/gl-import/${SEED_ENTITIES.owner1}`);
  return (await response.json()) as {
    lines: Array<{ extIdentifier: string; status: string }>;
    duplicates: Array<{ extIdentifier: string; count: number }>;
  };
}

describe('invoices to Xledger', () => {
  it('posts an approved invoice once, as one balanced voucher', async () => {
    const invoice = invoiceSchema.parse(demoInvoice('inv-1', supplierCode));
    await submitToOutbox(deps(), 'payco', invoice);
    const doc = await settled('inv-1');
    expect(doc.state).toBe('posted');
    expect(doc.xledger.lineDbIds).toHaveLength(3);
    const lines = (await glImport()).lines.filter((l) => l.extIdentifier.startsWith('semine:payco:inv-1:'));
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.status === 'POSTED')).toBe(true);
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
    expect(doc.reasons.join('\n')).toMatch(/closed period/);
  });

  it('a lost answer after the commit does not post twice', async () => {
    await fetch(`${h.sim.adminUrl}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'commitThenDrop', field: 'addGLImportItems', count: 1 }),
    });
    const invoice = invoiceSchema.parse(demoInvoice('inv-drop', supplierCode));
    await submitToOutbox(deps(), 'payco', invoice);
    const doc = await settled('inv-drop');
    expect(doc.state).toBe('posted');
    const state = await glImport();
    expect(state.lines.filter((l) => l.extIdentifier.startsWith('semine:payco:inv-drop:'))).toHaveLength(3);
    expect(state.duplicates).toEqual([]);
  });
});
