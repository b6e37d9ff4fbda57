import { MongoServerError, type Collection, type Db } from 'mongodb';

/**
 * A register whose every change is decided by one insert under a unique `_id`: the store's one
 * way to claim, fence and number (README.md beside this file says why).
 *
 * Each value of the register is its own document, `_id` `<key>#<n>` with n = 1, 2, …; the
 * newest n is the current value. To change the register a writer reads the current version n
 * and inserts n + 1: of all writers that read n, exactly one insert succeeds (the unique `_id`,
 * on MongoDB and on FerretDB alike), the others get a duplicate key and read again. So a
 * version is a compare-and-set, a fence token and a sequence number at once.
 *
 * Finding the newest without a range query (FerretDB v1 pushes down nothing but `_id`
 * equality): a head document (`_id` = the key) holds a hint, the highest version its writers
 * saw, moved forward with `$max` after each insert. The hint may lag (FerretDB runs `$max` as a
 * read then a write, so a racing writer can set it back by a little) but is always a version
 * that exists; a reader starts there and probes `n + 1`, `n + 2`, … until one is missing.
 * Usually three `_id` look-ups: head, hint, the first missing one. Old versions are pruned
 * well below the hint, so the probe never starts at a pruned one in practice, and if it does
 * the reader falls back to reading the key's versions.
 */

export interface Version<T> {
  n: number;
  value: T;
}

interface VersionDoc<T> {
  _id: string;
  tenantId: string;
  key: string;
  n: number;
  at: Date;
  value: T;
}

interface HeadDoc {
  _id: string;
  tenantId: string;
  key: string;
  /** A version that exists and that no newer version precedes by much: where readers start. */
  latest: number;
  /** Versions up to this one were deleted. */
  pruned?: number;
}

/** Versions kept below the hint when pruning: far more than a racing writer can set the hint back by. */
const KEEP_BELOW_HINT = 16;
/** Prune once every this many versions (the writer of a multiple of it does). */
const PRUNE_EVERY = 32;

const DUPLICATE_KEY = 11000;
export const isDuplicateKey = (error: unknown): boolean =>
  error instanceof MongoServerError && error.code === DUPLICATE_KEY;

