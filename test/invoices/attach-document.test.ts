import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, SchemaMismatchError, type XledgerSyncClient } from '../../src/client';
import { MAX_DOCUMENT_BYTES } from '../../src/invoices/invoice-document';
import { getOutboxInvoice, type OutboxInvoice } from '../../src/invoices/outbox';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice, syncPostingMasterData } from '../support/invoices';
import { admin as adminOf } from '../support/sync';
import { connectApi } from '../tenants/support';

/**
 * The invoice's PDF attached to its voucher (README, "Invoices to Xledger, exactly once"): with
 * the tenant's `posting.attachDocument` on, the create goes as a multipart request whose file
 * part the payable line's `invoiceFile` names, and the simulator holds the same bytes; off,
 * nothing is attached and no `invoiceFile` is sent; bad input is refused before anything is
 * stored; a lost answer on the multipart create still posts once.
 */
const ON = 'attach-on';
const OFF = 'attach-off';
let h: Harness;
let api: XledgerSyncClient;
let supplierCode: string;

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(300_000, 42), Buffer.from('\n%%EOF\n')]);
const document = (fileName = 'INV-88213.pdf', bytes = PDF) => ({
  fileName,
  contentType: 'application/pdf' as const,
  contentBase64: bytes.toString('base64'),
});

beforeAll(async () => {
  h = await startHarness({ seed: 17, suppliers: 30, importProcessingDelayMs: 300 });
  for (const [tenantId, attachDocument] of [
    [ON, true],
    [OFF, false],
  ] as const) {
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      posting: { attachDocument },
    });
  }
  await h.startWorker();
  supplierCode = await syncPostingMasterData(h, ON);
  await syncPostingMasterData(h, OFF);
  api = await connectApi(h);
}, 180_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  adminOf(h, method, path, body);

async function settled(tenantId: string, invoiceId: string): Promise<OutboxInvoice> {
  for (let i = 0; i < 240; i++) {
    const doc = await getOutboxInvoice(h.store.db, tenantId, invoiceId);
    if (doc && ['posted', 'rejected', 'needs_attention'].includes(doc.state)) return doc;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`invoice ${invoiceId} of ${tenantId} did not settle`);
}

