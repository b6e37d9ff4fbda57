import type { Db } from 'mongodb';
import { collections } from './collections';
import { insertClaim } from './versioned';

/**
 * An operator's decision to stop delivering one event (`events skip`, `api.skipEvent`): the
 * insert of `<event key>:skipped`. The event's own `delivery.state` is written by the delivery
 * attempts too (FerretDB v1 writes a whole document back, so a failed attempt finishing after
 * the skip could set it back to `pending`); this document, written once and never changed, is
 * what delivery reads to pass the event. Of two skips at once one insert wins; both report it.
 */
export interface EventSkip {
  _id: string;
  tenantId: string;
  /** The stored event id and its `<tenant>:<seq>` key. */
  eventId: string;
  key: string;
  seq: number;
  /** Who asked (the API caller's or the CLI user's name) and why. */
  by: string;
  reason: string | null;
  at: Date;
}

const skips = (db: Db) => db.collection<EventSkip>(collections.eventSkips);
const skipId = (key: string) => `${key}:skipped`;

/** Skips the event unless it is skipped already; the skip that holds, and whether this call made it. */
export async function claimSkip(
  db: Db,
  event: { tenantId: string; id: string; _id: string; seq: number },
  by: string,
  reason: string | null,
  now = new Date(),
): Promise<{ skip: EventSkip; mine: boolean }> {
  const skip: EventSkip = {
    _id: skipId(event._id),
    tenantId: event.tenantId,
    eventId: event.id,
    key: event._id,
    seq: event.seq,
    by,
    reason,
    at: now,
  };
  if (await insertClaim(skips(db), skip)) return { skip, mine: true };
  const held = await readSkip(db, event._id);
  if (!held) throw new Error(`The skip of event ${event._id} vanished`);
  return { skip: held, mine: false };
}

export async function readSkip(db: Db, key: string): Promise<EventSkip | null> {
  return skips(db).findOne({ _id: skipId(key) });
}

/** The skips among these event keys, by key (`_id` look-ups, at once). */
export async function skipsOf(db: Db, keys: readonly string[]): Promise<Map<string, EventSkip>> {
  const found = await Promise.all(keys.map((key) => readSkip(db, key)));
  return new Map(found.filter((s): s is EventSkip => s !== null).map((s) => [s.key, s]));
}

/** How a skip reads as the event's last error (events list). */
export const skipNote = (skip: EventSkip): string =>
  `skipped by ${skip.by} at ${skip.at.toISOString()}${skip.reason ? `: ${skip.reason}` : ''}`;
