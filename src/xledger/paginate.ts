import type { XledgerClient } from './client';
import { XledgerError } from './errors';

export interface ConnectionQuery {
  /** Root query field, e.g. `suppliers`. */
  rootField: string;
  /** Selection of one node, e.g. `dbId code description`. */
  selection: string;
  /** Arguments besides paging, with their GraphQL types, e.g. { filter: ['Supplier_Filter', {...}] }. */
  args?: Record<string, { type: string; value: unknown }>;
}

export interface Page<TNode> {
  nodes: TNode[];
  /** The cursor to resume after this page. */
  endCursor: string | null;
  hasNextPage: boolean;
  /** The companion field's answer, on the first page only (see `PaginateOptions.companion`). */
  companion?: unknown;
}

/**
 * A second root field sent in the same GraphQL document as the first page (one request, not
 * two), e.g. a delta query. It must use its own variable names.
 */
export interface CompanionField {
  /** Alias under which the answer comes back. */
  alias: string;
  /** The field with its arguments, e.g. `employee_deltas(first: $deltaFirst, after: $deltaAfter)`. */
  field: string;
  selection: string;
  variableDefs: string[];
  variables: Record<string, unknown>;
}

export interface PaginateOptions {
  pageSize: number;
  after?: string | null;
  companion?: CompanionField;
}

interface ConnectionResult<TNode> {
  edges: Array<{ cursor: string; node: TNode }>;
  pageInfo: { hasNextPage: boolean };
}

const SMALLEST_PAGE = 100;

/**
 * Walks a relay connection forward from `after`. A page that times out at Xledger is asked
 * again with half as many records (Xledger's advice for long queries), down to 100.
 */
export async function* paginate<TNode>(
  client: XledgerClient,
  query: ConnectionQuery,
  options: PaginateOptions,
): AsyncGenerator<Page<TNode>> {
  let after = options.after ?? null;
  let pageSize = options.pageSize;
  let companion = options.companion;
  const plainDocument = buildConnectionDocument(query);
  const argValues = Object.fromEntries(
    Object.entries(query.args ?? {}).map(([name, arg]) => [name, arg.value]),
  );
  for (;;) {
    let result: ConnectionResult<TNode>;
    let companionAnswer: unknown;
    try {
      const data = await client.request<Record<string, unknown>>(
        companion ? buildConnectionDocument(query, companion) : plainDocument,
        { ...argValues, ...companion?.variables, first: pageSize, after },
      );
      const connection = data[query.rootField] as ConnectionResult<TNode> | undefined;
      if (!connection)
        throw new XledgerError('invalid_request', `Xledger returned no ${query.rootField} connection`);
      result = connection;
      if (companion) companionAnswer = data[companion.alias];
    } catch (error) {
      if (error instanceof XledgerError && error.kind === 'query_timeout' && pageSize > SMALLEST_PAGE) {
        pageSize = Math.max(SMALLEST_PAGE, Math.floor(pageSize / 2));
        continue;
      }
      throw error;
    }
    const lastEdge = result.edges.at(-1);
    const endCursor = lastEdge?.cursor ?? after;
    const hasNextPage = result.pageInfo.hasNextPage && lastEdge !== undefined;
    yield {
      nodes: result.edges.map((edge) => edge.node),
      endCursor,
      hasNextPage,
      ...(companion ? { companion: companionAnswer } : {}),
    };
    companion = undefined;
    if (!hasNextPage) return;
    after = endCursor;
  }
}

export function buildConnectionDocument(query: ConnectionQuery, companion?: CompanionField): string {
  const args = Object.entries(query.args ?? {});
  const variableDefs = [
    '$first: Int!',
    '$after: String',
    ...args.map(([name, arg]) => `$${name}: ${arg.type}`),
    ...(companion?.variableDefs ?? []),
  ];
  const fieldArgs = ['first: $first', 'after: $after', ...args.map(([name]) => `${name}: $${name}`)];
  const companionField = companion
    ? `\n  ${companion.alias}: ${companion.field} { ${companion.selection} }`
    : '';
  return `query ${query.rootField}Page(${variableDefs.join(', ')}) {
  ${query.rootField}(${fieldArgs.join(', ')}) {
    edges { cursor node { ${query.selection} } }
    pageInfo { hasNextPage }
  }${companionField}
}`;
}
