import type { Db } from 'mongodb';
import { holdsPosting, type PostingLease } from './posting-leases';
import { markSend, recordSend, type InvoiceSend } from './sends';

export type SendResult<T> =
  | { sent: true; send: InvoiceSend; answer: T }
  /** superseded: the lease is another attempt's now; raced: another attempt recorded send n first. */
  | { sent: false; why: 'superseded' | 'raced' };

/** Left on the lease at the fence: a lease about to lapse is not sent under. */
const FENCE_MARGIN_MS = 1_000;

/**
 * Sends one create for an invoice, fenced by the posting lease:
 * 1. the send is recorded (send `n`, claimed by its insert) before anything leaves, with the
 *    moment it must have left by (`departureMs` later): the request is not sent after that
 *    (xledger/departure.ts), however long it waits in the gate or in a frozen worker, and a
 *    successor's settle window counts from it;
 * 2. the lease is checked right before the request — its version still the newest and not
 *    expired: a superseded attempt (a zombie that woke after its lease lapsed) never sends;
 * 3. the request goes.
 * The record precedes the check, so an attempt that takes the lease over after the check finds
 * this send and treats it as unsettled: it cannot create before this one has provably not
 * landed, whenever this one's request arrives.
 *
 * A request that never left whole (its departure deadline passed) or that Xledger refused whole
 * before running it (`refusedWhole`) is marked `not_sent`;
 * any other failure leaves the send `unknown` — it may still land.
 */
export async function sendUnderLease<T>(
  db: Db,
  lease: PostingLease,
  fields: { n: number; lineKeys: string[] },
  send: (leavesBy: Date) => Promise<T>,
  options: { departureMs: number; refusedWhole: (error: unknown) => boolean; onSending?: () => void },
): Promise<SendResult<T>> {
  const now = new Date();
  const leavesBy = new Date(now.getTime() + options.departureMs);
  const record = await recordSend(
    db,
    {
      tenantId: lease.tenantId,
      invoiceId: lease.invoiceId,
      n: fields.n,
      holder: lease.holder,
      leaseVersion: lease.version,
      lineKeys: fields.lineKeys,
      leavesBy,
    },
    now,
  );
  if (!record) return { sent: false, why: 'raced' };
  if (!(await holdsPosting(db, lease, new Date(), FENCE_MARGIN_MS))) {
    await markSend(db, record, { outcome: 'not_sent', note: 'the attempt no longer held the posting lease' });
    return { sent: false, why: 'superseded' };
  }
  options.onSending?.();
  try {
    return { sent: true, send: record, answer: await send(leavesBy) };
  } catch (error) {
    if (options.refusedWhole(error)) {
      const note = error instanceof Error ? error.message : String(error);
      await markSend(db, record, { outcome: 'not_sent', note: `not sent whole: ${note}` });
    }
    throw error;
  }
}
