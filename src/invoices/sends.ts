import type { Db } from 'mongodb';
import { collections } from '../store/collections';
import { insertClaim } from '../store/versioned';
import { outboxId } from './outbox';

/**
 * Every create sent for an invoice, recorded before it leaves: `_id` `<tenant>:<invoice>:send:<n>`,
 * the number claimed by the insert (of two attempts recording send n at once, one wins). A send
 * whose answer never came back stays `unknown`: Xledger may still run it (a slow request runs to
 * its end after the client hung up), so no new create follows until it provably did not land
 * (settle-window.ts). Only the attempt that recorded a send amends it, by `_id`.
 */
export type SendOutcome =
  /** Sent; no answer (timed out, connection lost) or the sender died: it may land any time. */
  | 'unknown'
  /** Xledger answered with the staged lines' ids. */
  | 'answered'
  /** Never left, or Xledger refused it whole before running it (a limit, an invalid request). */
  | 'not_sent'
  /** The settle window passed and two spaced look-ups found nothing of it. */
  | 'not_landed'
  /** Found in Xledger by a look-up after its answer was lost. */
  | 'landed';

export interface InvoiceSend {
  _id: string;
  tenantId: string;
  invoiceId: string;
  n: number;
  /** The activity attempt that sent it, and its posting lease version (the fence it held). */
  holder: string;
  leaseVersion: number;
  at: Date;
  /**
   * The request left by then or never (xledger/departure.ts): its settle window counts from here.
   * Absent on sends recorded before departure deadlines, whose window counts from `at`.
   */
  leavesBy?: Date;
  /** The extIdentifiers of the lines it carried. */
  lineKeys: string[];
  outcome: SendOutcome;
  lineDbIds: number[];
  /** Look-ups after the settle window that found nothing of it (settle-window.ts). */
  emptyLookups: Date[];
  note: string | null;
  updatedAt: Date;
}

const sends = (db: Db) => db.collection<InvoiceSend>(collections.invoiceSends);
export const sendId = (tenantId: string, invoiceId: string, n: number) =>
  `${outboxId(tenantId, invoiceId)}:send:${n}`;

/** The invoice's sends, oldest first: probed by `_id` (send 1, 2, …) until one is missing. */
export async function listSends(db: Db, tenantId: string, invoiceId: string): Promise<InvoiceSend[]> {
  const found: InvoiceSend[] = [];
  for (let n = 1; ; n++) {
    const send = await sends(db).findOne({ _id: sendId(tenantId, invoiceId, n) });
    if (!send) return found;
    found.push(send);
  }
}

/**
 * Records send `n` (the one after the sends the caller read) before it leaves. Null when another
 * attempt recorded send `n` first: it is sending, this attempt must not.
 */
export async function recordSend(
  db: Db,
  fields: Pick<InvoiceSend, 'tenantId' | 'invoiceId' | 'n' | 'holder' | 'leaseVersion' | 'lineKeys'> & {
    leavesBy: Date;
  },
  now = new Date(),
): Promise<InvoiceSend | null> {
  const send: InvoiceSend = {
    _id: sendId(fields.tenantId, fields.invoiceId, fields.n),
    ...fields,
    at: now,
    outcome: 'unknown',
    lineDbIds: [],
    emptyLookups: [],
    note: null,
    updatedAt: now,
  };
  return (await insertClaim(sends(db), send)) ? send : null;
}

/** Notes what became of a send (by its `_id`; only its sender, or the lease holder after it, writes it). */
export async function markSend(
  db: Db,
  send: Pick<InvoiceSend, '_id'>,
  fields: Partial<Pick<InvoiceSend, 'outcome' | 'lineDbIds' | 'emptyLookups' | 'note'>>,
  now = new Date(),
): Promise<void> {
  await sends(db).updateOne({ _id: send._id }, { $set: { ...fields, updatedAt: now } });
}
