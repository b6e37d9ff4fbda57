import { MongoServerError, type Db } from 'mongodb';
import type { NewEvent } from '../events/catalogue';
import { upsertRacing } from './upserts';

/**
 * The events outbox. Every read and write here goes by `_id` alone, which MongoDB and FerretDB
 * both answer from the `_id` index (FerretDB v1 pushes down nothing else, not even an `_id`
 * range), so the outbox costs the same at a hundred events as at millions.
 *
 * - `events`: one document per event, `_id` = `<tenant>:<seq>` (seq zero-padded), so a tenant's
 *   events are looked up in order, one `_id` at a time. The document also carries the event's
 *   own deterministic `id` (catalogue.ts) and its delivery state.
 * - `event_ids`: `_id` = the event id → its tenant and seq. Recording the same fact twice (a
 *   retried activity) finds it here and stores it once.
 * - `event_sequences`: `_id` = tenant id → `seq` (the last one handed out) and `delivered` (every
 *   seq up to it is delivered, given up on, or a closed gap): the delivery cursor.
 *
 * **Order without loss.** Two recorders of one tenant can take seq 5 and 6 and insert 6 first;
 * a recorder that dies between taking a seq and inserting leaves 5 empty for good. Delivery
 * goes strictly by seq: it never passes an empty seq until it has *closed* it, by inserting a
 * placeholder document (`gap: true`) under that seq's `_id`. The `_id` is unique, so exactly one
 * of the two inserts wins: either the event lands under 5 (and is delivered as 5), or the gap
 * is closed and the late recorder's insert fails — it then takes a new seq and its event is
 * delivered after 6. Either way nothing is delivered out of seq order and nothing is lost; the
 * settle window delivery waits before closing (deliver-events activities) only spares a slow
 * recorder that extra round.
 */
export const EVENTS = 'events';
export const EVENT_IDS = 'event_ids';
export const EVENT_SEQUENCES = 'event_sequences';

/**
 * pending: not yet delivered (or a redelivery is under way); delivered: a 2xx answer; failed:
 * the receiver refused it for the whole retry period (redeliver sends it again); skipped: no
 * webhook URL was configured when it was due (neither the tenant's nor the service default).
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface DeliveryStatus {
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
}

export type StoredEvent = NewEvent & {
  /** `<tenant>:<seq>`; the event's own id is `id`. */
  _id: string;
  seq: number;
  recordedAt: Date;
  delivery: DeliveryStatus;
};

/** An empty seq closed by delivery: the event that had taken it moves to a new seq. */
interface ClosedGap {
  _id: string;
  gap: true;
  closedAt: Date;
}

interface EventIdDoc {
  _id: string;
  tenantId: string;
  seq: number;
}

interface SequenceDoc {
  _id: string;
  tenantId: string;
  seq: number;
  delivered?: number;
}

/** Sorts as the number does: seqs up to 10^12 per tenant. */
export const eventKey = (tenantId: string, seq: number): string =>
  `${tenantId}:${String(seq).padStart(12, '0')}`;

const events = (db: Db) => db.collection<StoredEvent | ClosedGap>(EVENTS);
const eventIdDocs = (db: Db) => db.collection<EventIdDoc>(EVENT_IDS);
const sequences = (db: Db) => db.collection<SequenceDoc>(EVENT_SEQUENCES);

const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;
const isGap = (doc: StoredEvent | ClosedGap): doc is ClosedGap => 'gap' in doc && doc.gap === true;

async function nextSeq(db: Db, tenantId: string): Promise<number> {
  const counter = await upsertRacing(() =>
    sequences(db).findOneAndUpdate(
      { _id: tenantId },
      { $inc: { seq: 1 }, $setOnInsert: { tenantId } },
      { upsert: true, returnDocument: 'after' },
    ),
  );
  if (!counter) throw new Error(`No event sequence for tenant ${tenantId}`);
  return counter.seq;
}

/**
 * Records an event once; returns the stored form (the earlier one if it was already recorded).
 * Four `_id` round trips: the id look-up, the seq, the id claim, the event. Delivery is then
 * told by the caller (events/publish.ts); a sweep finds what no one was told about.
 */
export async function recordEvent(db: Db, event: NewEvent, now = new Date()): Promise<StoredEvent> {
  let claim = await eventIdDocs(db).findOne({ _id: event.id });
  for (let round = 0; round < 10; round++) {
    if (!claim) {
      const fresh = { _id: event.id, tenantId: event.tenantId, seq: await nextSeq(db, event.tenantId) };
      try {
        await eventIdDocs(db).insertOne(fresh);
        claim = fresh;
      } catch (error) {
        // Another attempt recording the same fact claimed the id first: use its seq (ours stays empty).
        if (!isDuplicateKey(error)) throw error;
        claim = await eventIdDocs(db).findOne({ _id: event.id });
        if (!claim) throw error;
      }
    }
    if (claim.tenantId !== event.tenantId) {
      throw new Error(`Event ${event.id} was recorded for another tenant than ${event.tenantId}`);
    }
    const stored: StoredEvent = {
      ...event,
      _id: eventKey(event.tenantId, claim.seq),
      seq: claim.seq,
      recordedAt: now,
      delivery: { state: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null },
    };
    try {
      await events(db).insertOne(stored);
      return stored;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await events(db).findOne({ _id: stored._id });
      if (!existing) throw error;
      if (!isGap(existing)) {
        if (existing.id === event.id) return existing; // recorded by an earlier attempt
        throw new Error(`Seq ${claim.seq} of tenant ${event.tenantId} holds another event`, { cause: error });
      }
      // Delivery closed this seq as a gap while we were on our way: take a new one.
      const seq = await nextSeq(db, event.tenantId);
      await eventIdDocs(db).updateOne({ _id: event.id }, { $set: { seq } });
      claim = { ...claim, seq };
    }
  }
  throw new Error(`Event ${event.id} of tenant ${event.tenantId}: no seq could be taken`);
}

