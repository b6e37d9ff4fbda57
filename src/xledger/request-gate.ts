import { createHash } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import pThrottle from 'p-throttle';
import { creditsPaused, XledgerError } from './errors';

export interface RequestGateLimits {
  maxRequestsPer5s: number;
  maxConcurrentRequests: number;
  /**
   * Requests that may wait in the gate before it counts as crowded: callers that can come back
   * later (invoice postings) then do, instead of holding a worker slot in the queue.
   */
  maxWaiting?: number;
}

/** How the gate's queue stands: whether it is crowded, and about how long a new request would wait. */
export interface GateQueue {
  crowded: boolean;
  backlogMs: number;
}

/**
 * A request budget kept outside the process, shared by every worker that uses the same token
 * (src/store/request-budget.ts keeps it in MongoDB). `key` is a digest of endpoint and token.
 */
export interface SharedRequestBudget {
  /** Resolves when one more request under `key` may be sent now, by any worker. */
  take(key: string): Promise<unknown>;
}

/** How a token's requests wait, when one worker has paused them (spent credits, a long Retry-After). */
export type PauseKind = 'credits_exhausted' | 'rate_limited';

/**
 * A token's credit pause and pool figures, kept outside the process (src/store/credit-pool.ts
 * keeps them in MongoDB): Xledger's credits are the customer's, so a pause one worker starts
 * holds for every worker that uses the token.
 */
export interface SharedCreditPool {
  pause(key: string, until: Date, kind: PauseKind): Promise<void>;
  pausedUntil(key: string): Promise<{ until: Date; kind: PauseKind } | null>;
  /** The pool's figures as Xledger reported them (`rateLimit { remaining cost }`). */
  note(key: string, figures: { remaining: number | null; cost: number | null }): Promise<void>;
}

/**
 * Credits Xledger may report left (`rateLimit { remaining cost }`) below which the token's
 * requests pause before the pool refuses them: this many requests of the last one's cost. (A)
 * Five: a worker's requests in flight and another worker's, which spend before they see the pause.
 */
export const CREDIT_RESERVE_REQUESTS = 5;

/** The gate's key for a token: a digest of endpoint and token, so nothing stores the token itself. */
export function tokenKey(endpoint: string, token: string): string {
  return createHash('sha256').update(endpoint).update('\0').update(token).digest('hex');
}

/**
 * One API token's request budget inside one worker process: Xledger counts its burst (20 / 5 s)
 * and concurrency limits per token, so every sync and posting made with a token — of one
 * tenant, or of several tenants that share it — queues here, first come first served, and
 * together they stay under the limits instead of each tripping them. With a shared budget the
 * burst limit holds across every worker using the token (each request takes its turn there);
 * the concurrency limit stays per process (XLEDGER_MAX_CONCURRENT_REQUESTS in each worker). When
 * Xledger says a limit was hit anyway, the whole gate holds back for the advised time.
 */
export class RequestGate {
  private readonly limit: LimitFunction;
  private readonly throttled: <T>(task: () => Promise<T>) => Promise<T>;
  private pausedUntil = 0;
  /** While the token's credits are spent: no request is sent before this (suspend()). */
  private suspendedUntil = 0;
  private suspendedBy: PauseKind = 'credits_exhausted';
  /** Per key: the shared request still waiting for its turn, which later items may join. */
  private readonly waitingGroups = new Map<string, Array<GroupMember<unknown, unknown>>>();

  constructor(
    private readonly limits: RequestGateLimits,
    /**
     * The budget shared with other workers, and this gate's key in it; else an in-process
     * throttle. With `credits`, the token's credit pause is shared too.
     */
    private readonly shared?: { budget: SharedRequestBudget; key: string; credits?: SharedCreditPool },
  ) {
    this.limit = pLimit(limits.maxConcurrentRequests);
    const throttle = pThrottle({ limit: limits.maxRequestsPer5s, interval: 5_000, strict: true });
    this.throttled = throttle(<T>(task: () => Promise<T>) => task()) as <T>(
      task: () => Promise<T>,
    ) => Promise<T>;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    const suspended = this.suspension();
    if (suspended) return Promise.reject(suspended);
    return this.limit(async () => {
      await this.adoptSharedPause();
      const stillSuspended = this.suspension();
      if (stillSuspended) throw stillSuspended;
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await sleep(wait);
      if (!this.shared) return this.throttled(task);
      await this.shared.budget.take(this.shared.key);
      return task();
    });
  }