/** Inserts `doc`; true when this insert made it, false when its `_id` was taken first. */
export async function insertClaim<T extends { _id: string }>(
  collection: Collection<T>,
  doc: T,
): Promise<boolean> {
  try {
    await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

export const versionId = (key: string, n: number): string => `${key}#${String(n).padStart(12, '0')}`;

export class VersionedRegister<T> {
  private readonly docs: Collection<VersionDoc<T>>;
  private readonly heads: Collection<HeadDoc>;

  constructor(
    db: Db,
    collectionName: string,
    readonly tenantId: string,
    readonly key: string,
  ) {
    this.docs = db.collection<VersionDoc<T>>(collectionName);
    this.heads = db.collection<HeadDoc>(collectionName);
  }

  /** The current version, or null when the register was never written. */
  async latest(): Promise<Version<T> | null> {
    const head = await this.heads.findOne({ _id: this.key });
    let n = typeof head?.latest === 'number' ? head.latest : 0;
    let doc = n > 0 ? await this.docs.findOne({ _id: versionId(this.key, n) }) : null;
    if (n > 0 && !doc) return this.latestByScan();
    for (;;) {
      const next = await this.docs.findOne({ _id: versionId(this.key, n + 1) });
      if (!next) break;
      doc = next;
      n += 1;
    }
    return doc ? { n: doc.n, value: doc.value } : null;
  }

  /** Version `n` as it stands now (its holder may have amended it), or null when it is gone. */
  async at(n: number): Promise<Version<T> | null> {
    const doc = await this.docs.findOne({ _id: versionId(this.key, n) });
    return doc ? { n: doc.n, value: doc.value } : null;
  }

  /** Whether version `n` is still the current one: one `_id` look-up of its successor. */
  async isLatest(n: number): Promise<boolean> {
    return !(await this.docs.findOne({ _id: versionId(this.key, n + 1) }, { projection: { _id: 1 } }));
  }

  /**
   * Writes `value` as the version after `current` (null: the first). Returns the new version, or
   * null when another writer wrote that version first: read again and decide again.
   */
  async propose(current: Version<T> | null, value: T, now = new Date()): Promise<Version<T> | null> {
    const n = (current?.n ?? 0) + 1;
    const won = await insertClaim(this.docs, {
      _id: versionId(this.key, n),
      tenantId: this.tenantId,
      key: this.key,
      n,
      at: now,
      value,
    });
    if (!won) return null;
    await this.moveHint(n);
    if (n % PRUNE_EVERY === 0) await this.prune();
    return { n, value };
  }

  /**
   * Read, decide, write, until this writer's decision is the one written: `decide` gets the
   * current version and returns the next value, or undefined to leave the register as it is.
   * Returns the version that holds afterwards and whether this call wrote it.
   */
  async change(
    decide: (current: Version<T> | null) => T | undefined,
  ): Promise<{ version: Version<T> | null; wrote: boolean }> {
    for (let tries = 1; ; tries++) {
      const current = await this.latest();
      const next = decide(current);
      if (next === undefined) return { version: current, wrote: false };
      const written = await this.propose(current, next);
      if (written) return { version: written, wrote: true };
      if (tries >= 1_000) throw new Error(`The register ${this.key} changed 1,000 times while being written`);
    }
  }

  /**
   * Rewrites fields of version `n` in place, by `_id`. Only for what decides nothing and what
   * only the writer of that version writes (a lease's expiry it renews, a pass's progress):
   * readers of an older version decide nothing from it.
   */
  async amend(n: number, value: Partial<T>): Promise<void> {
    const set = Object.fromEntries(Object.entries(value).map(([field, v]) => [`value.${field}`, v]));
    await this.docs.updateOne({ _id: versionId(this.key, n) }, { $set: set });
  }

  /**
   * Lets go of what the versions below `n` hold, by `_id`, once version `n` made them history (a
   * tenant's tombstone, store/tenants.ts): those well below it are deleted, as pruning deletes,
   * and the KEEP_BELOW_HINT just below it are overwritten with `cleared`, not deleted. A writer
   * that read one of those as the latest must still lose its insert of the next: into a deleted
   * slot it would win, and leave a version below `n` that a lagging hint can show readers as the
   * latest. (So a register is never deleted outright while writers may race it: the version a
   * racing writer inserts meanwhile is left without the versions below it or the head.)
   */
  async clearBelow(n: number, cleared: T): Promise<void> {
    const head = await this.heads.findOne({ _id: this.key });
    for (let k = Math.max((head?.pruned ?? 0) + 1, n - KEEP_BELOW_HINT); k < n; k++) {
      await this.docs.updateOne({ _id: versionId(this.key, k) }, { $set: { value: cleared } });
    }
    if (head) await this.pruneUpTo(head, n - KEEP_BELOW_HINT - 1);
  }

  private async moveHint(n: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.heads.updateOne(
          { _id: this.key },
          { $max: { latest: n }, $setOnInsert: { tenantId: this.tenantId, key: this.key } },
          { upsert: true },
        );
        return;
      } catch (error) {
        // Two first writers upserting the head at once: one inserts it, the other retries.
        if (!isDuplicateKey(error) || attempt >= 5) throw error;
      }
    }
  }

  /** Deletes versions well below the hint, by `_id`: the register stays a few documents long. */
  private async prune(): Promise<void> {
    const head = await this.heads.findOne({ _id: this.key });
    if (head) await this.pruneUpTo(head, head.latest - KEEP_BELOW_HINT);
  }

  private async pruneUpTo(head: HeadDoc, upTo: number): Promise<void> {
    const from = (head.pruned ?? 0) + 1;
    if (upTo < from) return;
    for (let n = from; n <= upTo; n++) await this.docs.deleteOne({ _id: versionId(this.key, n) });
    await this.heads.updateOne({ _id: this.key }, { $max: { pruned: upTo } });
  }

  /** The hint names a pruned version (a writer stalled long between its insert and its hint). */
  private async latestByScan(): Promise<Version<T> | null> {
    const [doc] = await this.docs
      .find({ key: this.key, n: { $gt: 0 } })
      .sort({ n: -1 })
      .limit(1)
      .toArray();
    if (!doc) return null;
    await this.moveHint(doc.n);
    return this.latest();
  }
}
