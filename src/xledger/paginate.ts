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
 *
 * The next page is requested as soon as a page has arrived, while the caller stores this one:
 * Xledger's time and ours overlap instead of adding up (a full pass of 100,000 suppliers spends
 * about as long waiting for its pages as storing them). At most one page is read ahead; when the
 * caller stops early, the page read ahead is dropped (its request is spent), and its failure,
 * if any, reaches the caller only when it asks for that page.
 */
export async function* paginate<TNode>(
  client: XledgerClient,
  request: ConnectionRequest,
  options: PaginateOptions,
): AsyncGenerator<Page<TNode>> {
  let pageSize = options.pageSize;
  const read = async (first: boolean, after: string | null): Promise<Page<TNode>> => {
    const operation = first ? request.first : request.next;
    const companionAlias = first ? request.companionAlias : undefined;
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
      return {
        nodes: edges.map((edge) => edge.node),
        endCursor: lastEdge?.cursor ?? after,
        hasNextPage: result.pageInfo?.hasNextPage === true && lastEdge !== undefined,
        ...(companionAlias ? { companion: companionAnswer } : {}),
      };
    }
  };
  let next: Promise<Page<TNode>> | undefined = read(true, options.after ?? null);
  while (next) {
    const page: Page<TNode> = await next;
    next = undefined;
    if (page.hasNextPage) {
      next = read(false, page.endCursor);
      // Handled when the caller asks for the page; never unhandled when it stops before that.
      next.catch(() => undefined);
    }
    yield page;
  }
}
