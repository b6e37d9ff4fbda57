/**
 * What a tenant's Xledger use costs its customer: requests and megabytes over the last 24 hours
 * and 30 days, and the month they project to, against the allowance Xledger's subscription
 * includes (H: UK help centre, ../shared/xledger-api.md round three: 5,000 requests and 1,000 MB
 * each way a month, SHARED by every integration of the customer; beyond it every request and MB
 * is billed, never refused). Our share is what is left for the customer's other integrations to
 * use before the bill grows. Pure: the store gives the runs' figures.
 */

export const XLEDGER_INCLUDED_PER_MONTH = { requests: 5_000, mbDown: 1_000, mbUp: 1_000 } as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A month, for the projection and for Xledger's quota. */
export const MONTH_DAYS = 30;

/** One run's use of Xledger: when it started, and its requests and bytes. */
export interface UsageSample {
  startedAt: string;
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface Usage {
  requests: number;
  /** Megabytes (1,000,000 bytes) received from Xledger. */
  mbDown: number;
  /** Megabytes sent to Xledger. */
  mbUp: number;
}

export interface TenantCost {
  last24h: Usage;
  last30d: Usage;
  /** The last 30 days' rate over a month (see projectionBasisDays). */
  projectedMonth: Usage;
  /**
   * Days the projection's rate is taken over: 30, or less for a tenant whose first run in the
   * window is more recent (never less than one day, so a first hour is not multiplied by 720).
   */
  projectionBasisDays: number;
  included: typeof XLEDGER_INCLUDED_PER_MONTH;
  /** projectedMonth.requests as a share of the included requests (1 = all of them). */
  projectedShareOfIncluded: number;
  /** The allowance is the customer's, shared by all its Xledger integrations: this sync is one of them. */
  allowance: {
    sharedBy: 'all integrations of the customer';
    /** Beyond the allowance Xledger bills each request and MB; it does not refuse them. */
    beyond: 'billed';
    /** What the projected month leaves of the allowance for the customer's other integrations. */
    leftForOthers: Usage;
  };
  /** What the figures count (sync runs; requests of other work are not recorded). */
  counts: string;
}

const MB = 1_000_000;

function usageOf(samples: readonly UsageSample[]): Usage {
  let requests = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  for (const sample of samples) {
    requests += sample.requests;
    bytesSent += sample.bytesSent;
    bytesReceived += sample.bytesReceived;
  }
  return { requests, mbDown: bytesReceived / MB, mbUp: bytesSent / MB };
}

/** The runs' use in the last 24 hours and 30 days before `now`, and the month it projects to. */
export function tenantCost(samples: readonly UsageSample[], now: number): TenantCost {
  const inWindow = (days: number) =>
    samples.filter((sample) => {
      const at = Date.parse(sample.startedAt);
      return at > now - days * DAY_MS && at <= now;
    });
  const month = inWindow(MONTH_DAYS);
  const last30d = usageOf(month);
  const oldest = Math.min(...month.map((sample) => Date.parse(sample.startedAt)), now);
  const basisDays = Math.min(MONTH_DAYS, Math.max(1, (now - oldest) / DAY_MS));
  const factor = MONTH_DAYS / basisDays;
  const projectedMonth = {
    requests: Math.round(last30d.requests * factor),
    mbDown: last30d.mbDown * factor,
    mbUp: last30d.mbUp * factor,
  };
  return {
    last24h: usageOf(inWindow(1)),
    last30d,
    projectedMonth,
    projectionBasisDays: Math.round(basisDays * 10) / 10,
    included: XLEDGER_INCLUDED_PER_MONTH,
    projectedShareOfIncluded: projectedMonth.requests / XLEDGER_INCLUDED_PER_MONTH.requests,
    allowance: {
      sharedBy: 'all integrations of the customer',
      beyond: 'billed',
      leftForOthers: {
        requests: Math.max(0, XLEDGER_INCLUDED_PER_MONTH.requests - projectedMonth.requests),
        mbDown: Math.max(0, XLEDGER_INCLUDED_PER_MONTH.mbDown - projectedMonth.mbDown),
        mbUp: Math.max(0, XLEDGER_INCLUDED_PER_MONTH.mbUp - projectedMonth.mbUp),
      },
    },
    counts: 'sync runs, completed and failed',
  };
}
