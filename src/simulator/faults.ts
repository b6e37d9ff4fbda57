/**
 * Fault injection: the failures a client of Xledger must survive, on demand (the next N
 * matching requests) or by chance (chaos testing). A rule may match a root field name and/or a
 * token (by name or secret). The first matching rule applies; one fault per request.
 */
import { z } from 'zod';
import { mulberry32 } from './seed';

export const FAULT_KINDS = [
  'burstRateLimit',
  'concurrencyLimit',
  'insufficientCredits',
  'timeout',
  'httpError',
  'slow',
  'connectionReset',
  'malformed',
  'commitThenDrop',
  'endEarly',
  'dropPage',
  'nullPageInfo',
  'nullEdges',
  /** The mutation runs twice and is answered once: Xledger holds what was sent twice (a forced duplicate). */
  'duplicateCommit',
] as const;

/**
 * Faults that cut a pass short the way a proxy or a half-broken upstream could, on the
 * connections of the rule's field (every connection without one): `endEarly` answers
 * `hasNextPage: false` on a page that has more after it; `dropPage` serves the page after the
 * one asked for (the asked page's records are never seen, and the cursors still chain);
 * `nullPageInfo` answers `"pageInfo": null`; `nullEdges` answers `"edges": null` with
 * `hasNextPage: true`. With `skip`, they hit the page of one's choice.
 */
export const TRUNCATION_KINDS = ['endEarly', 'nullPageInfo', 'nullEdges'] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The exact message of Xledger's query time-out (M); the code is our assumption (A). */
export const TIMEOUT_MESSAGE = 'Your query timed out.';
export const TIMEOUT_CODE = 'QUERY_TIMEOUT';

export const faultInputSchema = z
  .object({
    kind: z.enum(FAULT_KINDS),
    count: z.number().int().positive().optional(),
    probability: z.number().gt(0).lte(1).optional(),
    field: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    status: z.number().int().min(500).max(599).optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** Let this many matching requests through before the rule applies (e.g. to hit page 3). */
    skip: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((input) => input.count === undefined || input.probability === undefined, {
    message: 'give either count or probability, not both',
    path: ['probability'],
  });

export type FaultInput = z.infer<typeof faultInputSchema>;

export interface FaultRule {
  id: number;
  kind: FaultKind;
  /** Remaining uses; null for a probability rule (unlimited). */
  remaining: number | null;
  probability: number | null;
  field: string | null;
  token: string | null;
  status: number;
  delayMs: number;
  /** Matching requests still to let through before the rule applies. */
  skip: number;
  hits: number;
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private readonly random: () => number;

  constructor(seed: number) {
    // Chaos is reproducible for a given seed and request sequence.
    this.random = mulberry32(seed ^ 0x5eed_fa17);
  }

  add(input: FaultInput): FaultRule {
    const rule: FaultRule = {
      id: this.nextId++,
      kind: input.kind,
      remaining: input.probability !== undefined ? null : (input.count ?? 1),
      probability: input.probability ?? null,
      field: input.field ?? null,
      token: input.token ?? null,
      status: input.status ?? 503,
      delayMs: input.delayMs ?? (input.kind === 'slow' ? 2_000 : 0),
      skip: input.skip ?? 0,
      hits: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any; a counted rule is used up by it. */
  take(request: { tokenName: string; tokenSecret: string; fields: readonly string[] }): FaultRule | null {
    for (const rule of this.rules) {
      if (rule.field !== null && !request.fields.includes(rule.field)) continue;
      if (rule.token !== null && rule.token !== request.tokenName && rule.token !== request.tokenSecret)
        continue;
      if (rule.skip > 0) {
        rule.skip -= 1;
        continue;
      }
      if (rule.probability !== null) {
        if (this.random() >= rule.probability) continue;
      } else if (rule.remaining !== null) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
      }
      rule.hits += 1;
      return { ...rule };
    }
    return null;
  }
}

const DATE_FIELDS = [
  'fromDate',
  'toDate',
  'dateFrom',
  'dateTo',
  'employmentFrom',
  'employmentTo',
  'date',
  'datePurchased',
  'postedDate',
  'invoiceDate',
  'dueDate',
];

/**
 * Makes the first record of every connection in `data` violate the documented types: dates
 * like "31.02.2024", the code removed, modifiedAt not a time. If a node has none of those
 * fields, its non-null dbId goes. A client's schema validation must reject such records.
 */
export function corruptRecords(data: Record<string, unknown> | null | undefined): number {
  if (!data) return 0;
  let corrupted = 0;
  for (const value of Object.values(data)) {
    const edges = (value as { edges?: unknown } | null)?.edges;
    if (!Array.isArray(edges) || edges.length === 0) continue;
    const node = (edges[0] as { node?: Record<string, unknown> }).node;
    if (!node) continue;
    let changed = false;
    for (const field of DATE_FIELDS) {
      if (field in node) {
        node[field] = '31.02.2024';
        changed = true;
      }
    }
    if ('code' in node) {
      delete node.code;
      changed = true;
    }
    if ('modifiedAt' in node) {
      node.modifiedAt = 'yesterday';
      changed = true;
    }
    if (!changed) delete node.dbId;
    corrupted += 1;
  }
  return corrupted;
}

/**
 * Cuts the connections at `keys` of `data` short as a truncation fault says (TRUNCATION_KINDS).
 * Returns how many connections it changed.
 */
export function truncateConnections(
  data: Record<string, unknown> | null | undefined,
  keys: readonly string[],
  kind: (typeof TRUNCATION_KINDS)[number],
): number {
  if (!data) return 0;
  let changed = 0;
  for (const key of keys) {
    const connection = data[key] as { edges?: unknown; pageInfo?: Record<string, unknown> | null } | null;
    if (!connection || typeof connection !== 'object' || !('pageInfo' in connection)) continue;
    switch (kind) {
      case 'endEarly':
        if (connection.pageInfo) connection.pageInfo = { ...connection.pageInfo, hasNextPage: false };
        break;
      case 'nullPageInfo':
        connection.pageInfo = null;
        break;
      case 'nullEdges':
        connection.edges = null;
        connection.pageInfo = { ...(connection.pageInfo ?? {}), hasNextPage: true };
        break;
    }
    changed += 1;
  }
  return changed;
}
