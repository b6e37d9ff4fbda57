import { describe, expect, it } from 'vitest';
import { claimPosting } from '../../src/invoices/posting-leases';
import { sendUnderLease } from '../../src/invoices/send-under-lease';
import { listSends } from '../../src/invoices/sends';
import { settleVerdict } from '../../src/invoices/settle-window';
import { useScratchDb } from '../support/scratch-store';

/**
 * A lease is a fence at send time: an attempt that stalled (a "zombie": its activity timed out,
 * its process went on) and wakes after its lease lapsed must not send, even though it got as far
 * as the send. On the test run's real FerretDB.
 */
const db = useScratchDb('zombie');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = { departureMs: 30_000, refusedWhole: () => false };

describe('sending under the posting lease', () => {
  it('a zombie that wakes after its lease and a successor took over is refused; the successor sends', async () => {
    const zombie = await claimPosting(db(), 't', 'inv-z', 'attempt-1', 1_500);
    expect(zombie).not.toBeNull();
    await sleep(1_600); // stalled past its lease
    const successor = await claimPosting(db(), 't', 'inv-z', 'attempt-2', 45_000);
    expect(successor).not.toBeNull();
    let zombieSent = 0;
    const woke = await sendUnderLease(
      db(),
      zombie!,
      { n: 1, lineKeys: ['k:0'] },
      async () => ++zombieSent,
      never,
    );
    expect(woke).toEqual({ sent: false, why: 'superseded' });
    expect(zombieSent).toBe(0);
    // Its recorded send says it never left, so it does not hold the invoice unsettled.
    expect((await listSends(db(), 't', 'inv-z')).map((s) => s.outcome)).toEqual(['not_sent']);
    const sent = await sendUnderLease(db(), successor!, { n: 2, lineKeys: ['k:0'] }, async () => [7], never);
    expect(sent).toMatchObject({ sent: true, answer: [7] });
  });

  it('a holder whose lease lapsed is refused even before anyone took over', async () => {
    const lapsed = await claimPosting(db(), 't', 'inv-l', 'attempt-1', 1_200);
    await sleep(1_300);
    let sent = 0;
    const result = await sendUnderLease(
      db(),
      lapsed!,
      { n: 1, lineKeys: ['k:0'] },
      async () => ++sent,
      never,
    );
    expect(result).toEqual({ sent: false, why: 'superseded' });
    expect(sent).toBe(0);
  });

  it('a send is recorded before it leaves: a successor finds it unknown and waits it out', async () => {
    const first = await claimPosting(db(), 't', 'inv-u', 'attempt-1', 1_200);
    // The request hangs past the lease (its answer will be lost).
    const hung = sendUnderLease(
      db(),
      first!,
      { n: 1, lineKeys: ['k:0'] },
      () =>
        sleep(1_500).then(() => {
          throw new Error('timed out');
        }),
      never,
    );
    await sleep(1_300);
    expect(await claimPosting(db(), 't', 'inv-u', 'attempt-2', 45_000)).not.toBeNull();
    const sends = await listSends(db(), 't', 'inv-u');
    expect(sends.map((s) => s.outcome)).toEqual(['unknown']);
    const settings = { settleWindowMs: 600_000, settleLookupSpacingMs: 60_000 };
    expect(settleVerdict(sends, new Date(), settings)).toMatchObject({ kind: 'wait', recordLookup: false });
    // A second attempt racing for the same send number loses it.
    expect(await sendUnderLease(db(), first!, { n: 1, lineKeys: ['k:0'] }, async () => 1, never)).toEqual({
      sent: false,
      why: 'raced',
    });
    await expect(hung).rejects.toThrow('timed out');
  });

  it('settles a lost send only after the window and two look-ups a spacing apart', () => {
    const at = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
    const send = {
      _id: 'x',
      tenantId: 't',
      invoiceId: 'i',
      n: 1,
      holder: 'h',
      leaseVersion: 1,
      at,
      lineKeys: [],
      outcome: 'unknown' as const,
      lineDbIds: [],
      emptyLookups: [] as Date[],
      note: null,
      updatedAt: at,
    };
    const settings = { settleWindowMs: 600_000, settleLookupSpacingMs: 60_000 };
    const after = (s: number) => new Date(at.getTime() + s * 1000);
    expect(settleVerdict([send], after(30), settings)).toMatchObject({ kind: 'wait', retryInMs: 570_000 });
    expect(settleVerdict([send], after(601), settings)).toMatchObject({
      kind: 'wait',
      recordLookup: true,
      retryInMs: 60_000,
    });
    const once = { ...send, emptyLookups: [after(601)] };
    expect(settleVerdict([once], after(630), settings)).toMatchObject({
      kind: 'wait',
      recordLookup: false,
      retryInMs: 31_000,
    });
    expect(settleVerdict([once], after(661), settings)).toEqual({ kind: 'not_landed' });
    // A look-up made inside the window does not count.
    expect(settleVerdict([{ ...send, emptyLookups: [after(100)] }], after(700), settings)).toMatchObject({
      kind: 'wait',
    });
    // A send that could leave up to 2 minutes after it was recorded: the window counts from then.
    const late = { ...send, leavesBy: after(120) };
    expect(settleVerdict([late], after(601), settings)).toMatchObject({ kind: 'wait', retryInMs: 119_000 });
    expect(settleVerdict([{ ...late, emptyLookups: [after(700)] }], after(761), settings)).toMatchObject({
      kind: 'wait',
    });
    expect(settleVerdict([{ ...late, emptyLookups: [after(721)] }], after(781), settings)).toEqual({
      kind: 'not_landed',
    });
  });
});
