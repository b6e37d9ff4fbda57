/**
 * Xledger answers a connection with no match as `"edges": null`, not [] (its help centre). Every
 * reader of a connection takes that as an empty page: stream pages, delta pages, the entity tree
 * and the object-kind look-up. The client here answers as Xledger does, request by request.
 */
import { describe, expect, it } from 'vitest';
import { suppliersStream } from '../../../src/datatypes/suppliers';
import type { XledgerClient } from '../../../src/xledger/client';
import { readDeltas } from '../../../src/xledger/deltas';
import { readEntityTree } from '../../../src/xledger/entities';
import { resolveLookup } from '../../../src/xledger/lookups';
import { streamPages } from '../../../src/xledger/operations';
import { paginate } from '../../../src/xledger/paginate';

/** A client whose every answer is the given data; it records what was asked. */
function answering(data: Record<string, unknown>) {
  const asked: Array<{ query: string; variables: Record<string, unknown> }> = [];
  const client = {
    request: async (query: string, variables: Record<string, unknown> = {}) => {
      asked.push({ query, variables });
      return data;
    },
  } as unknown as XledgerClient;
  return { client, asked };
}

const EMPTY = { edges: null, pageInfo: { hasNextPage: false, hasPreviousPage: false } };

describe('"edges": null is an empty page', () => {
  it('for a stream page, with its delta companion', async () => {
    const { client, asked } = answering({ suppliers: EMPTY, deltas: EMPTY });
    const request = streamPages(
      suppliersStream,
      { modifiedAt_gte: '2026-01-15T08:00:00' },
      { read: 'after', after: '7' },
    );
    const pages = [];
    for await (const page of paginate(client, request, { pageSize: 10_000 })) pages.push(page);
    expect(pages).toEqual([{ nodes: [], endCursor: null, hasNextPage: false, companion: EMPTY }]);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.variables).toMatchObject({ deltaAfter: '7', first: 10_000 });
    // DateTimeString is confirmed for projects only: on suppliers the time is written inline.
    expect(asked[0]!.query).toContain('modifiedAt_gte: "2026-01-15T08:00:00"');
  });

  it('for the deltas after a cursor: nothing deleted, the cursor stays', async () => {
    const { client, asked } = answering({});
    expect(await readDeltas(client, 'supplier_deltas', '42', EMPTY)).toEqual({
      deletedDbIds: [],
      cursor: '42',
      extraRequests: 0,
    });
    expect(asked).toHaveLength(0);
  });

  it('for the entity tree and the object-kind look-up', async () => {
    expect(await readEntityTree(answering({ entities: EMPTY }).client)).toEqual([]);
    const lookup = await resolveLookup(
      answering({ objectKinds: EMPTY }).client,
      { filterField: 'objectKindDbId_in', objectKindName: 'TAX_RULE' },
      10_000,
    );
    expect(lookup).toEqual({ objectKindDbId_in: [] });
  });
});
