import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import { boundedDeleteMany } from './bounded';
import { collections } from './collections';
import { upsertRacing } from './upserts';
import { insertClaim } from './versioned';

/**
 * Push from Xledger in the store: each tenant's webhooks (one document per tenant, `_id` its id,
 * written whole by the tenant's push watch, which its schedule never runs twice at once) and
 * the digests of verified deliveries (each inserted under a unique `_id`, the store's one atomic
 * claim: a replayed delivery finds its digest taken, on MongoDB and FerretDB alike).
 */

/** One subscription field of the tenant's Xledger, as registered there. */
export interface PushSubscription {
  field: string;
  /** Xledger's webhook dbId; null when it is not registered (a failed re-registration). */
  webhookDbId: number | null;
  /** Its last known state (RUNNING, PAUSED, RECOVERING, FAULTED), null when unknown or gone. */
  state: string | null;
  registeredAt: string | null;
  checkedAt: string;
  /** Times it was registered again after Xledger paused or faulted it (or lost it). */
  reregistrations: number;
  /** Why it is not delivering, when it is not. */
  problem: string | null;
}

export interface TenantPush {
  _id: string;
  tenantId: string;
  /** The public URL Xledger delivers to. */
  url: string;
  /** What the tenant's live schema offered (`<type>Mutated` fields) when the tenant was checked. */
  offered: string[];
  subscriptions: PushSubscription[];
  /** Data types whose every subscription is healthy: their polling is stretched. */
  pushedTypes: string[];
  /** Enabled data types polled at their normal interval, with why (no subscription, fallback). */
  polled: Array<{ dataType: string; reason: string }>;
  updatedAt: Date;
}

export async function readTenantPush(db: Db, tenantId: string): Promise<TenantPush | null> {
  return db.collection<TenantPush>(collections.pushSubscriptions).findOne({ _id: tenantId });
}

export async function saveTenantPush(db: Db, push: Omit<TenantPush, '_id' | 'updatedAt'>): Promise<void> {
  const doc: TenantPush = { ...push, _id: push.tenantId, updatedAt: new Date() };
  await upsertRacing(() =>
    db
      .collection<TenantPush>(collections.pushSubscriptions)
      .replaceOne({ _id: doc._id }, doc, { upsert: true }),
  );
}

export async function deleteTenantPush(db: Db, tenantId: string): Promise<void> {
  await db.collection<TenantPush>(collections.pushSubscriptions).deleteOne({ _id: tenantId });
}

/** The data types pushed now (none without push): the schedules stretch their intervals. */
export async function pushedTypesOf(db: Db, tenantId: string): Promise<string[]> {
  return (await readTenantPush(db, tenantId))?.pushedTypes ?? [];
}

interface DeliveryDoc {
  _id: string;
  tenantId: string;
  receivedAt: Date;
}

/**
 * Records a verified delivery; false when the same delivery (its signed Date and body) was
 * recorded before: a replay. The digest covers what the signature covers, so Xledger's own
 * retry, signed again with a new Date, is a new delivery (its sync coalesces with the first).
 */
export async function claimDelivery(
  db: Db,
  tenantId: string,
  dateSeconds: number,
  body: Buffer,
  now: Date,
): Promise<boolean> {
  return insertClaim(db.collection<DeliveryDoc>(collections.pushDeliveries), {
    _id: deliveryId(tenantId, dateSeconds, body),
    tenantId,
    receivedAt: now,
  });
}

/** Forgets a claimed delivery that could not be acted on (a delete by `_id`: atomic too). */
export async function releaseDelivery(
  db: Db,
  tenantId: string,
  dateSeconds: number,
  body: Buffer,
): Promise<void> {
  await db
    .collection<DeliveryDoc>(collections.pushDeliveries)
    .deleteOne({ _id: deliveryId(tenantId, dateSeconds, body) });
}

function deliveryId(tenantId: string, dateSeconds: number, body: Buffer): string {
  return `${tenantId}:${createHash('sha256').update(`${dateSeconds}.`).update(body).digest('base64url')}`;
}

/**
 * Drops digests older than `olderThan`: a delivery that old is refused for its Date anyway, so
 * its digest no longer needs to stand guard.
 */
export async function pruneDeliveries(db: Db, tenantId: string, olderThan: Date): Promise<number> {
  return boundedDeleteMany(db.collection<DeliveryDoc>(collections.pushDeliveries), {
    tenantId,
    receivedAt: { $lt: olderThan },
  });
}
