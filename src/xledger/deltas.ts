import type { DeltaField } from '../datatypes/stream';
import type { SyncFallback } from '../domain/figures';
import type { XledgerClient } from './client';
import { XledgerError } from './errors';
import { DELTA_ALIAS, DELTA_PAGE_SIZE, deltasPage } from './operations';

/**
 * Xledger's delta queries: edges of `{ dbId mutationType }` in time order, the only place where
 * deletions show (M). A full pass asks `last: 1` beside its first page: the newest cursor,
 * without reading history (M). An incremental pass reads the deltas after its stored cursor
 * beside its first page, and pages on only when there are more.
 * (A) The delta cursor orders deltas in time and stays valid between passes while Xledger keeps
 * the deltas after it.
 */

/**
 * Xledger keeps deltas for about 3 days (M). (A) the exact span: a stored cursor is trusted for
 * 3 days less a 12-hour margin after it was read; an older one, or a cursor never read, makes
 * the pass a full one (reported as a fallback in the run's figures).
 */
export const DELTA_RETENTION_MS = 3 * 24 * 3_600_000;
export const DELTA_CURSOR_MAX_AGE_MS = DELTA_RETENTION_MS - 12 * 3_600_000;

/** Whether a stored delta cursor can still be used, judged by when it was read. */
export function deltaCursorFallback(cursorReadAt: Date | null | undefined, now: number): SyncFallback | null {
  if (!cursorReadAt) return 'delta_cursor_missing';
  return now - cursorReadAt.getTime() > DELTA_CURSOR_MAX_AGE_MS ? 'delta_cursor_expired' : null;
}

/**
 * (A) How Xledger refuses a cursor it no longer knows is not published. Any refusal of the
 * delta field's arguments counts: the only argument that varies is the stored cursor, so the
 * pass falls back to a full one instead of failing.
 */
export function isDeltaCursorRefused(error: unknown): boolean {
  return (
    error instanceof XledgerError &&
    error.kind === 'invalid_request' &&
    error.details.path?.[0] === DELTA_ALIAS
  );
}

interface DeltaConnection {
  edges: Array<{ cursor: string; node: { dbId: number | string; mutationType: string } }> | null;
  pageInfo?: { hasNextPage: boolean };
}

export interface DeltaRead {
  /** Records whose last delta after the cursor is DELETED. */
  deletedDbIds: number[];
  /** Where the next read starts (unchanged when there was nothing new). */
  cursor: string | null;
  /** Delta requests made beyond the one that rode along with the stream's first page. */
  extraRequests: number;
}

/** The newest cursor from a `last: 1` answer (null when Xledger has no delta at all). */
export function newestDeltaCursor(answer: unknown): DeltaRead {
  const edges = (answer as DeltaConnection | undefined)?.edges ?? [];
  return { deletedDbIds: [], cursor: edges.at(-1)?.cursor ?? null, extraRequests: 0 };
}

/** Folds the first delta page (the companion's answer) and pages on while Xledger has more. */
export async function readDeltas(
  client: XledgerClient,
  field: DeltaField,
  after: string | null,
  firstPage: unknown,
): Promise<DeltaRead> {
  const last = new Map<number, string>();
  let cursor = after;
  let page = firstPage as DeltaConnection | undefined;
  let extraRequests = 0;
  const operation = deltasPage(field);
  for (;;) {
    // "edges": null is Xledger's empty page.
    const edges = page?.edges ?? [];
    for (const edge of edges) last.set(Number(edge.node.dbId), edge.node.mutationType);
    cursor = edges.at(-1)?.cursor ?? cursor;
    if (!page?.pageInfo?.hasNextPage || edges.length === 0) break;
    const data = await client.request<Record<string, DeltaConnection>>(operation.document, {
      ...operation.variables,
      deltaFirst: DELTA_PAGE_SIZE,
      deltaAfter: cursor,
    });
    extraRequests += 1;
    page = data[DELTA_ALIAS];
  }
  const deletedDbIds = [...last].filter(([, type]) => type === 'DELETED').map(([dbId]) => dbId);
  return { deletedDbIds, cursor, extraRequests };
}
