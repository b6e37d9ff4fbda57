import pLimit, { type LimitFunction } from 'p-limit';
import pThrottle from 'p-throttle';

export interface RequestGateLimits {
  maxRequestsPer5s: number;
  maxConcurrentRequests: number;
}

/**
 * A tenant's request budget inside one worker process: every sync of that tenant shares it,
 * so concurrent syncs stay under Xledger's burst (20 / 5 s) and concurrency limits together
 * instead of each tripping them. When Xledger says a limit was hit anyway (other workers use
 * the same token), the whole gate holds back for the advised time.
 */
export class RequestGate {
  private readonly limit: LimitFunction;
  private readonly throttled: <T>(task: () => Promise<T>) => Promise<T>;
  private pausedUntil = 0;

  constructor(limits: RequestGateLimits) {
    this.limit = pLimit(limits.maxConcurrentRequests);
    const throttle = pThrottle({ limit: limits.maxRequestsPer5s, interval: 5_000, strict: true });
    this.throttled = throttle(<T>(task: () => Promise<T>) => task()) as <T>(
      task: () => Promise<T>,
    ) => Promise<T>;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await sleep(wait);
      return this.throttled(task);
    });
  }

  holdBack(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }
}

/** One gate per tenant per process. */
export class RequestGates {
  private readonly gates = new Map<string, RequestGate>();

  constructor(private readonly limits: RequestGateLimits) {}

  forTenant(tenantId: string): RequestGate {
    let gate = this.gates.get(tenantId);
    if (!gate) {
      gate = new RequestGate(this.limits);
      this.gates.set(tenantId, gate);
    }
    return gate;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