/** The event with this id, if it is the tenant's. */
export async function findEvent(db: Db, tenantId: string, eventId: string): Promise<StoredEvent | null> {
  const claim = await eventIdDocs(db).findOne({ _id: eventId });
  if (!claim || claim.tenantId !== tenantId) return null;
  const doc = await events(db).findOne({ _id: eventKey(tenantId, claim.seq) });
  return doc && !isGap(doc) && doc.id === eventId ? doc : null;
}

export async function eventByKey(db: Db, key: string): Promise<StoredEvent | null> {
  const doc = await events(db).findOne({ _id: key });
  return doc && !isGap(doc) ? doc : null;
}

/** The last seq handed out and the delivery cursor. */
export async function eventPositions(
  db: Db,
  tenantId: string,
): Promise<{ recorded: number; delivered: number }> {
  const doc = await sequences(db).findOne({ _id: tenantId });
  return { recorded: doc?.seq ?? 0, delivered: doc?.delivered ?? 0 };
}

/** Tenants with seqs delivery has not passed yet (one document per tenant: a small scan). */
export async function tenantsBehind(db: Db): Promise<string[]> {
  const behind: string[] = [];
  for await (const doc of sequences(db).find({}, { projection: { seq: 1, delivered: 1, tenantId: 1 } })) {
    if (doc.seq > (doc.delivered ?? 0)) behind.push(doc.tenantId ?? doc._id);
  }
  return behind;
}

export type SeqSlot =
  | { seq: number; kind: 'event'; event: StoredEvent }
  | { seq: number; kind: 'gap' }
  | { seq: number; kind: 'empty' };

/** What each seq in (after, after + count] holds, in order: `_id` look-ups, a few at a time. */
export async function readSlots(db: Db, tenantId: string, after: number, count: number): Promise<SeqSlot[]> {
  const seqs = Array.from({ length: Math.max(0, count) }, (_, i) => after + 1 + i);
  const slots: SeqSlot[] = [];
  for (let start = 0; start < seqs.length; start += 16) {
    const docs = await Promise.all(
      seqs.slice(start, start + 16).map((seq) => events(db).findOne({ _id: eventKey(tenantId, seq) })),
    );
    docs.forEach((doc, i) => {
      const seq = seqs[start + i]!;
      slots.push(
        !doc
          ? { seq, kind: 'empty' }
          : isGap(doc)
            ? { seq, kind: 'gap' }
            : { seq, kind: 'event', event: doc },
      );
    });
  }
  return slots;
}

/**
 * Closes an empty seq so delivery may pass it. True if it was closed; false if its event
 * landed first (deliver it).
 */
export async function closeGap(db: Db, tenantId: string, seq: number, now = new Date()): Promise<boolean> {
  try {
    await events(db).insertOne({ _id: eventKey(tenantId, seq), gap: true, closedAt: now });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Delivery has handled every seq up to this one (never moves back). */
export async function advanceDelivered(db: Db, tenantId: string, seq: number): Promise<void> {
  await sequences(db).updateOne({ _id: tenantId }, { $max: { delivered: seq } });
}

/** One delivery attempt's outcome. */
export async function saveDeliveryAttempt(
  db: Db,
  key: string,
  outcome: { state: DeliveryState; error: string | null },
  now = new Date(),
): Promise<void> {
  await events(db).updateOne(
    { _id: key },
    {
      $inc: { 'delivery.attempts': 1 },
      $set: {
        'delivery.state': outcome.state,
        'delivery.lastError': outcome.error,
        'delivery.lastAttemptAt': now,
        ...(outcome.state === 'delivered' ? { 'delivery.deliveredAt': now } : {}),
      },
    },
  );
}

/** Sets the state without counting an attempt (skipped, given up, redelivery requested). */
export async function setDeliveryState(
  db: Db,
  key: string,
  state: DeliveryState,
  error: string | null,
): Promise<void> {
  await events(db).updateOne(
    { _id: key },
    { $set: { 'delivery.state': state, 'delivery.lastError': error } },
  );
}

/**
 * A page of a tenant's events in seq order: after `after` (oldest first), or the newest
 * `limit` when `after` is absent. Closed gaps are left out.
 */
export async function listEvents(
  db: Db,
  tenantId: string,
  options: { after?: number; limit: number },
): Promise<{ events: StoredEvent[]; recorded: number; delivered: number }> {
  const positions = await eventPositions(db, tenantId);
  const after = options.after ?? Math.max(0, positions.recorded - options.limit);
  const events: StoredEvent[] = [];
  let next = after;
  // Empty and closed seqs are skipped; read on until the page is full or the last seq is read.
  while (events.length < options.limit && next < positions.recorded) {
    const count = Math.min(options.limit - events.length, positions.recorded - next);
    for (const slot of await readSlots(db, tenantId, next, count)) {
      if (slot.kind === 'event') events.push(slot.event);
    }
    next += count;
  }
  return { events, ...positions };
}
