import { describe, expect, it } from 'vitest';
import { invoiceContentHash, invoiceSchema } from '../../src/invoices/invoice';
import { addToOutbox, getOutboxInvoice, updateOutbox } from '../../src/invoices/outbox';
import { demoInvoice } from '../support/invoices';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('outbox-states');

/**
 * An attempt can end after its own retry settled the invoice (its activity timed out while the
 * retry posted it, then it failed on a fault). Its late write must not unsettle the invoice.
 */
describe('outbox states', () => {
  it('a posted or rejected invoice stays so; an unsettled one moves on', async () => {
    const add = async (id: string) => {
      const invoice = invoiceSchema.parse(demoInvoice(id, 'S1'));
      await addToOutbox(db(), 'acme', invoice, invoiceContentHash(invoice));
    };
    await add('posted-1');
    await add('rejected-1');
    await add('open-1');
    await updateOutbox(db(), 'acme', 'posted-1', { state: 'posted', lastError: null });
    await updateOutbox(db(), 'acme', 'rejected-1', { state: 'rejected', reasons: ['no such supplier'] });
    await updateOutbox(db(), 'acme', 'open-1', { state: 'posting' });

    for (const id of ['posted-1', 'rejected-1', 'open-1']) {
      await updateOutbox(db(), 'acme', id, { state: 'retrying', lastError: 'late attempt: HTTP 503' });
    }

    expect(await getOutboxInvoice(db(), 'acme', 'posted-1')).toMatchObject({
      state: 'posted',
      lastError: null,
    });
    expect(await getOutboxInvoice(db(), 'acme', 'rejected-1')).toMatchObject({
      state: 'rejected',
      reasons: ['no such supplier'],
    });
    expect(await getOutboxInvoice(db(), 'acme', 'open-1')).toMatchObject({
      state: 'retrying',
      lastError: 'late attempt: HTTP 503',
    });
  });
});
