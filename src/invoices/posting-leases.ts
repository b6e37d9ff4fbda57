import type { Db } from 'mongodb';
import { collections } from '../store/collections';
import { VersionedRegister } from '../store/versioned';
import { outboxId } from './outbox';

/**
 * The right to post one invoice, held by one activity attempt at a time. A timed-out attempt
 * may still be running (a "zombie") when Temporal retries; two attempts must never look up and
 * create at once, and a superseded one must never send.
 *
 * The lease is a VersionedRegister (store/versioned.ts): every claim is the insert of the next
 * version, so of all claimants that saw the lease released or expired exactly one wins, on
 * FerretDB as on MongoDB (a conditional upsert decides nothing on FerretDB v1, which runs it as
 * read, change, write back). The holder renews and releases by amending its own version's
 * expiry by `_id`; the version number is its fence token: it sends only while its version is
 * still the newest and unexpired (holdsPosting), checked right before the request.
 */
interface LeaseValue {
  holder: string;
  until: Date;
}

export interface PostingLease {
  tenantId: string;
  invoiceId: string;
  holder: string;
  /** The register version this claim wrote: the fence token. */
  version: number;
}

const register = (db: Db, tenantId: string, invoiceId: string) =>
  new VersionedRegister<LeaseValue>(
    db,
    collections.postingLeases,
    tenantId,
    `${outboxId(tenantId, invoiceId)}:lease`,
  );

/** Claims the lease for `holder`; null while another holder's lease is live. */
export async function claimPosting(
  db: Db,
  tenantId: string,
  invoiceId: string,
  holder: string,
  leaseMs: number,
  now = new Date(),
): Promise<PostingLease | null> {
  const lease = register(db, tenantId, invoiceId);
  const current = await lease.latest();
  if (current && current.value.until.getTime() > now.getTime()) return null;
  const written = await lease.propose(current, { holder, until: new Date(now.getTime() + leaseMs) }, now);
  // Another claimant inserted this version first: its lease is live now.
  if (!written) return null;
  return { tenantId, invoiceId, holder, version: written.n };
}

/**
 * Whether `lease` is still the holder's: its version the newest and not expired (with `marginMs`
 * to spare). The fence checked right before a send.
 */
export async function holdsPosting(
  db: Db,
  lease: PostingLease,
  now = new Date(),
  marginMs = 0,
): Promise<boolean> {
  const register$ = register(db, lease.tenantId, lease.invoiceId);
  if (!(await register$.isLatest(lease.version))) return false;
  const mine = await register$.at(lease.version);
  return !!mine && mine.value.until.getTime() > now.getTime() + marginMs;
}

/** Extends the holder's lease; false when it was superseded or had lapsed (the holder must stop). */
export async function renewPosting(
  db: Db,
  lease: PostingLease,
  leaseMs: number,
  now = new Date(),
): Promise<boolean> {
  if (!(await holdsPosting(db, lease, now))) return false;
  // Amends only this version: a claimant that read it expired and wrote the next one still wins.
  await register(db, lease.tenantId, lease.invoiceId).amend(lease.version, {
    until: new Date(now.getTime() + leaseMs),
  });
  return true;
}

/** Ends the holder's lease (its expiry moved to the past); a superseded holder's release changes nothing. */
export async function releasePosting(db: Db, lease: PostingLease): Promise<void> {
  const register$ = register(db, lease.tenantId, lease.invoiceId);
  if (!(await register$.isLatest(lease.version))) return;
  await register$.amend(lease.version, { until: new Date(0) });
}

/** When the current lease lapses (null: nobody ever held one). */
export async function postingLeaseUntil(db: Db, tenantId: string, invoiceId: string): Promise<Date | null> {
  return (await register(db, tenantId, invoiceId).latest())?.value.until ?? null;
}
