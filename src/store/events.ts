import type { Db } from 'mongodb';
import type { NewEvent } from '../domain/event-catalogue';
import { collections } from './collections';
import { upsertRacing } from './upserts';
import { isDuplicateKey } from './versioned';

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
 * - `event_sequences`: `_id` = tenant id → `seq` (the last seq known to be taken: a hint) and
 *   `delivered` (every seq up to it is delivered, given up on, or closed): the delivery cursor.
 *
 * **A seq is taken by inserting the event under it.** FerretDB v1 runs an `$inc` (and any
 * update) as a read followed by a write, so two recorders could both read 5 and both take 6.
 * The one atomic step both servers offer is an insert under a unique `_id`: a recorder inserts
 * its event at the seq after the last one known, and on a duplicate key tries the next. So no
 * seq is ever taken twice, and seqs are taken in order without holes: a recorder only moves on
 * to 7 once it has found 6 taken. Delivery reads seq after seq and stops at the first empty one.
 *
 * A hole could only come from outside this protocol (or a future change to it); delivery still
 * never passes an empty seq below the last known one before *closing* it, by inserting a
 * placeholder (`gap: true`) under that `_id`: the unique `_id` lets exactly one of the two
 * inserts win, so an event either lands there (and is delivered as that seq) or, closed out,
 * takes a later seq. Nothing is delivered out of seq order, and nothing is lost.
 *
 * The hint and the cursor only move forward with `$max`; a lost update (FerretDB) leaves them
 * behind, which costs a few more look-ups, never a wrong answer: each event carries its own
 * delivery state.
 */
/** Their names and their purge with a tenant are in the collection registry (collections.ts). */
export const EVENTS = collections.events;
export const EVENT_IDS = collections.eventIds;
export const EVENT_SEQUENCES = collections.eventSequences;

/**
 * pending: not yet delivered (or a redelivery is under way); delivered: a 2xx answer; failed:
 * the receiver refused it for the whole retry period (redeliver sends it again); skipped: not
 * sent — no webhook URL was configured when it was due (neither the tenant's nor the service
 * default), the endpoint answered 410 Gone, or an operator skipped it (store/event-skips.ts);
 * filtered: its type is not among the tenant's `webhook.eventTypes` when it was due.
 */
export const deliveryStates = ['pending', 'delivered', 'failed', 'skipped', 'filtered'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

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
  /** The seq the event holds (or that its recorder was about to take). */
  seq: number | null;
}

interface SequenceDoc {
  _id: string;
  tenantId: string;
  seq: number;
  delivered?: number;
}

/** How long a second recorder of the same fact waits for the first before it records it itself. */
const TAKE_OVER_AFTER_MS = 2_000;

/** Sorts as the number does: seqs up to 10^12 per tenant. */
export const eventKey = (tenantId: string, seq: number): string =>
  `${tenantId}:${String(seq).padStart(12, '0')}`;

const events = (db: Db) => db.collection<StoredEvent | ClosedGap>(EVENTS);
const eventIdDocs = (db: Db) => db.collection<EventIdDoc>(EVENT_IDS);
const sequences = (db: Db) => db.collection<SequenceDoc>(EVENT_SEQUENCES);

const isGap = (doc: StoredEvent | ClosedGap): doc is ClosedGap => 'gap' in doc && doc.gap === true;

/**
 * The last seq taken: the hint, then forward while seqs are taken (the hint may lag: its `$max`
 * can lose a race on FerretDB). Usually one look-up.
 */
export async function lastSeq(db: Db, tenantId: string): Promise<number> {
  let last = (await sequences(db).findOne({ _id: tenantId }))?.seq ?? 0;
  while (await events(db).findOne({ _id: eventKey(tenantId, last + 1) }, { projection: { _id: 1 } }))
    last += 1;
  return last;
}

/**
 * Records an event once; returns the stored form (the earlier one if it was already recorded).
 * The first recorder of a fact claims its id (`event_ids`, unique `_id`); another attempt
 * recording it at the same time (a retry beside a zombie) waits for that one's event instead of
 * recording it twice, and takes over only if none appears (its recorder died). Usually six
 * `_id` round trips: the id look-up and claim, the last seq, the seq it means to take, the
 * event, the hint. Delivery is then woken by the caller (events/publish.ts); a sweep finds what
 * no one was told about.
 */
