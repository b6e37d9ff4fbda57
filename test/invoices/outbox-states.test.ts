import { describe, expect, it } from 'vitest';
import { invoiceContentHash, invoiceSchema } from '../../src/invoices/invoice';
import {
  addToOutbox,
  getOutboxInvoice,
  invoiceCounts,
  pendingInvoiceIds,
  settleInvoice,
  updateOutbox,
  type OutboxInvoice,
} from '../../src/invoices/outbox';
import { claimSettlement } from '../../src/invoices/settlement';
import { collections } from '../../src/store/collections';
import { demoInvoice } from '../support/invoices';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('outbox-states');

const add = async (id: string) => {
  const invoice = invoiceSchema.parse(demoInvoice(id, 'S1'));
  await addToOutbox(db(), 'acme', invoice, invoiceContentHash(invoice));
};
const decision = (state: 'posted' | 'rejected', by: string) => ({
  state,
  reasons: state === 'rejected' ? [`rejected by ${by}`] : [],
  xledger: { lineDbIds: [], transactionDbId: state === 'posted' ? 1 : null },
  postedAt: state === 'posted' ? new Date() : null,
  duplicate: null,
});

/**
 * An attempt can end after its own retry settled the invoice (its activity timed out while the
 * retry posted it, then it failed on a fault). Its late write must not unsettle the invoice. On
 * the test run's real FerretDB, where a read-then-write decides nothing.
 */
describe('outbox states', () => {
  it('a posted or rejected invoice stays so; an unsettled one moves on', async () => {
    await add('posted-1');
    await add('rejected-1');
    await add('open-1');
    await settleInvoice(db(), 'acme', 'posted-1', decision('posted', 'check'));
    await settleInvoice(db(), 'acme', 'rejected-1', decision('rejected', 'validator'));
    await updateOutbox(db(), 'acme', 'open-1', { state: 'posting' });

    for (const id of ['posted-1', 'rejected-1', 'open-1']) {
      await updateOutbox(db(), 'acme', id, { state: 'retrying', lastError: 'late attempt: HTTP 503' });
    }
    // A second decision does not replace the first.
    expect(
      (await settleInvoice(db(), 'acme', 'posted-1', decision('rejected', 'late'))).settlement.state,
    ).toBe('posted');

    expect(await getOutboxInvoice(db(), 'acme', 'posted-1')).toMatchObject({
      state: 'posted',
      lastError: null,
    });
    expect(await getOutboxInvoice(db(), 'acme', 'rejected-1')).toMatchObject({
      state: 'rejected',
      reasons: ['rejected by validator'],
    });
    expect(await getOutboxInvoice(db(), 'acme', 'open-1')).toMatchObject({
      state: 'retrying',
      lastError: 'late attempt: HTTP 503',
    });
  });

  it('200 races of settlers and late writers: one decision, never regressed, the view ends as decided', async () => {
    const RACES = 200;
    const failures: string[] = [];
    const view = db().collection<OutboxInvoice>(collections.invoiceOutbox);
    const race = async (r: number) => {
      const id = `race-${r}`;
      await add(id);
      await updateOutbox(db(), 'acme', id, { state: 'posting' });
      const seen: string[] = [];
      const settles = await Promise.all([
        settleInvoice(db(), 'acme', id, decision('posted', 's1')),
        // Late attempts writing open states while the invoice is being settled.
        ...Array.from({ length: 4 }, (_, k) =>
          updateOutbox(db(), 'acme', id, {
            state: k % 2 ? 'retrying' : 'unsettled',
            lastError: `late ${k}`,
          }).then(() => null),
        ),
        settleInvoice(db(), 'acme', id, decision('rejected', 's2')),
        settleInvoice(db(), 'acme', id, decision('posted', 's3')),
        // A reader watching: once it sees a final state, it never sees another one.
        (async () => {
          for (let i = 0; i < 6; i++) seen.push((await getOutboxInvoice(db(), 'acme', id))!.state);
          return null;
        })(),
      ]);
      const made = settles.filter((s) => s !== null);
      const states = new Set(made.map((s) => s.settlement.state));
      const mine = made.filter((s) => s.mine).length;
      if (states.size !== 1 || mine !== 1) failures.push(`race ${r}: decisions ${[...states]} by ${mine}`);
      const decided = made[0]!.settlement.state;
      const firstFinal = seen.findIndex((state) => state === 'posted' || state === 'rejected');
      if (firstFinal >= 0 && seen.slice(firstFinal).some((state) => state !== decided))
        failures.push(`race ${r}: a reader saw ${seen.join(' → ')}`);
      const read = await getOutboxInvoice(db(), 'acme', id);
      const raw = await view.findOne({ _id: `acme:${id}` });
      if (read?.state !== decided || raw?.state !== decided)
        failures.push(`race ${r}: decided ${decided}, read ${read?.state}, stored view ${raw?.state}`);
    };
    for (let r = 0; r < RACES; r += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => race(r + k)));
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('tenant status and the sweep read an invoice whose view lags its settlement as settled', async () => {
    // The view write after a settlement lost on FerretDB (seen once in about ten chaos runs):
    // the settlement is made, the outbox document still says pending.
    const tenant = 'lagging';
    const addFor = async (id: string) => {
      const invoice = invoiceSchema.parse(demoInvoice(id, 'S1'));
      await addToOutbox(db(), tenant, invoice, invoiceContentHash(invoice));
    };
    for (const id of ['open', 'rejected-lagging', 'posted-lagging']) await addFor(id);
    await claimSettlement(db(), tenant, 'rejected-lagging', decision('rejected', 'validator'));
    await claimSettlement(db(), tenant, 'posted-lagging', decision('posted', 'check'));
    const view = db().collection<OutboxInvoice>(collections.invoiceOutbox);
    expect((await view.findOne({ _id: `${tenant}:rejected-lagging` }))?.state).toBe('pending');

    expect(await invoiceCounts(db(), tenant)).toMatchObject({ pending: 1, rejected: 1, posted: 1 });
    expect(await pendingInvoiceIds(db(), tenant, 10)).toEqual(['open']);
  });
});
