import type { Db } from 'mongodb';
import { collections } from './collections';
import { upsertRacing } from './upserts';

/**
 * A token's hourly credit pool as every worker sees it (src/xledger/request-gate.ts): Xledger
 * counts credits per customer and token, so a pause one worker starts — on a refusal, or because
 * the pool Xledger reported (`rateLimit { remaining cost }`) is nearly empty — holds for every
 * worker that uses the token, not only for the one that noticed.
 *
 * Two documents per token, each read and written by its `_id` alone (README.md beside this
 * file, rule 3: writes that decide nothing): `<key>:pause` holds the instant until which the
 * token's requests wait, moved only forward with `$max`; `<key>:credits` the pool's figures last
 * reported, for people (`tenant status`). They are separate documents because FerretDB v1 writes
 * a whole document back on every update: one field's write could undo the other's. A racing
 * `$max` that FerretDB sets back leaves a shorter pause at worst — the next request meets
 * Xledger's refusal and pauses again; nothing is decided by these writes. `key` is the digest
 * of endpoint and token (request-gate.ts, tokenKey): the token itself is never stored.
 */
interface PauseDoc {
  _id: string;
  until: Date;
  kind: 'credits_exhausted' | 'rate_limited';
}

export interface CreditFigures {
  /** Credits left in the pool after the last request (null: Xledger reported none). */
  remaining: number | null;
  /** What the last request cost. */
  cost: number | null;
}

interface CreditsDoc extends CreditFigures {
  _id: string;
  seenAt: Date;
}

export interface CreditPoolView extends CreditFigures {
  /** When Xledger last reported the pool; null when it never did (the field is not read). */
  seenAt: Date | null;
  /** Until when the token's requests wait (null: they do not). */
  pausedUntil: Date | null;
  pauseKind: PauseDoc['kind'] | null;
}

const pauseId = (key: string) => `${key}:pause`;
const creditsId = (key: string) => `${key}:credits`;

export class MongoCreditPool {
  constructor(private readonly db: Db) {}

  private get pauses() {
    return this.db.collection<PauseDoc>(collections.creditPools);
  }

  private get credits() {
    return this.db.collection<CreditsDoc>(collections.creditPools);
  }

  /** The token's requests wait until `until` in every worker (never moved back). */
  async pause(key: string, until: Date, kind: PauseDoc['kind']): Promise<void> {
    await upsertRacing(() =>
      this.pauses.updateOne({ _id: pauseId(key) }, { $max: { until }, $set: { kind } }, { upsert: true }),
    );
  }

  /** Until when the token's requests wait; null when they need not. */
  async pausedUntil(key: string): Promise<{ until: Date; kind: PauseDoc['kind'] } | null> {
    const doc = await this.pauses.findOne({ _id: pauseId(key) });
    return doc && doc.until.getTime() > Date.now() ? { until: doc.until, kind: doc.kind } : null;
  }

  /** The pool's figures as Xledger just reported them. */
  async note(key: string, figures: CreditFigures, seenAt = new Date()): Promise<void> {
    await upsertRacing(() =>
      this.credits.updateOne(
        { _id: creditsId(key) },
        { $set: { remaining: figures.remaining, cost: figures.cost, seenAt } },
        { upsert: true },
      ),
    );
  }

  /** What `tenant status` shows of the token's pool. */
  async view(key: string): Promise<CreditPoolView> {
    const [credits, pause] = await Promise.all([
      this.credits.findOne({ _id: creditsId(key) }),
      this.pauses.findOne({ _id: pauseId(key) }),
    ]);
    const paused = pause && pause.until.getTime() > Date.now() ? pause : null;
    return {
      remaining: credits?.remaining ?? null,
      cost: credits?.cost ?? null,
      seenAt: credits?.seenAt ?? null,
      pausedUntil: paused?.until ?? null,
      pauseKind: paused?.kind ?? null,
    };
  }
}