export async function recordEvent(db: Db, event: NewEvent, now = new Date()): Promise<StoredEvent> {
  const ours = (doc: StoredEvent | ClosedGap | null): doc is StoredEvent =>
    !!doc && !isGap(doc) && doc.id === event.id;
  const recorded = async () => {
    const claim = await eventIdDocs(db).findOne({ _id: event.id });
    if (claim && claim.tenantId !== event.tenantId) {
      throw new Error(`Event ${event.id} was recorded for another tenant than ${event.tenantId}`);
    }
    if (!claim || claim.seq === null) return { claim, event: null, closed: false };
    const doc = await events(db).findOne({ _id: eventKey(event.tenantId, claim.seq) });
    // A seq delivery closed will never hold the event: no one to wait for.
    return { claim, event: ours(doc) ? doc : null, closed: !!doc && isGap(doc) };
  };
  const first = await recorded();
  if (first.event) return first.event;
  let claimed = false;
  if (!first.claim) {
    try {
      await eventIdDocs(db).insertOne({ _id: event.id, tenantId: event.tenantId, seq: null });
      claimed = true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  if (!claimed && !first.closed) {
    // Another attempt is recording this fact right now (or died doing it): give it a moment to
    // finish rather than record the fact a second time; then take over.
    for (let wait = 0; wait < TAKE_OVER_AFTER_MS / 100; wait++) {
      const found = (await recorded()).event;
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  let seq = (await lastSeq(db, event.tenantId)) + 1;
  for (let probe = 0; ; probe++) {
    // Said before the insert: a retry after a death between the two finds the event by it.
    await upsertRacing(() =>
      eventIdDocs(db).updateOne(
        { _id: event.id },
        { $set: { seq }, $setOnInsert: { tenantId: event.tenantId } },
        { upsert: true },
      ),
    );
    const stored: StoredEvent = {
      ...event,
      _id: eventKey(event.tenantId, seq),
      seq,
      recordedAt: now,
      delivery: { state: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null },
    };
    try {
      await events(db).insertOne(stored);
      await upsertRacing(() =>
        sequences(db).updateOne(
          { _id: event.tenantId },
          { $max: { seq }, $setOnInsert: { tenantId: event.tenantId } },
          { upsert: true },
        ),
      );
      return stored;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const taken = await events(db).findOne({ _id: stored._id });
      // Another attempt recording the same fact took this seq first: that is the event.
      if (ours(taken)) return taken;
      if (probe >= 10_000)
        throw new Error(`Event ${event.id}: no free seq for tenant ${event.tenantId}`, { cause: error });
      seq += 1;
    }
  }
}

/** The event with this id, if it is the tenant's. */
export async function findEvent(db: Db, tenantId: string, eventId: string): Promise<StoredEvent | null> {
  const claim = await eventIdDocs(db).findOne({ _id: eventId });
  if (!claim || claim.tenantId !== tenantId || claim.seq === null) return null;
  const doc = await events(db).findOne({ _id: eventKey(tenantId, claim.seq) });
  return doc && !isGap(doc) && doc.id === eventId ? doc : null;
}

export async function eventByKey(db: Db, key: string): Promise<StoredEvent | null> {
  const doc = await events(db).findOne({ _id: key });
  return doc && !isGap(doc) ? doc : null;
}

/** The last seq taken and the delivery cursor. */
export async function eventPositions(
  db: Db,
  tenantId: string,
): Promise<{ recorded: number; delivered: number }> {
  const doc = await sequences(db).findOne({ _id: tenantId });
  return { recorded: await lastSeq(db, tenantId), delivered: doc?.delivered ?? 0 };
}

/** Tenants with seqs delivery has not passed yet (one document per tenant: a small scan). */
export async function tenantsBehind(db: Db): Promise<string[]> {
  const behind: string[] = [];
  for await (const doc of sequences(db).find({}, { projection: { seq: 1, delivered: 1, tenantId: 1 } })) {
    if (doc.seq > (doc.delivered ?? 0)) behind.push(doc.tenantId ?? doc._id);
  }
  return behind;
}

/**
 * Per tenant with events delivery has not passed: when its oldest event still waiting for
 * delivery (`pending`) was recorded. Reads from the delivery cursor on, at most `scan` seqs
 * (events past it that are done are only waiting for the cursor to move).
 */
export async function oldestUndelivered(
  db: Db,
  scan = 64,
): Promise<Array<{ tenantId: string; recordedAt: Date }>> {
  const oldest: Array<{ tenantId: string; recordedAt: Date }> = [];
  for (const tenantId of await tenantsBehind(db)) {
    const { recorded, delivered } = await eventPositions(db, tenantId);
    const slots = await readSlots(db, tenantId, delivered, Math.min(scan, recorded - delivered));
    const waiting = slots.find((slot) => slot.kind === 'event' && slot.event.delivery.state === 'pending');
    if (waiting?.kind === 'event') oldest.push({ tenantId, recordedAt: waiting.event.recordedAt });
  }
  return oldest;
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
