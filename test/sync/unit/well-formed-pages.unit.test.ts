/**
 * A pass ends only on a well-formed last page, and a record is looked up by id before it is
 * marked deleted. The client here answers as a faulty upstream would, request by request.
 */
import { describe, expect, it } from 'vitest';
import { currenciesStream } from '../../../src/datatypes/currencies';
import { adaptStream } from '../../../src/datatypes/optional-fields';
import { suppliersStream } from '../../../src/datatypes/suppliers';
import type { XledgerClient } from '../../../src/xledger/client';
import { XledgerError } from '../../../src/xledger/errors';
import { BY_IDS_BATCH, streamPages } from '../../../src/xledger/operations';
import { paginate } from '../../../src/xledger/paginate';
import { stillInXledger } from '../../../src/xledger/records-by-id';

/** A client answering each request with the next of `answers`; it records what was asked. */
function answering(...answers: Array<Record<string, unknown>>) {
  const asked: Array<{ query: string; variables: Record<string, unknown> }> = [];
  const client = {
    request: async (query: string, variables: Record<string, unknown> = {}) => {
      asked.push({ query, variables });
      const answer = answers[asked.length - 1];
      if (!answer) throw new Error(`no answer for request ${asked.length}`);
      return answer;
    },
  } as unknown as XledgerClient;
  return { client, asked };
}

const edge = (dbId: number) => ({ cursor: String(dbId), node: { dbId, ownerDbId: 101 } });
const page = (dbIds: number[], hasNextPage: boolean) => ({
  suppliers: { edges: dbIds.map(edge), pageInfo: { hasNextPage, hasPreviousPage: false } },
});

async function readAll(client: XledgerClient) {
  const pages = [];
  for await (const read of paginate(client, streamPages(suppliersStream, {}), { pageSize: 2 }))
    pages.push(read);
  return pages;
}

async function failure(promise: Promise<unknown>): Promise<XledgerError> {
  const error = await promise.then(
    () => new Error('it should have failed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XledgerError);
  return error as XledgerError;
}

describe('a pass ends only on a well-formed last page', () => {
  it('reads on while hasNextPage is true, and ends on hasNextPage: false (edges null is an empty last page)', async () => {
    const { client } = answering(page([1, 2], true), page([3], true), {
      suppliers: { edges: null, pageInfo: { hasNextPage: false } },
    });
    const pages = await readAll(client);
    expect(pages.map((p) => [p.nodes.length, p.endCursor, p.hasNextPage])).toEqual([
      [2, '2', true],
      [1, '3', true],
      [0, '3', false],
    ]);
  });

  it('a page without pageInfo is a retryable error, not the end', async () => {
    for (const pageInfo of [null, undefined]) {
      const { client } = answering(page([1, 2], true), { suppliers: { edges: [edge(3)], pageInfo } });
      const error = await failure(readAll(client));
      expect(error.kind).toBe('transient');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/page of suppliers after 2 without pageInfo.*not taken as the end/);
    }
  });

  it('hasNextPage: true without edges (null or empty: no cursor to go on from) is a retryable error', async () => {
    for (const edges of [null, []]) {
      const { client } = answering(page([1, 2], true), {
        suppliers: { edges, pageInfo: { hasNextPage: true } },
      });
      const error = await failure(readAll(client));
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/hasNextPage: true but no edges/);
    }
  });

  it('an edge without a cursor is a retryable error', async () => {
    const { client } = answering({
      suppliers: { edges: [{ node: { dbId: 1 } }], pageInfo: { hasNextPage: true } },
    });
    expect((await failure(readAll(client))).retryable).toBe(true);
  });
});

describe('the look-up by id before a deletion', () => {
  it('asks nothing for no ids', async () => {
    const { client, asked } = answering();
    expect(await stillInXledger(client, suppliersStream, [], 101)).toEqual(new Map());
    expect(asked).toHaveLength(0);
  });

  it('asks in batches, ids inline, as the pass reads (every owner and status), and keeps what comes back', async () => {
    const ids = Array.from({ length: BY_IDS_BATCH + 3 }, (_, i) => 1_000 + i);
    const { client, asked } = answering(
      {
        suppliers: {
          edges: [{ node: { dbId: 1_000, ownerDbId: 101 } }, { node: { dbId: '1002', ownerDbId: '102' } }],
          pageInfo: { hasNextPage: false },
        },
      },
      // A record not asked for proves nothing; "edges": null is "none of them".
      { suppliers: { edges: [{ node: { dbId: 7, ownerDbId: 101 } }], pageInfo: { hasNextPage: false } } },
    );
    const alive = await stillInXledger(client, suppliersStream, ids, 101);
    // Each with its owner: a record returned as another owner's has left the tenant.
    expect(alive).toEqual(
      new Map([
        [1_000, 101],
        [1_002, 102],
      ]),
    );
    expect(asked).toHaveLength(2);
    expect(asked[0]!.query).toContain(
      `suppliers(first: ${BY_IDS_BATCH}, ownerSet: ALL, objectStatus: ALL, filter: { dbId_in: [1000, 1001,`,
    );
    expect(asked[1]!.query).toContain(
      'suppliers(first: 3, ownerSet: ALL, objectStatus: ALL, filter: { dbId_in: [2000, 2001, 2002] }) { edges { node { dbId ownerDbId } } pageInfo { hasNextPage } }',
    );
    expect(asked[0]!.variables).toEqual({});
  });

  it('an answer that cannot prove anything (cut short, no owner, no pageInfo, no connection) is a retryable error', async () => {
    for (const answer of [
      { suppliers: { edges: [{ node: { dbId: 1, ownerDbId: 101 } }], pageInfo: { hasNextPage: true } } },
      { suppliers: { edges: [{ node: { dbId: 1 } }], pageInfo: { hasNextPage: false } } },
      { suppliers: { edges: null, pageInfo: null } },
      { suppliers: null },
    ]) {
      const error = await failure(stillInXledger(answering(answer).client, suppliersStream, [1, 2], 101));
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/cannot prove them deleted/);
    }
  });

  it("asks no owner where the tenant's schema has none, and takes what it returns as the Entity Owner's", async () => {
    const stream = adaptStream(currenciesStream, [{ stream: 'currencies', field: 'ownerDbId' }], 101);
    const { client, asked } = answering({
      currencies: { edges: [{ node: { dbId: 5 } }], pageInfo: { hasNextPage: false } },
    });
    expect(await stillInXledger(client, stream, [5, 6], 101)).toEqual(new Map([[5, 101]]));
    expect(asked[0]!.query).toContain('edges { node { dbId } }');
  });
});
