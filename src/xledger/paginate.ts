import { z } from 'zod';
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

/**
 * A page as it must arrive to be trusted. Nodes are validated later, one by one
 * (classify-page.ts); here only what says where the stream goes on, or that it ends.
 * `"edges": null` is Xledger's empty page; `pageInfo` is asked for on every page, so an answer
 * without it is not one Xledger gives, and cannot say whether the stream ends there.
 */
const connectionSchema = z.object({
  edges: z.array(z.object({ cursor: z.string().min(1), node: z.unknown() })).nullable(),
  pageInfo: z.object({ hasNextPage: z.boolean() }),
});

const SMALLEST_PAGE = 100;

/**
 * Walks a relay connection forward from `after`, with the documents of a catalogue request
 * (operations.ts): the first request may carry a companion field, later pages do not. A page
 * that times out at Xledger is asked again with half as many records (Xledger's advice for
 * long queries), down to 100. `"edges": null` is an empty page.
 *
 * A stream ends only on a well-formed last page: `pageInfo.hasNextPage: false`. A page without
 * `pageInfo`, or one that says there is more but gives no cursor to go on from (no edges), is an
 * error (retried: a full pass that took it as the end would mark every record after it deleted).
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
      let connection: unknown;
      let companionAnswer: unknown;
      try {
        const data = await client.request<Record<string, unknown>>(operation.document, {
          ...operation.variables,
          first: pageSize,
          after,
        });
        connection = data[request.rootField];
        if (!connection)
          throw new XledgerError('invalid_request', `Xledger returned no ${request.rootField} connection`);
        if (companionAlias) companionAnswer = data[companionAlias];
      } catch (error) {
        if (error instanceof XledgerError && error.kind === 'query_timeout' && pageSize > SMALLEST_PAGE) {
          pageSize = Math.max(SMALLEST_PAGE, Math.floor(pageSize / 2));
          continue;
        }
        throw error;
      }
      const page = wellFormedPage(request.rootField, after, connection);
      const lastEdge = page.edges.at(-1);
      return {
        nodes: page.edges.map((edge) => edge.node as TNode),
        endCursor: lastEdge?.cursor ?? after,
        hasNextPage: page.hasNextPage,
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

/**
 * The page's edges and whether more follow, or a retryable error when the answer cannot say
 * so: no `pageInfo`, or "more follow" without an edge whose cursor the next page starts after.
 * Retryable (`transient`): such an answer is a fault on the way (a proxy, a half-sent
 * response), and the pass resumes from its last stored page when asked again.
 */
function wellFormedPage(
  rootField: string,
  after: string | null,
  answer: unknown,
): { edges: Array<{ cursor: string; node: unknown }>; hasNextPage: boolean } {
  const where = `a page of ${rootField} after ${after ?? 'the start'}`;
  const parsed = connectionSchema.safeParse(answer);
  if (!parsed.success) {
    const pageInfo = (answer as { pageInfo?: unknown }).pageInfo;
    const problem =
      pageInfo === null || pageInfo === undefined
        ? 'without pageInfo, so it cannot tell whether the stream ends there'
        : `that is not a connection (${parsed.error.issues
            .map((issue) => `${issue.path.join('.') || '(page)'}: ${issue.message}`)
            .slice(0, 3)
            .join('; ')})`;
    throw new XledgerError(
      'transient',
      `Xledger answered ${where} ${problem}: not taken as the end of the stream`,
    );
  }
  const edges = parsed.data.edges ?? [];
  const { hasNextPage } = parsed.data.pageInfo;
  if (hasNextPage && edges.length === 0) {
    throw new XledgerError(
      'transient',
      `Xledger answered ${where} with hasNextPage: true but no edges, so no cursor to go on from: not taken as the end of the stream`,
    );
  }
  return { edges, hasNextPage };
}
