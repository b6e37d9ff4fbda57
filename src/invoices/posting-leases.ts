import { MongoServerError, type Db } from 'mongodb';
import { collections } from '../store/collections';
import { outboxId } from './outbox';

/**
 * The right to post one invoice, held by one activity attempt at a time. A timed-out attempt
 * may still be running (a "zombie") when Temporal retries; two attempts must never look up and
 * create at once. The holder renews its lease every few seconds; a dead worker's lapses.
 *
 * Leases live in their own small collection (one document per posting under way), not in the
 * outbox: a conditional update is then cheap on every store, FerretDB included.
 */
interface PostingLease {
  /** The outbox id: tenant and invoice. */
  _id: string;
  tenantId: string;
  holder: string;
  until: Date;
}

const leases = (db: Db) => db.collection<PostingLease>(collections.postingLeases);
const DUPLICATE_KEY = 11000;

/** Takes or renews the lease for `holder`; false while another holder's lease is live. */
export async function claimPosting(
  db: Db,
  tenantId: string,
  invoiceId: string,
  holder: string,
  leaseMs: number,
  now = new Date(),
): Promise<boolean> {
  try {
    await leases(db).updateOne(
      { _id: outboxId(tenantId, invoiceId), $or: [{ holder }, { until: { $lt: now } }] },
      { $set: { tenantId, holder, until: new Date(now.getTime() + leaseMs) } },
      { upsert: true },
    );
    return true;
  } catch (error) {
    // The lease exists and is another's: the upsert's insert collides with it.
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
    throw error;
  }
}

export async function releasePosting(
  db: Db,
  tenantId: string,
  invoiceId: string,
  holder: string,
): Promise<void> {
  await leases(db).deleteOne({ _id: outboxId(tenantId, invoiceId), holder });
}

/** When the current lease lapses (null: nobody holds one). */
export async function postingLeaseUntil(db: Db, tenantId: string, invoiceId: string): Promise<Date | null> {
  const lease = await leases(db).findOne({ _id: outboxId(tenantId, invoiceId) });
  return lease?.until ?? null;
}
