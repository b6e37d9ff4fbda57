/**
 * Xledger's request limits and the usage counters that let tests (and benchmarks) see what a
 * client costs. Limit codes are Xledger's (H); the thresholds are from public clients (M) and can
 * be changed at start or through the admin API. All limits are off by default.
 *
 * Credits are an hourly pool (M: Profitbase, 50,000 credits an hour, refused "for up to
 * approximately 1 hour" once spent): each request costs `creditCost`; a spent pool refuses every
 * request until its window ends, then fills again. The monthly allowance (5,000 requests) is
 * billed, never refused (H: UK help centre), so it is not a limit here. (A) the pool is the
 * installation's (all tokens), a fixed window from its first request, a flat cost per request;
 * the refusal's shape: HTTP 200 with `extensions.resetAt` and `retryAfter` (seconds), or HTTP 429
 * with a `Retry-After` header (M: Profitbase, grasp-labs retry 429).
 */
export const LIMIT_CODES = {
  burst: 'BAD_REQUEST.BURST_RATE_LIMIT_REACHED',
  concurrency: 'BAD_REQUEST.CONCURRENCY_LIMIT_REACHED',
  credits: 'BAD_REQUEST.INSUFFICIENT_CREDITS',
} as const;

export interface LimitSettings {
  burst: boolean;
  /** Requests allowed per token within burstWindowMs (M: about 20 per 5 s). */
  burstMax: number;
  burstWindowMs: number;
  concurrency: boolean;
  /** Requests in flight per token. (A) Xledger does not publish the number. */
  concurrencyMax: number;
  /** Credits in the pool per window (M: 50,000 an hour), or null = unlimited. */
  creditsPerWindow: number | null;
  /** The pool's window (an hour; tests shorten it). */
  creditWindowMs: number;
  /** What one request costs (A: flat; Xledger's cost is "not linear in records"). */
  creditCost: number;
  /** How a spent pool answers: HTTP 200 with an error code, or HTTP 429 with Retry-After. */
  creditsRefusal: 'http200' | 'http429';
}

export const DEFAULT_LIMITS: LimitSettings = {
  burst: false,
  burstMax: 20,
  burstWindowMs: 5_000,
  concurrency: false,
  concurrencyMax: 4,
  creditsPerWindow: null,
  creditWindowMs: 3_600_000,
  creditCost: 1,
  creditsRefusal: 'http200',
};

export interface LimitRefusal {
  code: (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];
  message: string;
  extensions?: Record<string, unknown>;
  /** The HTTP status it is answered with (200 unless the credits refusal is 429). */
  status?: number;
  /** Seconds for a Retry-After header. */
  retryAfterSeconds?: number;
}

export const LIMIT_MESSAGES = {
  burst: 'Burst rate limit reached. Slow down and retry in a few seconds.',
  concurrency: 'Too many concurrent requests for this token. Retry shortly.',
  /** (H: an old message in Xledger's sample history.) */
  credits: 'Insufficient credits.',
} as const;

/** The refusal of a spent pool whose window ends at `resetAt`. */
export function creditsRefusal(
  now: Date,
  resetAt: Date,
  variant: LimitSettings['creditsRefusal'],
): LimitRefusal {
  const retryAfterSeconds = Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000));
  return {
    code: LIMIT_CODES.credits,
    message: LIMIT_MESSAGES.credits,
    extensions: { resetAt: resetAt.toISOString(), retryAfter: retryAfterSeconds },
    status: variant === 'http429' ? 429 : 200,
    retryAfterSeconds,
  };
}

/** What the `rateLimit` field answers for one request: its cost and the pool left after it. */
export interface CreditFigures {
  cost: number;
  remaining: number | null;
}

export class Limits {
  settings: LimitSettings;
  creditsUsed = 0;
  private windowStart: number | null = null;
  private readonly recent = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(settings: Partial<LimitSettings> = {}) {
    this.settings = { ...DEFAULT_LIMITS, ...settings };
  }

  update(settings: Partial<LimitSettings>): void {
    const creditsChanged = settings.creditsPerWindow !== undefined || settings.creditWindowMs !== undefined;
    this.settings = { ...this.settings, ...settings };
    if (creditsChanged) {
      this.creditsUsed = 0;
      this.windowStart = null;
    }
    if (settings.burst !== undefined) this.recent.clear();
  }

