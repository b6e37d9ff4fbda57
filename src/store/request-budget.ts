import { MongoServerError, type Db } from 'mongodb';
import { collections } from './collections';

/**
 * One Xledger token's request budget, shared by every worker process through MongoDB. Xledger
 * counts its burst limit per token (about 20 requests per 5 s), so N workers each keeping
 * their own budget would send N times as much.
 *
 * Time is cut into slots of 5 s / XLEDGER_MAX_REQUESTS_PER_5S; a request reserves one slot by
 * INSERTING the document `<key>:<slot>` and is sent when its slot begins. The unique `_id` makes
 * a reservation atomic on every store: of two workers inserting the same slot, exactly one
 * wins, on MongoDB and on FerretDB alike. (A single counter document with conditional updates
 * would not be: FerretDB v1 evaluates an update's filter in Go and then writes the document by
 * `_id` in a separate statement, so two workers could both take its last token.) Every read and
 * write names one `_id`; only the clean-up of old slots filters by time, once a minute, over a
 * collection that holds about a minute of slots.
 *
 * The key is a digest of endpoint and token (RequestGates): the token itself is never stored.
 * Every worker must run with the same XLEDGER_MAX_REQUESTS_PER_5S: the slot width derives from it.
 */
export const REQUEST_SLOTS = collections.requestSlots;

interface RequestSlot {
  /** `<endpoint+token digest>:<slot number>` */
  _id: string;
  /** When the slot begins (for the clean-up). */
  at: Date;
}

const DUPLICATE_KEY = 11000;

export interface RequestBudgetOptions {
  maxRequestsPer5s: number;
  /**
   * A request still unsent this long after its slot began (an event loop held up, a process
   * paused) gives the slot up and reserves a new one, so that late requests never bunch up with
   * punctual ones. Every 5 s window then holds at most (5 s + this) / slot width requests:
   * 17 at the default 15 per 5 s, under Xledger's 20.
   */
  lateToleranceMs?: number;
  /** How long reserved slots are kept before the clean-up removes them. */
  keepMs?: number;
  now?: () => number;
}

/** The SharedRequestBudget of src/xledger/request-gate.ts, kept in MongoDB. */
export class MongoRequestBudget {
  private readonly slotMs: number;
  private readonly lateToleranceMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  /** Per key, the slot after the last one this process saw taken: where the next search starts. */
  private readonly frontier = new Map<string, number>();
  private nextCleanUpAt = 0;
  /** Per key, the reservation under way in this process. */
  private readonly reserving = new Map<string, Promise<number>>();

  constructor(
    private readonly db: Db,
    options: RequestBudgetOptions,
  ) {
    this.slotMs = 5_000 / options.maxRequestsPer5s;
    this.lateToleranceMs = options.lateToleranceMs ?? 500;
    this.keepMs = options.keepMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  private get slots() {
    return this.db.collection<RequestSlot>(REQUEST_SLOTS);
  }

  /** Waits for a slot of `key`'s budget; returns the slot number it sends in. */
  async take(key: string): Promise<number> {
    for (;;) {
      const slot = await this.reserve(key);
      const startsAt = slot * this.slotMs;
      const wait = startsAt - this.now();
      if (wait > 0) await sleep(wait);
      if (this.now() - startsAt <= this.lateToleranceMs) return slot;
      // Too late for this slot: it stays spent, unused, and the request takes another.
    }
  }

  /**
   * The first free slot from now on (or from this process's frontier), reserved by insert. One
   * reservation per key at a time in a process: its requests never collide with each other,
   * only with other workers'.
   */
  private reserve(key: string): Promise<number> {
    const previous = this.reserving.get(key) ?? Promise.resolve(0);
    const next = previous.catch(() => 0).then(() => this.reserveNow(key));
    this.reserving.set(key, next);
    void next
      .finally(() => {
        if (this.reserving.get(key) === next) this.reserving.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  private async reserveNow(key: string): Promise<number> {
    await this.cleanUp();
    let slot = Math.max(Math.ceil(this.now() / this.slotMs), this.frontier.get(key) ?? 0);
    // Taken slots are skipped in growing steps: several workers reserving at once pass the
    // frontier quickly. A skipped slot stays free for whoever comes next.
    let step = 1;
    for (;;) {
      try {
        await this.slots.insertOne({ _id: `${key}:${slot}`, at: new Date(slot * this.slotMs) });
        this.frontier.set(key, slot + 1);
        return slot;
      } catch (error) {
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
        slot += step;
        step = Math.min(step * 2, 8);
      }
    }
  }

  /** Once a minute per process: drop slots that began more than keepMs ago. */
  private async cleanUp(): Promise<void> {
    const now = this.now();
    if (now < this.nextCleanUpAt) return;
    this.nextCleanUpAt = now + 60_000;
    await this.slots.deleteMany({ at: { $lt: new Date(now - this.keepMs) } });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