  /**
   * Runs `send` for `item` together with the other items handed in under the same `key` while
   * they wait for the gate: the first item queues one request, later ones join it until its
   * turn comes (at most `max` per request; more start the next one). `send` gets the items in
   * order and answers one result or Error per item; an error it throws fails them all. When the
   * budget is not used up, an item goes out alone at once: requests share only what waiting
   * would cost anyway.
   */
  runTogether<I, R>(
    key: string,
    item: I,
    send: (items: I[]) => Promise<Array<R | Error>>,
    max = 20,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const member = { item, resolve, reject } as GroupMember<unknown, unknown>;
      const waiting = this.waitingGroups.get(key);
      if (waiting && waiting.length < max) {
        waiting.push(member);
        return;
      }
      const group = [member];
      this.waitingGroups.set(key, group);
      this.run(async () => {
        // Its turn: whoever joined goes along; later items start the next request.
        if (this.waitingGroups.get(key) === group) this.waitingGroups.delete(key);
        return (send as (items: unknown[]) => Promise<unknown[]>)(group.map((m) => m.item));
      }).then(
        (results) =>
          group.forEach((m, index) => {
            const result = results[index];
            if (result instanceof Error) m.reject(result);
            else m.resolve(result);
          }),
        (error: unknown) => group.forEach((m) => m.reject(error)),
      );
    });
  }

  queue(): GateQueue {
    // Requests handed to the gate and not yet answered: queued, or past the limit (in flight,
    // or waiting out the throttle or a hold-back).
    const pending = this.limit.pendingCount + this.limit.activeCount;
    const paused = Math.max(this.pausedUntil - Date.now(), this.suspendedUntil - Date.now(), 0);
    return {
      crowded: pending >= (this.limits.maxWaiting ?? Infinity),
      backlogMs: paused + Math.ceil((pending * 5_000) / this.limits.maxRequestsPer5s),
    };
  }

  holdBack(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /**
   * For a long wait (spent credits, a long Retry-After): every request of the token in this
   * process is refused at once, without reaching Xledger, until the wait is over — the callers
   * (activities) give up their slot and come back after it (Temporal's nextRetryDelay) instead
   * of sleeping through it without a heartbeat.
   */
  async suspend(ms: number, kind: PauseKind): Promise<void> {
    const until = Date.now() + ms;
    if (until <= this.suspendedUntil) return;
    this.suspendedUntil = until;
    this.suspendedBy = kind;
    // Every worker using the token pauses too (they read it before their next request). Without
    // the store, this worker still pauses: the others meet Xledger's refusal and pause then.
    const { shared } = this;
    if (shared?.credits) await shared.credits.pause(shared.key, new Date(until), kind).catch(() => undefined);
  }

  /**
   * What Xledger reported of the token's credit pool with an answer (`rateLimit { remaining
   * cost }`, read where the tenant's schema has it): shown in `tenant status`, and when less than
   * CREDIT_RESERVE_REQUESTS requests' worth is left, the token pauses for `waitMs` now, before
   * the pool refuses a request (Xledger does not say when the pool fills again).
   */
  async noteCredits(
    figures: { remaining: number | null; cost: number | null },
    waitMs: number,
  ): Promise<void> {
    const { shared } = this;
    if (shared?.credits) await shared.credits.note(shared.key, figures).catch(() => undefined);
    const { remaining, cost } = figures;
    if (remaining === null || remaining >= CREDIT_RESERVE_REQUESTS * Math.max(cost ?? 1, 1)) return;
    await this.suspend(waitMs, 'credits_exhausted');
  }

  /**
   * A pause another worker started for the token holds here too: read before each request (one
   * look-up by `_id`, beside the slot the request reserves), so that no worker sends a request
   * into a refusal another has already met.
   */
  private async adoptSharedPause(): Promise<void> {
    const { shared } = this;
    if (!shared?.credits) return;
    const pause = await shared.credits.pausedUntil(shared.key).catch(() => null);
    if (!pause || pause.until.getTime() <= this.suspendedUntil) return;
    this.suspendedUntil = pause.until.getTime();
    this.suspendedBy = pause.kind;
  }

  /** The error a request meets while the gate is suspended; null when it is not. */
  private suspension(): XledgerError | null {
    const remaining = this.suspendedUntil - Date.now();
    if (remaining <= 0) return null;
    return this.suspendedBy === 'credits_exhausted'
      ? creditsPaused(remaining)
      : new XledgerError('rate_limited', 'Xledger asked to wait before the next request (Retry-After)', {
          retryAfterMs: remaining,
        });
  }
}

interface GroupMember<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * One gate per token (and endpoint) per process. Tenants with their own tokens never wait for
 * each other; the map is keyed by a digest so the process holds no token beyond its clients.
 */
export class RequestGates {
  private readonly gates = new Map<string, RequestGate>();

  constructor(
    private readonly limits: RequestGateLimits,
    /** Shared by all workers (the worker passes MongoRequestBudget); without it, per process only. */
    private readonly budget?: SharedRequestBudget,
    /** The token's credit pause, shared by all workers (the worker passes MongoCreditPool). */
    private readonly credits?: SharedCreditPool,
  ) {}

  forToken(endpoint: string, token: string): RequestGate {
    const key = tokenKey(endpoint, token);
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new RequestGate(
        this.limits,
        this.budget
          ? { budget: this.budget, key, ...(this.credits ? { credits: this.credits } : {}) }
          : undefined,
      );
      this.gates.set(key, gate);
    }
    return gate;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
