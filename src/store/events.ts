import { MongoServerError, type Db } from 'mongodb';
import type { NewEvent } from '../events/catalogue';
import { collections } from './collections';

/**
 * The events outbox: one document per event, `_id` = the event's deterministic id, so recording
 * the same fact twice (a retried activity) stores it once. `seq` orders a tenant's events for
 * delivery and for the events API; it comes from a per-tenant counter document (`_id` = tenant
 * id, so FerretDB pushes the lookup down). A retry may leave a gap in `seq`, never a duplicate.
 */
/** Their names and their purge with a tenant are in the collection registry (collections.ts). */
export const EVENTS = collections.events;
export const EVENT_SEQUENCES = collections.eventSequences;

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export type StoredEvent = NewEvent & {
  _id: string;
  seq: number;
  recordedAt: Date;
  delivery: {
    state: DeliveryState;
    attempts: number;
    lastError: string | null;
    deliveredAt: Date | null;
  };
};

/** Records an event once; returns the stored form (the earlier one if it was already recorded). */
export async function recordEvent(db: Db, event: NewEvent, now = new Date()): Promise<StoredEvent> {
  const events = db.collection<StoredEvent>(EVENTS);
  const existing = await events.findOne({ _id: event.id });
  if (existing) return existing;
  const counter = await db
    .collection<{ _id: string; seq: number }>(EVENT_SEQUENCES)
    .findOneAndUpdate(
      { _id: event.tenantId },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
  const stored = {
    ...event,
    _id: event.id,
    seq: counter?.seq ?? 1,
    recordedAt: now,
    delivery: { state: 'pending', attempts: 0, lastError: null, deliveredAt: null },
  } as StoredEvent;
  try {
    await events.insertOne(stored);
    return stored;
  } catch (error) {
    // Another attempt recorded it between the read and the insert.
    if (error instanceof MongoServerError && error.code === 11000) {
      const earlier = await events.findOne({ _id: event.id });
      if (earlier) return earlier;
    }
    throw error;
  }
}
