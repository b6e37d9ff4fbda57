import type { XledgerClient } from './client';
import { XledgerError } from './errors';
import type { ConnectionRequest } from './operations';

export interface Page<TNode> {
  nodes: TNode[];
  /** The cursor to resume after this page. */
  endCursor: string | null;
  hasNextPage: boolean;
  /** The companion field's answer, on the first page only (see `ConnectionRequest.first`). */
  companion?: unknown;
}

export interface PaginateOptions {
  pageSize: number;
  after?: string | null;
}

interface ConnectionResult<TNode> {
  /** null: Xledger's answer when nothing matches (an empty page). */
  edges: Array<{ cursor: string; node: TNode }> | null;
  pageInfo: { hasNextPage: boolean } | null;
}

const SMALLEST_PAGE = 100;

/**
 * Walks a relay connection forward from `after`, with the documents of a catalogue request
 * (operations.ts): the first request may carry a companion field, later pages do not. A page
 * that times out at Xledger is asked again with half as many records (Xledger's advice for
 * long queries), down to 100. `"edges": null` is an empty page.
 */
export async function* paginate<TNode>(
  client: XledgerClient,
  request: ConnectionRequest,
  options: PaginateOptions,
): AsyncGenerator<Page<TNode>> {
  let after = options.after ?? null;
  let pageSize = options.pageSize;
  let operation = request.first;
  let companionAlias = request.companionAlias;
  for (;;) {
    let result: ConnectionResult<TNode>;
    let companionAnswer: unknown;
    try {
      const data = await client.request<Record<string, unknown>>(operation.document, {
        ...operation.variables,
        first: pageSize,
        after,
      });
      const connection = data[request.rootField] as ConnectionResult<TNode> | null | undefined;
      if (!connection)
        throw new XledgerError('invalid_request', `Xledger returned no ${request.rootField} connection`);
      result = connection;
      if (companionAlias) companionAnswer = data[companionAlias];
    } catch (error) {
      if (error instanceof XledgerError && error.kind === 'query_timeout' && pageSize > SMALLEST_PAGE) {
        pageSize = Math.max(SMALLEST_PAGE, Math.floor(pageSize / 2));
        continue;
      }
      throw error;
    }
    const edges = result.edges ?? [];
    const lastEdge = edges.at(-1);
    const endCursor = lastEdge?.cursor ?? after;
    const hasNextPage = result.pageInfo?.hasNextPage === true && lastEdge !== undefined;
    yield {
      nodes: edges.map((edge) => edge.node),
      endCursor,
      hasNextPage,
      ...(companionAlias ? { companion: companionAnswer } : {}),
    };
    operation = request.next;
    companionAlias = undefined;
    if (!hasNextPage) return;
    after = endCursor;
  }
}