  /** When the pool's window ends (a refused request may come back then). */
  creditsResetAt(now: Date): Date {
    return new Date((this.windowStart ?? now.getTime()) + this.settings.creditWindowMs);
  }

  /** The pool's credits left now (null: unlimited). */
  creditsRemaining(now: Date): number | null {
    const { creditsPerWindow } = this.settings;
    if (creditsPerWindow === null) return null;
    this.roll(now);
    return Math.max(0, creditsPerWindow - this.creditsUsed);
  }

  private roll(now: Date): void {
    const time = now.getTime();
    if (this.windowStart === null || time >= this.windowStart + this.settings.creditWindowMs) {
      this.windowStart = time;
      this.creditsUsed = 0;
    }
  }

  /**
   * Admits a request or says which limit refuses it. An admitted request is in flight until
   * `release` is called. Refused requests do not fill the burst window or spend credits (A).
   */
  admit(tokenName: string, now: Date): LimitRefusal | null {
    const { settings } = this;
    const inFlight = this.inFlight.get(tokenName) ?? 0;
    if (settings.concurrency && inFlight >= settings.concurrencyMax) {
      return { code: LIMIT_CODES.concurrency, message: LIMIT_MESSAGES.concurrency };
    }
    if (settings.creditsPerWindow !== null) {
      this.roll(now);
      if (this.creditsUsed + settings.creditCost > settings.creditsPerWindow) {
        return creditsRefusal(now, this.creditsResetAt(now), settings.creditsRefusal);
      }
    }
    if (settings.burst) {
      const since = now.getTime() - settings.burstWindowMs;
      const times = (this.recent.get(tokenName) ?? []).filter((time) => time > since);
      this.recent.set(tokenName, times);
      if (times.length >= settings.burstMax)
        return { code: LIMIT_CODES.burst, message: LIMIT_MESSAGES.burst };
      times.push(now.getTime());
    }
    if (settings.creditsPerWindow !== null) this.creditsUsed += settings.creditCost;
    this.inFlight.set(tokenName, inFlight + 1);
    return null;
  }

  /** The `rateLimit` field's answer for a request admitted now. */
  credits(now: Date): CreditFigures {
    return { cost: this.settings.creditCost, remaining: this.creditsRemaining(now) };
  }

  release(tokenName: string): void {
    const inFlight = this.inFlight.get(tokenName) ?? 0;
    if (inFlight <= 1) this.inFlight.delete(tokenName);
    else this.inFlight.set(tokenName, inFlight - 1);
  }

  describe() {
    return { ...this.settings, creditsUsed: this.creditsUsed };
  }
}

export interface UsageFigures {
  requests: number;
  /** Requests answered with an error instead of data (limits, faults, auth, validation). */
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

export interface TokenUsage extends UsageFigures {
  byField: Record<string, UsageFigures>;
}

/** The name under which requests without a valid token are counted. */
export const UNAUTHENTICATED = '(unauthenticated)';

/**
 * Requests and bytes per token and per root field (a request naming two root fields counts for
 * both). Refused requests count too: on the real API they still cost.
 */
export class UsageCounters {
  private usage = new Map<string, TokenUsage>();

  record(
    tokenName: string,
    fields: readonly string[],
    figures: { bytesIn: number; bytesOut: number; refused: boolean },
  ) {
    const add = (target: UsageFigures) => {
      target.requests += 1;
      target.refused += figures.refused ? 1 : 0;
      target.bytesIn += figures.bytesIn;
      target.bytesOut += figures.bytesOut;
    };
    let usage = this.usage.get(tokenName);
    if (!usage) {
      usage = { requests: 0, refused: 0, bytesIn: 0, bytesOut: 0, byField: {} };
      this.usage.set(tokenName, usage);
    }
    add(usage);
    for (const field of fields) {
      usage.byField[field] ??= { requests: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
      add(usage.byField[field]);
    }
  }

  get(tokenName: string): TokenUsage | undefined {
    return this.usage.get(tokenName);
  }

  all(): Record<string, TokenUsage> {
    return Object.fromEntries(this.usage);
  }

  reset(tokenName?: string): void {
    if (tokenName === undefined) this.usage.clear();
    else this.usage.delete(tokenName);
  }
}
