/**
 * What one page of a stream holds for a tenant, before anything is written: each node is
 * validated against the stream's zod schema, kept when its owner is the tenant's Entity Owner
 * or one of its clients (ownership.ts), rejected (with the reason) when it fails validation,
 * and dropped when another owner's. Pure: src/sync/stream-pass.ts fetches the page,
 * refreshes the entity tree when asked to, and writes what comes out.
 */
import type { StreamDefinition } from '../datatypes/stream';
import { compareWallClock } from '../domain/cet';
import { emptyCounts, type Counts } from '../domain/figures';
import type { OwnershipRule } from '../domain/ownership';
import type { RecordToStore, RejectedRecord } from '../domain/records';

export interface PageContext {
  tenantId: string;
  stream: StreamDefinition;
  ownership: OwnershipRule;
  /** The pass's high-water mark so far (CET wall clock). */
  maxModifiedAt: string | null;
  /** Stamped on the rejects. */
  now: Date;
}

export interface ClassifiedPage {
  /** The tenant's records, ready to store. */
  records: RecordToStore[];
  /** Nodes that failed validation, of the tenant's owners or of no readable owner. */
  rejects: Array<Omit<RejectedRecord, '_id'>>;
  /** Ids that passed validation (of any owner): their earlier rejects are cleared. */
  accepted: number[];
  /** Ids Xledger still returns for this tenant (kept or rejected): not deleted. */
  present: number[];
  /** The page's figures: pages, fetched, kept, filteredOut, rejected. */
  counts: Counts;
  /** The high-water mark after this page. */
  maxModifiedAt: string | null;
  /**
   * A node names an entity the ownership rule has never seen (a client may have been added
   * since the tree was read): classify the page again once the tree is fresh.
   */
  sawUnknownEntity: boolean;
}

export function classifyPage(nodes: readonly unknown[], context: PageContext): ClassifiedPage {
  const { tenantId, stream, ownership, now } = context;
  const page: ClassifiedPage = {
    records: [],
    rejects: [],
    accepted: [],
    present: [],
    counts: { ...emptyCounts(), pages: 1, fetched: nodes.length },
    maxModifiedAt: context.maxModifiedAt,
    sawUnknownEntity: false,
  };
  const seen = new Set<number>();
  const noteOwner = (ownerDbId: number) => {
    if (ownership.isUnknownEntity(ownerDbId)) page.sawUnknownEntity = true;
    return ownership.classify(ownerDbId);
  };
  for (const raw of nodes) {
    const parsed = stream.node.safeParse(raw);
    if (!parsed.success) {
      const rawOwner = ownerOf(raw);
      // Another owner's record never lands, not even as a reject.
      if (rawOwner !== null && !noteOwner(rawOwner)) {
        page.counts.filteredOut += 1;
        continue;
      }
      const reject = rejectOf(tenantId, stream.name, raw, parsed.error.issues, now);
      page.rejects.push(reject);
      if (reject.dbId !== null) page.present.push(reject.dbId);
      continue;
    }
    const node = parsed.data;
    if (seen.has(node.dbId)) continue;
    seen.add(node.dbId);
    page.accepted.push(node.dbId);
    const modifiedAt = (node as { modifiedAt?: string | null }).modifiedAt;
    if (modifiedAt && (!page.maxModifiedAt || compareWallClock(modifiedAt, page.maxModifiedAt) > 0)) {
      page.maxModifiedAt = modifiedAt;
    }
    const owner = noteOwner(node.ownerDbId);
    if (!owner) {
      page.counts.filteredOut += 1;
      continue;
    }
    page.counts.kept += 1;
    page.present.push(node.dbId);
    page.records.push({ dbId: node.dbId, ...owner, fields: stream.toDocument(node) });
  }
  page.counts.rejected = page.rejects.length;
  return page;
}

/** The owner of a node that failed validation, when it can still be read. */
function ownerOf(raw: unknown): number | null {
  return exactId((raw as { ownerDbId?: unknown } | null)?.ownerDbId);
}

/**
 * An id as a number when JavaScript holds it exactly (below 2^53), else null: a larger one,
 * rounded, would name another record.
 */
function exactId(value: unknown): number | null {
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

function rejectOf(
  tenantId: string,
  stream: string,
  raw: unknown,
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  rejectedAt: Date,
): Omit<RejectedRecord, '_id'> {
  const dbId = exactId((raw as { dbId?: unknown } | null)?.dbId);
  const reason = issues
    .map((issue) => `${issue.path.map(String).join('.') || '(node)'}: ${issue.message}`)
    .join('; ');
  return { tenantId, stream, dbId, reason, node: raw, rejectedAt };
}
