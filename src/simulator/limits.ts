/**
 * Xledger's request limits and the usage counters that let tests (and benchmarks) see what a
 * client costs. Limit codes are Xledger's (H); the thresholds are from one client (M) and can be
 * changed at start or through the admin API. All limits are off by default.
 */
import { startOfNextCetMonth } from './clock';

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
  /** Requests per calendar month for the whole installation (a subscription), or null = unlimited. */
  monthlyCredits: number | null;
}

export const DEFAULT_LIMITS: LimitSettings = {
  burst: false,
  burstMax: 20,
  burstWindowMs: 5_000,
  concurrency: false,
  concurrencyMax: 4,
  monthlyCredits: null,
};

export interface LimitRefusal {
  code: (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];
  message: string;
  extensions?: Record<string, unknown>;
}

export const LIMIT_MESSAGES = {
  burst: 'Burst rate limit reached. Slow down and retry in a few seconds.',
  concurrency: 'Too many concurrent requests for this token. Retry shortly.',
  credits: 'Insufficient credits: the monthly request quota is spent.',
} as const;

export function creditsRefusal(now: Date): LimitRefusal {
  return {
    code: LIMIT_CODES.credits,
    message: LIMIT_MESSAGES.credits,
    extensions: { resetAt: startOfNextCetMonth(now).toISOString() },
  };
}

export class Limits {
  settings: LimitSettings;
  creditsUsed = 0;
  private readonly recent = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(settings: Partial<LimitSettings> = {}) {
    this.settings = { ...DEFAULT_LIMITS, ...settings };
  }

  update(settings: Partial<LimitSettings>): void {
    const creditsChanged = settings.monthlyCredits !== undefined;
    this.settings = { ...this.settings, ...settings };
    if (creditsChanged) this.creditsUsed = 0;
    if (settings.burst !== undefined) this.recent.clear();
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
    if (settings.burst) {
      const since = now.getTime() - settings.burstWindowMs;
      const times = (this.recent.get(tokenName) ?? []).filter((time) => time > since);
      this.recent.set(tokenName, times);
      if (times.length >= settings.burstMax)
        return { code: LIMIT_CODES.burst, message: LIMIT_MESSAGES.burst };
      times.push(now.getTime());
    }
    if (settings.monthlyCredits !== null) {
      if (this.creditsUsed >= settings.monthlyCredits) return creditsRefusal(now);
      this.creditsUsed += 1;
    }
    this.inFlight.set(tokenName, inFlight + 1);
    return null;
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