interface TruthLine {
  dbId: number;
  extIdentifier: string;
  status: string;
  invoiceFile: string | null;
  document: { fileName: string; size: number; sha256: string } | null;
}
async function linesOf(tenantId: string, invoiceId: string): Promise<TruthLine[]> {
  const all = (await admin('GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`)) as { lines: TruthLine[] };
  return all.lines.filter((l) => l.extIdentifier?.startsWith(`semine:${tenantId}:${invoiceId}:`));
}
async function payables(tenantId: string, invoiceId: string): Promise<number> {
  const all = (await admin('GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`)) as {
    apTransactions: Array<{ extIdentifier: string }>;
  };
  return all.apTransactions.filter((p) => p.extIdentifier === `semine:${tenantId}:${invoiceId}:0`).length;
}
async function storedBytes(lineDbId: number): Promise<Buffer> {
  const stored = (await admin('GET', `/admin/gl-import/document/${lineDbId}`)) as { contentBase64: string };
  return Buffer.from(stored.contentBase64, 'base64');
}
async function creates(): Promise<number> {
  const usage = (await admin('GET', '/admin/counters/root')) as {
    byField: Record<string, { requests: number }>;
  };
  return usage.byField.addGLImportItems?.requests ?? 0;
}

describe('the invoice’s document', () => {
  it('is attached once, its bytes equal, with the option on', async () => {
    await api.submitInvoice(ON, demoInvoice('doc-1', supplierCode, { document: document() }));
    expect((await settled(ON, 'doc-1')).state).toBe('posted');
    const lines = await linesOf(ON, 'doc-1');
    expect(lines).toHaveLength(3);
    const [payable, ...costs] = lines.sort((a, b) => a.extIdentifier.localeCompare(b.extIdentifier));
    expect(payable?.invoiceFile).toBe('INV-88213.pdf');
    expect(payable?.document).toMatchObject({ fileName: 'INV-88213.pdf', size: PDF.length });
    expect((await storedBytes(payable!.dbId)).equals(PDF)).toBe(true);
    for (const cost of costs) expect(cost.document).toBeNull();
    expect(await payables(ON, 'doc-1')).toBe(1);
    // The outbox keeps the reference only; the bytes are kept apart, by _id.
    const raw = await h.store.db
      .collection(collections.invoiceOutbox)
      .findOne({ _id: `${ON}:doc-1` as never });
    expect(JSON.stringify(raw)).not.toContain(PDF.toString('base64').slice(0, 64));
    expect(raw?.invoice.document).toMatchObject({ fileName: 'INV-88213.pdf', size: PDF.length });
    // Settled, its bytes are dropped (Xledger holds the file); the outbox keeps the reference.
    await expect
      .poll(() => h.store.db.collection(collections.invoiceDocuments).countDocuments({ tenantId: ON }), {
        timeout: 30_000,
      })
      .toBe(0);
    // The same invoice submitted again (idempotent) leaves no bytes behind either.
    await api.submitInvoice(ON, demoInvoice('doc-1', supplierCode, { document: document() }));
    expect(await h.store.db.collection(collections.invoiceDocuments).countDocuments({ tenantId: ON })).toBe(
      0,
    );
  });

  it('is not attached, and no invoiceFile is sent, with the option off', async () => {
    await api.submitInvoice(
      OFF,
      demoInvoice('doc-2', supplierCode, {
        document: document(),
        attachment: 'https://semine.example/invoices/doc-2.pdf',
      }),
    );
    expect((await settled(OFF, 'doc-2')).state).toBe('posted');
    const lines = await linesOf(OFF, 'doc-2');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.invoiceFile).toBeNull();
      expect(line.document).toBeNull();
    }
  });

  it('bad document input is refused before anything is stored, naming the field and the tenant', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...document(), contentType: 'image/png' }, 'document.contentType', /application\/pdf/],
      [document('../etc/passwd'), 'document.fileName', /\.pdf/],
      [document('x.pdf', Buffer.from('GIF89a not a pdf')), 'document.contentBase64', /must be a PDF/],
      [{ ...document(), contentBase64: 'not base64!' }, 'document.contentBase64', /base64/],
      [
        document('big.pdf', Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(MAX_DOCUMENT_BYTES)])),
        'document.contentBase64',
        /at most 10 MB/,
      ],
      [{ ...document(), extra: 1 }, 'document', /extra/],
    ];
    for (const [index, [bad, field, message]] of cases.entries()) {
      const invoiceId = `bad-doc-${index}`;
      const error = await api
        .submitInvoice(ON, demoInvoice(invoiceId, supplierCode, { document: bad as never }))
        .catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidInputError);
      const issues = (error as InvalidInputError).issues;
      expect(
        issues.some((i) => i.field === field && message.test(i.message)),
        JSON.stringify(issues),
      ).toBe(true);
      expect((error as InvalidInputError).message).toContain(`tenant ${ON}`);
      expect(await getOutboxInvoice(h.store.db, ON, invoiceId)).toBeNull();
    }
    // Nothing of the refused documents was stored (doc-1's bytes went when it settled).
    expect(await h.store.db.collection(collections.invoiceDocuments).countDocuments({ tenantId: ON })).toBe(
      0,
    );
  });

  it('a document of the largest size allowed is stored and attached whole', async () => {
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX_DOCUMENT_BYTES - 9, 3)]);
    expect(big.length).toBe(MAX_DOCUMENT_BYTES);
    await api.submitInvoice(ON, demoInvoice('doc-big', supplierCode, { document: document('big.pdf', big) }));
    expect((await settled(ON, 'doc-big')).state).toBe('posted');
    const attached = (await linesOf(ON, 'doc-big')).filter((l) => l.document !== null);
    expect(attached).toHaveLength(1);
    expect((await storedBytes(attached[0]!.dbId)).equals(big)).toBe(true);
  });

  it('a lost answer on the multipart create still posts once, the document attached once', async () => {
    const before = await creates();
    await admin('POST', '/admin/faults', { kind: 'commitThenDrop', field: 'addGLImportItems', count: 1 });
    await api.submitInvoice(ON, demoInvoice('doc-3', supplierCode, { document: document('doc-3.pdf') }));
    expect((await settled(ON, 'doc-3')).state).toBe('posted');
    expect(await creates()).toBe(before + 1);
    const lines = await linesOf(ON, 'doc-3');
    expect(lines).toHaveLength(3);
    const attached = lines.filter((l) => l.document !== null);
    expect(attached).toHaveLength(1);
    expect((await storedBytes(attached[0]!.dbId)).equals(PDF)).toBe(true);
    expect(await payables(ON, 'doc-3')).toBe(1);
  });

  it('the live schema check counts invoiceFile only for a tenant that attaches documents', async () => {
    await admin('PUT', '/admin/schema/remove-field', {
      type: 'AddGLImportItemsInputNode',
      field: 'invoiceFile',
    });
    const config = (attachDocument: boolean) => ({
      tenantId: 'attach-check',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      posting: { attachDocument },
    });
    try {
      const refused = await api.upsertTenant(config(true)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SchemaMismatchError);
      expect((refused as SchemaMismatchError).mismatches.map((m) => m.operation)).toEqual([
        'addGLImportItemsWithFile',
      ]);
      await expect(api.upsertTenant(config(false))).resolves.toBeDefined();
    } finally {
      await admin('POST', '/admin/schema/reset');
    }
  });
});
