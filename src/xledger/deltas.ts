import type { XledgerClient } from './client';
import type { CompanionField } from './paginate';

/**
 * Xledger's delta queries (`employee_deltas`, `project_deltas`): edges of `{ dbId mutationType }`
 * in time order, the only place where deletions of those types show (M). The first delta page
 * rides along with the stream's first page (one request, see `deltaCompanion`); further delta
 * pages are read only when there are more.
 * (A) The delta cursor orders deltas in time and stays valid between passes.
 */
export type DeltaField = 'employee_deltas' | 'project_deltas';

/** Delta nodes are tiny: ask for Xledger's maximum per request. */
export const DELTA_PAGE_SIZE = 10_000;

const DELTA_ALIAS = 'deltas';
const DELTA_SELECTION = 'edges { cursor node { dbId mutationType } } pageInfo { hasNextPage }';

interface DeltaConnection {
  edges: Array<{ cursor: string; node: { dbId: number | string; mutationType: string } }>;
  pageInfo: { hasNextPage: boolean };
}

export interface DeltaRead {
  /** Records whose last delta after the cursor is DELETED. */
  deletedDbIds: number[];
  /** Where the next read starts (unchanged when there was nothing new). */
  cursor: string | null;
  /** Delta requests made beyond the one that rode along with the stream's first page. */
  extraRequests: number;
}

/** The delta query as a companion of the stream's first page. */
export function deltaCompanion(field: DeltaField, after: string | null): CompanionField {
  return {
    alias: DELTA_ALIAS,
    field: `${field}(first: $deltaFirst, after: $deltaAfter)`,
    selection: DELTA_SELECTION,
    variableDefs: ['$deltaFirst: Int', '$deltaAfter: String'],
    variables: { deltaFirst: DELTA_PAGE_SIZE, deltaAfter: after },
  };
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
  for (;;) {
    if (!page || !Array.isArray(page.edges)) break;
    for (const edge of page.edges) last.set(Number(edge.node.dbId), edge.node.mutationType);
    cursor = page.edges.at(-1)?.cursor ?? cursor;
    if (!page.pageInfo?.hasNextPage || page.edges.length === 0) break;
    const data = await client.request<Record<string, DeltaConnection>>(
      `query ${field}Page($deltaFirst: Int, $deltaAfter: String) { ${DELTA_ALIAS}: ${field}(first: $deltaFirst, after: $deltaAfter) { ${DELTA_SELECTION} } }`,
      { deltaFirst: DELTA_PAGE_SIZE, deltaAfter: cursor },
    );
    extraRequests += 1;
    page = data[DELTA_ALIAS];
  }
  const deletedDbIds = [...last].filter(([, type]) => type === 'DELETED').map(([dbId]) => dbId);
  return { deletedDbIds, cursor, extraRequests };
}
