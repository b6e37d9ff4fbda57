/** Small HTTP helpers for the simulator tests: real requests, no mocks. */
/* eslint-disable @typescript-eslint/no-explicit-any -- tests read JSON answers loosely and assert on them */
import type { RunningSimulator } from '../../src/simulator/index';

export interface GqlError {
  message: string;
  code: string;
  path?: Array<string | number>;
  extensions: Record<string, unknown> & { code: string };
}

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  body: { data?: T | null; errors?: GqlError[] };
  /** Bytes of the response body received. */
  bytes: number;
  /** Bytes of the request body sent. */
  sentBytes: number;
}

export async function gql<T = Record<string, any>>(
  sim: RunningSimulator,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
  authorization?: string,
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  else if (token !== null) headers.authorization = `token ${token}`;
  const payload = JSON.stringify({ query, variables });
  const response = await fetch(sim.graphqlUrl, { method: 'POST', headers, body: payload });
  const text = await response.text();
  let body: GqlResponse<T>['body'];
  try {
    body = JSON.parse(text) as GqlResponse<T>['body'];
  } catch {
    body = { errors: [{ message: text, code: 'NOT_JSON', extensions: { code: 'NOT_JSON' } }] };
  }
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body,
    bytes: Buffer.byteLength(text),
    sentBytes: Buffer.byteLength(payload),
  };
}

export async function admin<T = any>(
  sim: RunningSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${sim.adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Reads a whole connection with first/after, returning the nodes and the number of pages. */
export async function readAll<N = Record<string, any>>(
  sim: RunningSimulator,
  token: string,
  field: string,
  selection: string,
  options: { first?: number; args?: string } = {},
): Promise<{ nodes: N[]; pages: number }> {
  const first = options.first ?? 10_000;
  const nodes: N[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const query = `query($first: Int, $after: String) { ${field}(first: $first, after: $after${options.args ? `, ${options.args}` : ''}) {
      edges { cursor node { ${selection} } } pageInfo { hasNextPage hasPreviousPage } } }`;
    const result: GqlResponse = await gql(sim, token, query, { first, after });
    if (result.status !== 200 || result.body.errors) {
      throw new Error(`${field} page ${pages + 1} failed: ${JSON.stringify(result.body.errors)}`);
    }
    const connection = result.body.data?.[field] as {
      // Xledger answers "edges": null for an empty page.
      edges: Array<{ cursor: string; node: N }> | null;
      pageInfo: { hasNextPage: boolean };
    };
    pages += 1;
    const edges = connection.edges ?? [];
    nodes.push(...edges.map((edge) => edge.node));
    const last = edges[edges.length - 1];
    if (!connection.pageInfo.hasNextPage || !last) break;
    after = last.cursor;
  }
  return { nodes, pages };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
